"""Content negotiation through a table of media types, and the RDF views of an entity."""
from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import MIMEAccept
from rdflib import BNode, Graph, Literal, URIRef

from api.errors import Problem
from kg.store import Row, Value
from kg.vocab import PREFIXES

JSON = "application/json"
JSONLD = "application/ld+json"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
HTML = "text/html"

#: media type → rdflib serializer name
RDF_FORMATS = {JSONLD: "json-ld", TURTLE: "turtle", NTRIPLES: "nt"}
ENTITY_TYPES = (JSON, JSONLD, TURTLE, NTRIPLES, HTML)


def choose(offered: tuple[str, ...], default: str = JSON) -> str:
    """The best of ``offered`` for the request's Accept header; 406 when none is acceptable."""
    return best_of(request.accept_mimetypes, offered, default)


def best_of(accept: MIMEAccept, offered: tuple[str, ...], default: str = JSON) -> str:
    """The best of ``offered`` for the parsed Accept header ``accept``; 406 when none is acceptable."""
    if not accept or accept.provided is False or str(accept) in ("", "*/*"):
        return default
    # a browser sends text/html first and */* at a lower weight: honour exact matches before wildcards
    best = accept.best_match(offered)  # None when nothing offered is acceptable
    if best is None:
        raise Problem(406, "Not Acceptable",
                      f"cannot produce any of '{str(accept)[:200]}'; this resource is available as: {', '.join(offered)}",
                      available=list(offered))
    if accept[best] == accept["*/*"] and default in offered and accept[default] >= accept[best]:
        return default
    return best


def _term(value: Value):
    if value.kind == "iri":
        return URIRef(value.value)
    if value.kind == "bnode":
        return BNode(value.value)
    return Literal(value.value, lang=value.lang, datatype=URIRef(value.datatype) if value.datatype else None)


def rdf(rows: list[Row], media_type: str) -> str:
    """Serialize rows of ``s p o`` into ``media_type``."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    for row in rows:
        graph.add((_term(row["s"]), _term(row["p"]), _term(row["o"])))
    kwargs: dict[str, Any] = {"auto_compact": True} if media_type == JSONLD else {}  # the serializer's options
    return graph.serialize(format=RDF_FORMATS[media_type], **kwargs)
