"""The answer formats of the SPARQL endpoint and their serialization, under the row cap.

SELECT and ASK answers are SPARQL results (JSON, XML, CSV, TSV); CONSTRUCT and DESCRIBE answers
are RDF (Turtle, N-Triples, JSON-LD, RDF/XML). A format is named by a short key (``json``,
``turtle``, …) so that the key, not a media type, crosses the pipe to a query process. Solutions
are counted in Python (``max_rows + 1`` taken, more refused with 422: a silently cut list is worse
than an error for clinical reference data), so their JSON is written here, equal to pyoxigraph's.
"""
from __future__ import annotations

import itertools
import json
from typing import cast

import pyoxigraph

from kg.sparql.policy import Refusal
from kg.vocab import prefixes

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# Accepted media type → format; the first entry of each table is the default.
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
}
# format → (Content-Type of the answer, pyoxigraph format)
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", pyoxigraph.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", pyoxigraph.QueryResultsFormat.XML),
    "csv": ("text/csv; charset=utf-8", pyoxigraph.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values; charset=utf-8", pyoxigraph.QueryResultsFormat.TSV),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle; charset=utf-8", pyoxigraph.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
}
#: the prefixes a Turtle or RDF/XML answer is written with (kg.vocab's, chosen by name)
PREFIXES = prefixes("rdf", "rdfs", "owl", "xsd", "skos", "oboInOwl", "obo", "osteokg")
PREFIXED = {"turtle", "rdfxml"}  # formats that use prefixes


def offered(formats: dict) -> str:
    """The media types of ``formats``, for a 406 message."""
    return ", ".join(media.split(";")[0] for media, _ in formats.values())


def term_json(term: object) -> dict:
    """One RDF term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, pyoxigraph.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            direction = getattr(term, "direction", None)
            if direction is not None:
                out["its:dir"] = str(direction)
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, pyoxigraph.Triple):
        return {"type": "triple", "value": {"subject": term_json(term.subject),
                                            "predicate": term_json(term.predicate),
                                            "object": term_json(term.object)}}
    raise TypeError(f"unexpected term {type(term).__name__}")


def not_acceptable(form: str, formats: dict) -> Refusal:
    return Refusal(406, "Not Acceptable",
                   f"The answer to {form} can be given as {offered(formats)}; none of them is in the Accept header.")


def too_many(count: int, what: str) -> Refusal:
    return Refusal(422, "Answer too large",
                   f"The answer would hold more than {count} {what}, the most this endpoint returns. "
                   f"Page through it with LIMIT {count} and OFFSET (with ORDER BY for a stable order), "
                   "or narrow the query.", limit=count)


def _written(body: bytes | None) -> bytes:
    """pyoxigraph's serializers return the bytes when given no ``output`` (None only when they wrote to one);
    their stubs say ``bytes | None`` either way."""
    return cast(bytes, body)


def ok(media: str, body: bytes) -> dict:
    return {"status": 200, "content_type": media, "body": body}


def serialize(result: pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples,
              results_format: str | None, graph_format: str | None, max_rows: int) -> dict:
    """The reply for a pyoxigraph query result in the negotiated format; raises ``Refusal`` (406, 422)."""
    if isinstance(result, pyoxigraph.QueryBoolean):
        if results_format is None:
            raise not_acceptable("an ASK query", RESULT_FORMATS)
        media, fmt = RESULT_FORMATS[results_format]
        return ok(media, _written(result.serialize(format=fmt)))

    if isinstance(result, pyoxigraph.QuerySolutions):
        if results_format is None:
            raise not_acceptable("a SELECT query", RESULT_FORMATS)
        variables = [variable.value for variable in result.variables]
        rows = list(itertools.islice(result, max_rows + 1))
        if len(rows) > max_rows:
            raise too_many(max_rows, "rows")
        document = {"head": {"vars": variables}, "results": {"bindings": [
            {name: term_json(term) for name, term in zip(variables, row) if term is not None}
            for row in rows]}}
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        media, fmt = RESULT_FORMATS[results_format]
        if results_format != "json":  # pyoxigraph writes XML, CSV and TSV from the capped rows
            body = _written(pyoxigraph.parse_query_results(body, pyoxigraph.QueryResultsFormat.JSON).serialize(format=fmt))
        return ok(media, body)

    if graph_format is None:
        raise not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_FORMATS)
    triples = list(itertools.islice(result, max_rows + 1))
    if len(triples) > max_rows:
        raise too_many(max_rows, "triples")
    media, rdf_format = GRAPH_FORMATS[graph_format]
    prefixes = PREFIXES if graph_format in PREFIXED else None
    return ok(media, _written(pyoxigraph.serialize(triples, format=rdf_format, prefixes=prefixes)))
