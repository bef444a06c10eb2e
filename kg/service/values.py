"""The service's plain values: the vocabulary it reads, its errors, the shapes of its answers and the checks
of the values it is given (CURIEs, IRIs, words, choices). Nothing here touches a store."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from urllib.parse import unquote

from kg import queries
from kg.store import Row, Value
from kg import vocab
from kg.vocab import PREFIXES, shorten

# the vocabulary as plain strings (the service compares the stores' values, which are strings), from kg.vocab
OSTEOKG_NS = str(vocab.OSTEOKG)
RDFS = PREFIXES["rdfs"]
LABEL = f"{RDFS}label"
RDF_TYPE = f"{PREFIXES['rdf']}type"
DEFINITION = str(vocab.DEFINITION)
SKOS = PREFIXES["skos"]
OKG = str(vocab.OKG)
DCTERMS = PREFIXES["dcterms"]
MATCHES = {f"{SKOS}{m}": m for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch")}
SYNONYMS = {str(prop): scope for scope, prop in vocab.SYNONYM_PROPERTIES.items()}
#: synonym property → the field a search hit names (exact, broad, narrow, related: docs/model.md, "Synonyms")
SYNONYM_FIELDS = {p: f"{scope} synonym" for p, scope in SYNONYMS.items()}
QUANTITATIVE, NOTE = f"{OSTEOKG_NS}0000091", f"{OSTEOKG_NS}0000092"
STATEMENT_KINDS = {"quantitative": {QUANTITATIVE}, "note": {NOTE}, "any": {QUANTITATIVE, NOTE}}

#: the strengths an edge can have (okg:Strength), strongest first: the values of ``strength=``
STRENGTHS = ("defining", "main", "most", "often", "proportion", "generally", "can")
DIRECTIONS = ("out", "in", "both")
HIERARCHY = ("parents", "children", "ancestors", "descendants")
#: qualifier names in the relations queries' ?qualifiers → key in an evidence item
SINGLE = {"strength": "strength", "evidenceKind": "evidence_kind", "reviewStatus": "review_status",
          "condition": "condition", "premiseSubject": "subject", "premisePredicate": "predicate",
          "premiseObject": "object"}
MULTI = {"context": "context", "inCombinationWith": "in_combination_with", "quantifiedBy": "quantified_by"}
#: which field's match a search prefers when two match equally well
FIELD_ORDER = {name: rank for rank, name in enumerate(
    ("label", "exact synonym", "narrow synonym", "broad synonym", "related synonym", "xref"))}

CURIE = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*):([A-Za-z0-9_.\-]+)")  # whole strings only: fullmatch (no trailing newline)
QUESTION = re.compile(r"^# question-(en|nl): (.+)$", re.MULTILINE)
#: the columns a person sees, in a query file's header: ``# columns-en: site=Bone | strength=How firmly``
COLUMNS = re.compile(r"^# columns-(en|nl): (.+)$", re.MULTILINE)
COLUMN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$")
#: the languages of a competency question (its question, headings and the value of its ``?_lang``)
LANGUAGES = ("en", "nl")
#: the XSD datatypes (local names) whose values an answer's table shows as numbers and as dates
NUMBERS = frozenset(("decimal", "double", "float", "integer", "int", "long", "short", "nonNegativeInteger",
                     "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong"))
DATES = frozenset(("date", "dateTime", "dateTimeStamp", "gYear", "gYearMonth"))
#: a query's form is its first keyword after the prologue (comments, BASE and PREFIX declarations)
_PROLOGUE = re.compile(r"^(?:\s+|#[^\n]*\n?|BASE\s*<[^>]*>|PREFIX\s+[A-Za-z0-9_.-]*:\s*<[^>]*>)*", re.IGNORECASE)



# ---------------------------------------------------------------- errors


class ServiceError(Exception):
    """A question the graph cannot answer as asked; the message says why."""


class BadValue(ServiceError, ValueError):
    """A value that cannot be right (malformed, or not one of the allowed ones), naming the argument."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"parameter '{parameter}': {message}")
        self.parameter, self.message = parameter, message


class NotFound(ServiceError, LookupError):
    """A well-formed ID (or code) that this release does not know."""

    def __init__(self, message: str, id: str | None = None) -> None:
        super().__init__(message)
        self.message, self.id = message, id


# ---------------------------------------------------------------- answers


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Röntgenfoto' → 'rontgenfoto'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 16)
def curie_of(iri: str) -> str:
    """:func:`kg.vocab.shorten`, remembered: the graph's IRIs are few and each edge names several."""
    return shorten(iri)


unquote_cached = lru_cache(maxsize=1 << 16)(unquote)  # the same strengths, kinds and terms on every edge


@dataclass(frozen=True, slots=True)
class Resolved:
    """What an ID names: an osteokg entity, or a code of another terminology that maps to entities.

    For a code, ``target`` is the CURIE of the one entity it stands for (a single exact or close
    mapping), else None: then :meth:`Service.xrefs` lists what it maps to.
    """

    iri: str
    id: str
    kind: str  # "entity" or "code"
    target: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list: the items, how many there are in all, and where the page starts."""

    items: list[dict]
    total: int
    limit: int
    offset: int

    def envelope(self) -> dict:
        """The REST envelope ``{items, total, limit, offset}``."""
        return {"items": self.items, "total": self.total, "limit": self.limit, "offset": self.offset}


def page_of(items: list[dict], limit: int | None, offset: int) -> Page:
    if limit is None:
        return Page(items[offset:], len(items), len(items), offset)
    if limit < 0 or offset < 0:
        raise BadValue("limit" if limit < 0 else "offset", "must not be negative")
    return Page(items[offset:offset + limit], len(items), limit, offset)


@dataclass(frozen=True)
class Question:
    """A competency question: its query file's name, the question in English and Dutch, and per language the
    columns a person sees, in order, with their headings (``# columns-en: var=Heading | …``; empty when the
    file names none: then every column is shown under its variable's name)."""

    name: str
    en: str
    nl: str
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict, hash=False)

    def text(self, lang: str) -> str:
        """The question in ``lang`` (English for any other language)."""
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Answer:
    """A competency question's answer: the columns and rows of plain values its query returns."""

    question: Question
    columns: list[str]
    rows: list[dict[str, Value]]


@dataclass(frozen=True)
class EntityPage:
    """What an entity's page shows: the entity, its outgoing edges, the asserted incoming ones and its statements."""

    entity: dict
    outgoing: list[dict]
    incoming: list[dict]
    statements: list[dict]
    version: str | None


# ---------------------------------------------------------------- checks


def iri_of_curie(curie: str, parameter: str = "id") -> str:
    """The IRI a CURIE stands for. :class:`BadValue` when it is malformed or has an unknown prefix."""
    prefix, local = split_curie(curie, parameter)
    namespace = PREFIXES.get(prefix) or PREFIXES.get(prefix.upper())
    if namespace is None:
        raise BadValue(parameter, f"unknown prefix '{prefix}'; known: {', '.join(sorted(PREFIXES))}")
    return namespace + local


def split_curie(curie: str, parameter: str) -> tuple[str, str]:
    match = CURIE.fullmatch(curie)
    if not match:
        raise BadValue(parameter, f"'{curie[:80]}' is not a CURIE such as OSTEOKG:0000106")
    prefix, local = match.groups()
    if prefix.upper() == "OSTEOKG" and not re.fullmatch(r"\d{7}", local):
        raise BadValue(parameter, f"'{curie}' is not an osteokg ID (OSTEOKG: and seven digits)")
    return prefix, local


def term(iri: str, parameter: str = "iri") -> queries.Term:
    """A validated IRI term for a query; :class:`BadValue` when it is not an absolute IRI."""
    if len(iri) > 2000:
        raise BadValue(parameter, "an IRI may be at most 2000 characters")
    try:
        return queries.iri(iri)
    except queries.QueryError:
        raise BadValue(parameter, f"'{iri[:80]}' is not a valid absolute IRI") from None


def search_text(text: str) -> str:
    """The words of a search, stripped; :class:`BadValue` when there are none or too many."""
    if not text.strip():
        raise BadValue("q", "give the words to look for, e.g. ?q=botontk")
    if len(text) > 200:
        raise BadValue("q", "at most 200 characters")
    return text.strip()


def choice(parameter: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadValue(parameter, f"'{value[:40]}' is not one of {', '.join(allowed)}")
    return value


def text_in(values: list[tuple[str, str]], lang: str) -> str | None:
    """The text in ``lang``, else the English one, else any."""
    for wanted in (lang, "en", None):
        for value, language in values:
            if wanted is None or language == wanted:
                return value
    return None


def translation(quote_lang: str | None, translations: list[tuple[str, str]], lang: str) -> dict | None:
    """The rendering of a quote an answer in ``lang`` shows beside it: ``{"text", "lang"}`` when the quote is in another
    language and ``translations`` ((text, lang) pairs, okg:quoteTranslation) has one in ``lang``, else None (a Dutch
    reader reads the Dutch quote itself; a quote with no rendering in ``lang`` is shown alone)."""
    if quote_lang == lang:
        return None
    found = next((text for text, language in translations if language == lang), None)
    return {"text": found, "lang": lang} if found is not None else None


def parse_qualifiers(row: Row) -> dict[str, list[tuple[str, str]]]:
    """The ``?qualifiers`` column of relations-out / relations-in: name → [(value, lang)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    cell = row.get("qualifiers")
    if cell is not None and cell.value:
        for item in cell.value.split(" "):
            name, lang, value = item.split("|", 2)
            out.setdefault(name, []).append((unquote_cached(value), lang))
    return out


def competency_folder():
    return resources.files("kg") / "queries" / "competency"


def is_ask(query: str) -> bool:
    """Whether ``query`` is an ASK query (its first keyword after the prologue)."""
    return query[_PROLOGUE.match(query).end():].lstrip().upper().startswith("ASK")  # type: ignore[union-attr]


def parse_columns(spec: str, where: str) -> list[tuple[str, str]]:
    """``site=Bone | strength=How firmly the source says it`` → ``[("site", "Bone"), ("strength", …)]``;
    a ValueError naming ``where`` for an item that is not ``variable=heading`` or a variable named twice."""
    columns: list[tuple[str, str]] = []
    for item in spec.split("|"):
        match = COLUMN.match(item.strip())
        if match is None:
            raise ValueError(f"{where}: '{item.strip()}' is not variable=heading (e.g. site=Bone)")
        var, heading = match.group(1), match.group(2).strip()
        if var in (v for v, _ in columns):
            raise ValueError(f"{where}: the column '{var}' is named twice")
        columns.append((var, heading))
    return columns


def question_of(name: str, text: str) -> Question:
    """The question a competency query file states in its header (``# question-en/-nl:``, ``# columns-en/-nl:``)."""
    lines = dict(QUESTION.findall(text))
    columns = {lang: parse_columns(spec, f"kg/queries/competency/{name}.rq, columns-{lang}")
               for lang, spec in COLUMNS.findall(text)}
    return Question(name, lines.get("en", ""), lines.get("nl", ""), columns)


def questions() -> dict[str, Question]:
    """Every competency question of kg/queries/competency/, by file name (the one reader of their headers)."""
    found = {}
    for path in sorted(competency_folder().iterdir(), key=lambda p: p.name):
        if path.name.endswith(".rq"):
            found[path.name[:-3]] = question_of(path.name[:-3], path.read_text(encoding="utf-8"))
    return found


