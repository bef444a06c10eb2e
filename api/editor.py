"""The SPARQL editor: what ``/sparql`` answers a browser (a client whose Accept prefers ``text/html``).

:mod:`api.sparql` decides that a request wants a page (:func:`wants_page`), reads the query with the protocol's
own checks and runs it on the protocol's own path (the query processes, or the remote store), asking for SPARQL
JSON results (N-Triples for a CONSTRUCT or DESCRIBE); this module turns what came back into the page
(``api/templates/sparql.html``): YASGUI (``@zazuko/yasgui``, served from ``/static/vendor``) with one tab per
example question — named by the question in the page's language, its query from the service — and osteokg's
prefix map (:data:`kg.vocab.PREFIXES`, the one place), its autocompletion from osteokg's own ``/suggest`` and
``/relations`` (``api/static/editor.js``), and for a query the results rendered here as an HTML table: osteokg's
IRIs are links to the entity pages (with the term's label in the page's language), literals carry their language.
A refusal (a parse error, the policy, the time limit) is a readable message on the page with the protocol's
status. Without JavaScript the page still works: a form sends the query and the answer is this page.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph
from flask import Response, url_for
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from api.explorer import HTML, render
from api.graph import served, service
from kg.service import Question
from kg.sparql.results import GRAPH_TYPES, RESULT_TYPES
from kg.vocab import PREFIXES, shorten

SHOWN = 500  # rows a results page shows (a SPARQL client gets every row, up to SPARQL_MAX_ROWS)
OSTEOKG = PREFIXES["OSTEOKG"]
#: the media types a SPARQL client asks for, before the page: a tie (``*/*``, or a client that lists both) is theirs
_PROTOCOL = [*RESULT_TYPES, *GRAPH_TYPES]


def wants_page(accept: str) -> bool:
    """True when ``accept`` names ``text/html`` and prefers it to every SPARQL format (a browser's
    ``text/html,…,application/xml;q=0.9,*/*;q=0.8`` does; ``*/*`` or no Accept keeps the protocol's answer)."""
    if "html" not in accept:
        return False
    parsed = parse_accept_header(accept, MIMEAccept)
    return parsed[HTML] > 0 and parsed.best_match([*_PROTOCOL, HTML]) == HTML


@dataclass
class Cell:
    """One value of a result, as the page shows it."""

    text: str
    href: str | None = None  # an entity page of this server (other IRIs are shown, not linked)
    label: str | None = None  # the entity's label in the page's language
    iri: str | None = None
    lang: str | None = None  # a literal's language tag
    datatype: str | None = None  # a typed literal's datatype, as a CURIE where it has one


@dataclass
class Results:
    """A query's answer as a table (``columns``, ``rows``), or the ``boolean`` of an ASK."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell | None]] = field(default_factory=list)
    total: int = 0
    boolean: bool | None = None
    triples: bool = False  # a CONSTRUCT or DESCRIBE: the rows are triples


def entity_href(curie: str, lang: str) -> str:
    return url_for("entities.entity", curie=curie, lang=lang)


def _iri(iri: str, lang: str) -> Cell:
    short = shorten(iri)
    if iri.startswith(OSTEOKG) and short != iri:
        return Cell(short, href=entity_href(short, lang), label=served().label(iri, lang), iri=iri)
    return Cell(short, iri=iri)


def _binding(value: dict | None, lang: str) -> Cell | None:
    """A SPARQL JSON results term (``{"type", "value", "xml:lang", "datatype"}``) as a cell."""
    if value is None:
        return None
    kind = value.get("type")
    if kind == "uri":
        return _iri(value["value"], lang)
    if kind == "bnode":
        return Cell(f"_:{value['value']}")
    if kind == "triple":  # RDF-star: shown as its three parts
        inner = value.get("value", {})
        parts = [_binding(inner.get(name), lang) for name in ("subject", "predicate", "object")]
        return Cell("<< " + " ".join(part.text if part else "" for part in parts) + " >>")
    datatype = value.get("datatype")
    return Cell(value.get("value", ""), lang=value.get("xml:lang"),
                datatype=shorten(datatype) if datatype and datatype != _XSD_STRING else None)


_XSD_STRING = PREFIXES["xsd"] + "string"


def _term(term: Any, lang: str) -> Cell:
    """A pyoxigraph term (of a CONSTRUCT's triples) as a cell."""
    if isinstance(term, pyoxigraph.NamedNode):
        return _iri(term.value, lang)
    if isinstance(term, pyoxigraph.BlankNode):
        return Cell(f"_:{term.value}")
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value
        return Cell(term.value, lang=term.language,
                    datatype=shorten(datatype) if not term.language and datatype != _XSD_STRING else None)
    return Cell(str(term))


def results(reply: dict, lang: str) -> Results:
    """The table of a query process's (or remote store's) 200 reply: SPARQL JSON results, or N-Triples."""
    media = str(reply.get("content_type", "")).split(";")[0].strip()
    body: bytes = reply["body"]
    if media in ("application/sparql-results+json", "application/json"):
        document = json.loads(body)
        if "boolean" in document:
            return Results(boolean=bool(document["boolean"]))
        columns = list(document.get("head", {}).get("vars", []))
        bindings = document.get("results", {}).get("bindings", [])
        rows = [[_binding(binding.get(name), lang) for name in columns] for binding in bindings[:SHOWN]]
        return Results(columns, rows, len(bindings))
    triples = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.N_TRIPLES))
    rows = [[_term(t.subject, lang), _term(t.predicate, lang), _term(t.object, lang)] for t in triples[:SHOWN]]
    return Results(["subject", "predicate", "object"], rows, len(triples), triples=True)


def _title(question: Question, lang: str) -> str:
    return getattr(question, lang, "") or question.en or question.name


def _query_of(name: str, lang: str) -> str:
    """The example question's query bound for ``lang``, runnable as it is (what the questions page shows)."""
    return service().competency_sparql(name, lang)


def page(lang: str | None = None, *, query: str | None = None, reply: dict | None = None,
         error: tuple[int, str, str] | None = None, question: str | None = None) -> Response:
    """The editor page: with ``query`` and its ``reply`` (a 200 from the query path) the results below the editor;
    with ``error`` (status, title, detail) that message and status; ``question`` selects that question's tab (an
    unknown name is a 404 page that lists the questions)."""
    from api import params

    lang = lang or params.page_language()
    questions = service().competency_questions()
    names = {q.name for q in questions}
    status, unknown = 200, None
    if question is not None and question not in names:
        status, unknown, question = 404, question[:80], None
    tabs = [{"id": q.name, "name": _title(q, lang), "query": _query_of(q.name, lang),
             "href": url_for("sparql.endpoint", question=q.name, lang=lang)} for q in questions]
    table = None
    if error is not None:
        status = error[0]
    elif reply is not None:
        table = results(reply, lang)
    selected = question or ("query" if query is not None else (tabs[0]["id"] if tabs else None))
    config = {
        "endpoint": url_for("sparql.endpoint"),
        "lang": lang,
        "prefixes": PREFIXES,
        "osteokg": OSTEOKG,
        "entity": url_for("entities.entity", curie="CURIE", lang=lang),
        "suggest": url_for("entities.suggest"),
        "relations": url_for("entities.relation_list"),
        "tabs": tabs,
        "query": query,
        "selected": selected,
        "strings": {key: _text(f"sparql.{key}", lang) for key in
                    ("your_query", "new_tab", "query_label", "suggest_failed", "nothing_to_complete", "page_size",
                     "response_label", "row")},
        "ui": _yasgui_words(lang),
    }
    return render("sparql.html", status=status, lang=lang, editor_config=config, tabs=tabs, query=query,
                  results=table, error=error, unknown_question=unknown, selected=selected, shown=SHOWN,
                  prefixes=PREFIXES)


def _yasgui_words(lang: str) -> dict[str, str]:
    """YASGUI's own English words → the page's language (``sparql.ui.*`` of the catalogue, by their English)."""
    from api.explorer.strings import STRINGS

    return {key[len("sparql.ui."):]: _text(key, lang) for key in STRINGS if key.startswith("sparql.ui.")}


def _text(key: str, lang: str) -> str:
    from api.explorer.strings import text

    return text(key, lang)
