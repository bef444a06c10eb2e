"""The OpenAPI 3.1 document of every route, and a readable page rendered from it (no external assets).

The document states what the API enforces, constraint for constraint, so that a client (and the fuzzer,
tests/api/test_fuzz.py, which generates cases from it) can tell a valid request from a refused one:

- a CURIE (in a path, ``category``, ``predicate``, ``about``) matches :data:`CURIE_PATTERN`: one of the prefixes
  the graph knows (:data:`kg.vocab.PREFIXES`; an upper-case prefix in any case, as :mod:`kg.service` reads
  them) and a local part of letters, digits, ``_ . -``; an osteokg ID is ``OSTEOKG:`` and seven digits;
- ``limit`` 1–``PAGE_MAX`` (kg/settings.py's default), ``offset`` 0–:data:`api.params.OFFSET_MAX`, both in ASCII
  digits; ``q`` 1–200 characters with one that is not white space;
- every route refuses a parameter it does not take and one given twice (400, :func:`api.params.only`);
- a foreign code where an entity is expected is a 303 to the entity it stands for (or to its ``/xrefs``);
- the SPARQL dataset parameters are documented and refused whatever their value (a schema no value matches).
"""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, render_template, request

from api.cds import OPENAPI_PATHS as CDS_PATHS
from api.cds import OPENAPI_SECURITY as CDS_SECURITY
from api.changes import OPENAPI_PATHS as CHANGES_PATHS
from api.entities import STRENGTHS
from api.meta import DOWNLOADS
from api.params import OFFSET_MAX, only
from api.pinning import documented
from api.sparql import FORMAT_NAMES, FORMAT_PARAMETERS
from kg import settings
from kg.search import TYPES
from kg.service.shapes import EDGE_KEYS
from kg.service.values import MATCHES
from kg.vocab import PREFIXES

bp = Blueprint("openapi", __name__)
#: the version of the API's answers (not the ontology's): its major part changes when an answer's JSON changes in a
#: way a client must follow (0.x: its minor part); docs/changelog.md says what changed in each
API_VERSION = "0.2.0"


def _prefix_pattern(prefix: str) -> str:
    """A prefix as kg.service reads it: as written, or (an upper-case prefix) in any case."""
    if prefix != prefix.upper():
        return re.escape(prefix)
    return "".join(f"[{c}{c.lower()}]" if c.isalpha() else re.escape(c) for c in prefix)


#: a CURIE the service takes: a known prefix and a local part; an osteokg ID is OSTEOKG: and seven digits
CURIE_PATTERN = ("^(?:" + _prefix_pattern("OSTEOKG") + ":[0-9]{7}|(?:"
                 + "|".join(_prefix_pattern(p) for p in PREFIXES if p.upper() != "OSTEOKG") + "):[A-Za-z0-9_.\\-]+)$")
CURIE_SCHEMA = {"type": "string", "pattern": CURIE_PATTERN}
PAGE_MAX = settings.default("PAGE_MAX")
LANG = {"name": "lang", "in": "query", "required": False, "description": "Language of labels and texts; default from Accept-Language, else English.",
        "schema": {"type": "string", "enum": ["en", "nl"]}}
LIMIT = {"name": "limit", "in": "query", "required": False, "description": f"Page size (1–{PAGE_MAX}, default 50).",
         "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 50}}
OFFSET = {"name": "offset", "in": "query", "required": False, "description": "Items to skip.",
          "schema": {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX, "default": 0}}
CURIE = {"name": "curie", "in": "path", "required": True,
         "description": "A CURIE such as OSTEOKG:0000106 (an osteokg ID) or a code of another terminology "
                        "(UBERON:0001474, ICD10WHO:M87): a known prefix (" + ", ".join(PREFIXES) + ") and a local part.",
         "schema": CURIE_SCHEMA, "example": "OSTEOKG:0000106"}
#: a SPARQL 1.1 query: its grammar is the format (a generator of test cases registers one: tests/api/test_fuzz.py)
SPARQL_QUERY = {"type": "string", "minLength": 1, "format": "sparql-query"}
#: the words of a search: 1–200 characters, not all white space
QUERY_TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}


def problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def ok(description: str, schema: str | dict, extra: dict | None = None) -> dict:
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema}}
    body.update(extra or {})
    return {"description": description, "content": body}


def page_of(item: str) -> dict:
    return {"type": "object", "required": ["items", "total", "limit", "offset"],
            "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                           "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}}


ERRORS = {"400": problem("A parameter is malformed or not allowed; the detail names it."),
          "406": problem("None of the accepted media types can be produced.")}
NOT_FOUND = {"404": problem("The graph has no such entity.")}
#: an entity's other views; JSON-LD is a JSON object, the others text
RDF_VIEWS = {"application/ld+json": {"schema": {"type": "object"}},
             **{t: {"schema": {"type": "string"}} for t in ("text/turtle", "application/n-triples", "text/html")}}
#: a foreign code where an entity is expected: 303 to the entity it stands for, or to its /xrefs when it maps to several
SEE_OTHER = {"303": {"description": "The CURIE is a code of another terminology: See Other, the entity it stands for "
                                    "(or /xrefs/{code} when it maps to several, or imprecisely).",
                     "headers": {"Location": {"schema": {"type": "string"}, "required": True}}}}
#: what POST /mcp takes and answers: JSON-RPC 2.0 (the MCP messages' own params are the MCP specification's)
JSONRPC_REQUEST = {"type": "object", "required": ["jsonrpc", "method"],
                   "properties": {"jsonrpc": {"const": "2.0"},
                                  "id": {"description": "A string or a number; a message whose id is anything else is "
                                                        "taken as a notification (202), as the mcp package reads it."},
                                  "method": {"type": "string"}, "params": {"type": ["object", "null"]}}}
JSONRPC_ANSWER = {"type": "object", "required": ["jsonrpc"],
                  "properties": {"jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer", "null"]},
                                 "result": {"type": "object"},
                                 "error": {"type": "object", "required": ["code", "message"],
                                           "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}}}
#: a route that takes no parameter refuses any (api.params.only)
NO_PARAMETERS = {"400": problem("This route takes no parameter; the detail names the one given.")}


def list_route(summary: str, item: str, parameters: list[dict], tags: list[str], extra_errors: dict | None = None) -> dict:
    return {"get": {"summary": summary, "tags": tags, "parameters": parameters,
                    "responses": {"200": ok(summary, page_of(item)), **ERRORS, **(extra_errors or {})}}}


def hierarchy(word: str) -> dict:
    return list_route(f"The {word} of an entity.", "Ref", [CURIE, LANG, LIMIT, OFFSET], ["hierarchy"], {**SEE_OTHER, **NOT_FOUND})


@documented  # the `release` parameter, defined once and referenced by each operation that takes it (api/pinning.py)
def document() -> dict:
    sparql_params = [
        {"name": "query", "in": "query", "required": False, "schema": SPARQL_QUERY,
         "description": "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE). Without it: the service description."},
        # the answer's format by name or media type, over Accept (SPARQLWrapper sends all three); the editor page's own
        *({"name": name, "in": "query", "required": False, "schema": {"type": "string", "enum": list(FORMAT_NAMES)},
           "description": "The answer's format, over Accept: a name or a media type (format, output and results "
                          "are one parameter under three names; given together they must agree)."}
          for name in FORMAT_PARAMETERS),
        {**LANG, "description": "The editor page's language (a browser's page; the JSON answers have no texts)."},
        {"name": "question", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "The editor page opens this competency question (a browser's page)."},
        # the protocol's dataset parameters: documented, and refused whatever their value (no value matches `not {}`)
        {"name": "default-graph-uri", "in": "query", "required": False, "schema": {"not": {}},
         "description": "Not supported: the dataset is fixed; any value, the empty one too, is refused (400)."},
        {"name": "named-graph-uri", "in": "query", "required": False, "schema": {"not": {}},
         "description": "Not supported: the dataset is fixed; any value, the empty one too, is refused (400)."},
    ]
    sparql_results = {
        # SPARQL 1.1 Query Results JSON: head, then results (SELECT) or boolean (ASK)
        "application/sparql-results+json": {"schema": {"type": "object", "required": ["head"]}},
        "application/ld+json": {"schema": {"type": ["object", "array"]}},  # a graph (CONSTRUCT, DESCRIBE) as JSON-LD
        **{t: {"schema": {"type": "string"}} for t in (
            "application/sparql-results+xml", "text/csv", "text/tab-separated-values", "text/turtle",
            "application/n-triples", "application/rdf+xml")}}
    sparql_errors = {"400": problem("Malformed query, an update, a SERVICE clause, a dataset parameter, a query nested "
                                    "deeper than the limit, or a query that is not UTF-8."),
                     "406": problem("No acceptable result format."),
                     "413": problem("The query (or request body, however framed) is larger than the request-size cap."),
                     "414": problem("The query string is too long."),
                     "415": problem("Unsupported request body type."),
                     "422": problem("The answer has more rows than the row cap, or (before it runs) the query's "
                                    "estimated run time is over the cost guard's bound (kg.sparql.cost)."),
                     "429": problem("This client already has its most queries running, or has used its query time "
                                    "of the window (see Retry-After)."),
                     "500": problem("The query process crashed while answering (the detail names the signal)."),
                     "503": problem("All query processes are busy (see Retry-After), or the query ran out of memory."),
                     "504": problem("The query ran past the time limit.")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "osteokg API", "version": API_VERSION,
                 "description": "A clinical reference knowledge graph for osteoporotic fractures and osteonecrosis: "
                                "SPARQL 1.1 endpoint, clinical REST routes and linked-data pages. Reference and education, "
                                "not a medical device.",
                 "license": {"name": "CC BY 4.0 (content), MIT (code)", "identifier": "CC-BY-4.0"}},
        "paths": {
            **CDS_PATHS,  # the CDS Hooks door documents its own routes (api/cds.py)
            **CHANGES_PATHS,  # the change feed documents its own routes (api/changes.py)
            "/metrics": {"get": {
                "summary": "Prometheus metrics of every worker: requests by route and status, latency, SPARQL outcomes, "
                           "the response cache, the release served (docs/operations.md).", "tags": ["service"],
                "responses": {"200": {"description": "Prometheus text format (OpenMetrics when Accept asks for it).",
                                      "content": {"text/plain": {"schema": {"type": "string"}},
                                                  "application/openmetrics-text": {"schema": {"type": "string"}}}},
                              "404": problem("OSTEOKG_METRICS is off.")}}},
            "/health": {"get": {"summary": "Ready once the graph is loaded.", "tags": ["service"],
                                "responses": {"200": ok("Ready.", "Health"), **NO_PARAMETERS}}},
            "/version": {"get": {"summary": "Ontology version, build time and graph hash.", "tags": ["service"],
                                 "responses": {"200": ok("Version.", "Version"), **NO_PARAMETERS}}},
            "/ontology": {"get": {"summary": "The ontology's HTML documentation (generated by the build).", "tags": ["service"],
                                  "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}},
                                                **NO_PARAMETERS, **NOT_FOUND}}},
            "/ontology/{name}": {"get": {
                "summary": "A release file: osteokg.ttl, .nt, .jsonld, .owl, osteokg.sssom.tsv, osteokg_nodes.tsv, osteokg_edges.tsv (KGX), qc-report.tsv, review.html and review.tsv (the clinician's review sheet).",
                "tags": ["service"],
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": list(DOWNLOADS)}}],
                "responses": {"200": {"description": "The file (osteokg.jsonld, a JSON-LD document, is a JSON object).",
                                      "content": {t: {"schema": {"type": "object" if t == "application/ld+json" else "string"}}
                                                  for t in sorted(set(DOWNLOADS.values()))}},
                              **NO_PARAMETERS, **NOT_FOUND}}},
            "/openapi.json": {"get": {"summary": "This document.", "tags": ["service"],
                                      "responses": {"200": ok("OpenAPI 3.1.", {"type": "object"}), **NO_PARAMETERS}}},
            "/docs": {"get": {"summary": "This document as a readable page.", "tags": ["service"],
                              "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}},
                                            **NO_PARAMETERS}}},
            "/sparql": {
                "get": {"summary": "SPARQL 1.1 query (or the service description).", "tags": ["sparql"], "parameters": sparql_params,
                        "responses": {"200": {"description": "Results, negotiated by Accept.", "content": sparql_results}, **sparql_errors}},
                "post": {"summary": "SPARQL 1.1 query by POST (form-encoded or application/sparql-query).", "tags": ["sparql"],
                         "parameters": sparql_params[1:],
                         "requestBody": {"required": False, "content": {
                             # the form's fields are the query string's parameters (read together): nothing else
                             "application/x-www-form-urlencoded": {"schema": {
                                 "type": "object", "additionalProperties": False, "properties": {
                                     "query": SPARQL_QUERY, **{p["name"]: p["schema"] for p in sparql_params[1:4]}}}},
                             "application/sparql-query": {"schema": SPARQL_QUERY}}},
                         "responses": {"200": {"description": "Results, negotiated by Accept.", "content": sparql_results}, **sparql_errors}},
            },
            "/entities/{curie}": {"get": {
                "summary": "An entity: labels, definitions, synonyms, categories, cross-references, parents, relations.",
                "tags": ["entities"], "parameters": [CURIE, LANG],
                "responses": {"200": ok("The entity (JSON by default; JSON-LD, Turtle, N-Triples, HTML by Accept).", "Entity", RDF_VIEWS),
                              **SEE_OTHER, **ERRORS, **NOT_FOUND}}},
            "/entities": {"get": {
                "summary": "An entity by its full IRI.", "tags": ["entities"],
                "parameters": [{"name": "iri", "in": "query", "required": True, "schema": {"type": "string", "format": "iri", "minLength": 1, "maxLength": 2000}}, LANG],
                "responses": {"200": ok("The entity.", "Entity", RDF_VIEWS), **SEE_OTHER, **ERRORS, **NOT_FOUND}}},
            "/OSTEOKG_{digits}": {"get": {
                "summary": "An osteokg IRI's own path: 303 See Other to the entity.", "tags": ["entities"],
                "parameters": [{"name": "digits", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^\\d{7}$"}}],
                "responses": {"303": {"description": "See the entity."}, **NOT_FOUND}}},
            "/entities/{curie}/relations": list_route(
                "Relations of an entity, each with predicate, other end, asserted or inferred, strength, and evidence "
                "(source, quote, strength, evidence kind, review status, condition, context, in combination with, "
                "quantified by; for inferred evidence the rule and the premise edge).", "Edge",
                [CURIE, LANG, LIMIT, OFFSET,
                 {"name": "predicate", "in": "query", "required": False, "schema": CURIE_SCHEMA, "description": "A relation CURIE (see /relations)."},
                 {"name": "direction", "in": "query", "required": False, "schema": {"type": "string", "enum": ["out", "in", "both"], "default": "both"}},
                 {"name": "inferred", "in": "query", "required": False, "schema": {"type": "string", "enum": ["any", "true", "false"], "default": "any"}},
                 {"name": "strength", "in": "query", "required": False, "schema": {"type": "string", "enum": list(STRENGTHS)},
                  "description": "Only edges of this strength (the strongest of their evidence): " + ", ".join(STRENGTHS)
                                 + ", strongest first. Any other value: 400 with the allowed values."}],
                ["entities"], {**SEE_OTHER, **NOT_FOUND}),
            "/entities/{curie}/parents": hierarchy("direct parents"),
            "/entities/{curie}/children": hierarchy("direct children"),
            "/entities/{curie}/ancestors": hierarchy("ancestors"),
            "/entities/{curie}/descendants": hierarchy("descendants"),
            "/xrefs/{curie}": list_route(
                "The osteokg entities a code of another terminology (UBERON:…, ICD10CM:…, MESH:…) maps to, with the precision.",
                "Xref", [CURIE, LANG], ["entities"], NOT_FOUND),
            "/relations": list_route("The relations (object properties) with their inverse, mappings and how their edges pass through the hierarchy.", "Relation", [LANG], ["entities"]),
            "/search": list_route(
                "Search labels, synonyms and codes in Dutch and English: case- and accent-insensitive, words in any order (inside Dutch compounds too), one or two typos forgiven; ranked exact > prefix > words > fuzzy, then a total tie-break.",
                "SearchHit",
                [{"name": "q", "in": "query", "required": True, "schema": QUERY_TEXT},
                 {"name": "category", "in": "query", "required": False, "schema": CURIE_SCHEMA, "description": "A category CURIE (see /categories)."},
                 LANG, LIMIT, OFFSET], ["search"]),
            "/suggest": {"get": {
                "summary": "Search-as-you-type: the entities whose label, synonym or code (or one of its words) starts "
                           "with q, exact matches first, in the order of /search; no total (a suggestion list, not a "
                           "page of all hits).",
                "tags": ["search"],
                "parameters": [{"name": "q", "in": "query", "required": True,
                                "schema": QUERY_TEXT}, LANG,
                               {"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 10}}],
                "responses": {"200": ok("Suggestions.", {"type": "object", "required": ["items", "limit"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
                    "limit": {"type": "integer"}}}), **ERRORS}}},
            "/categories": list_route("The upper categories with their number of members.", "Category", [LANG], ["categories"]),
            "/categories/{curie}": list_route("The members of a category.", "Ref", [CURIE, LANG, LIMIT, OFFSET], ["categories"], NOT_FOUND),
            "/entities/{curie}/graph": {"get": {
                "summary": "The entity's neighbourhood for a graph view: the entity, the other end of each of its edges "
                           "(both directions, asserted and inferred, but not an edge that is only another's inverse) and "
                           "its parents and children (as rdfs:subClassOf edges), each node with its first category.",
                "tags": ["entities"], "parameters": [CURIE, LANG],
                "responses": {"200": ok("The nodes and edges.", "Neighbourhood"), **SEE_OTHER, **ERRORS, **NOT_FOUND}}},
            "/": {"get": {"summary": "The explorer's home page for a browser (Accept: text/html); for any other client "
                                     "the service's doors as JSON.", "tags": ["explorer"], "parameters": [LANG],
                          "responses": {"200": ok("The doors (a page for a browser).", {"type": "object", "properties": {
                              "name": {"type": "string"}, "links": {"type": "object"}}},
                              {"text/html": {"schema": {"type": "string"}}}), **ERRORS}}},
            "/questions": {"get": {
                "summary": "Every competency question (kg/queries/competency/*.rq) in both languages with its live answer "
                           "in the requested language: the columns a person sees and the rows (a page for a browser).",
                "tags": ["explorer"], "parameters": [LANG],
                "responses": {"200": ok("The questions and their answers.", page_of("QuestionAnswer"),
                                        {"text/html": {"schema": {"type": "string"}}}), **ERRORS}}},
            "/static/{filename}": {"get": {
                "summary": "The explorer's own scripts and styles, and (under vendor/) the libraries installed from npm.",
                "tags": ["explorer"],
                "parameters": [{"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The file.", "content": {"text/css": {"schema": {"type": "string"}},
                                                                             "text/javascript": {"schema": {"type": "string"}}}},
                              "404": problem("No such file.")}}},
            "/mcp": {"post": {
                "summary": "The MCP door over streamable HTTP (docs/mcp.md): a JSON-RPC 2.0 message (initialize, "
                           "tools/list, tools/call, resources/list, resources/read, ping, or a notification); "
                           "stateless, with JSON answers. POST only (a GET is 405: no event stream is offered).",
                "tags": ["mcp"],
                "parameters": [{"name": "Accept", "in": "header", "required": True,
                                "description": "Must accept application/json (else 406).",
                                "schema": {"type": "string", "enum": ["application/json",
                                                                      "application/json, text/event-stream"]}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": JSONRPC_REQUEST}}},
                "responses": {
                    "200": {"description": "The JSON-RPC answer: a result, or an error object (an unknown tool, a value "
                                           "the graph cannot take: the tool's isError result).",
                            "content": {"application/json": {"schema": JSONRPC_ANSWER}}},
                    "202": {"description": "A notification, accepted (no body)."},
                    "400": {"description": "Not a JSON-RPC message, or not one this server takes (the JSON-RPC error "
                                           "says which), or a Content-Type other than application/json (the "
                                           "mcp package's own bare text for that one).",
                            "content": {"application/json": {"schema": JSONRPC_ANSWER},
                                        "text/plain": {"schema": {"type": "string"}}}},
                    "406": {"description": "The Accept header does not accept application/json.",
                            "content": {"application/json": {"schema": JSONRPC_ANSWER}}},
                    "413": {"description": "The body is over 1 MiB.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    "421": {"description": "Host is neither a loopback name nor OSTEOKG_BASE_URL's host."},
                    "504": {"description": "No answer within 60 s.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/statements": list_route(
                "Quantitative statements (typed numbers with population, outcome, time frame) and clinical notes, with evidence.",
                "Statement",
                [{"name": "kind", "in": "query", "required": False, "schema": {"type": "string", "enum": ["quantitative", "note", "any"], "default": "quantitative"}},
                 {"name": "about", "in": "query", "required": False, "schema": CURIE_SCHEMA, "description": "Only statements about this CURIE."},
                 LANG, LIMIT, OFFSET], ["statements"]),
        },
        "components": {"securitySchemes": CDS_SECURITY, "schemas": {
            "Problem": {"type": "object", "required": ["title", "status", "detail"],
                        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                                       "detail": {"type": "string"}}},
            "Health": {"type": "object", "properties": {"status": {"type": "string"}, "triples": {"type": "integer"}}},
            "Version": {"type": "object", "properties": {"ontology": {"type": "string"}, "version_iri": {"type": "string"},
                                                         "built_at": {"type": "string"}, "graph_sha256": {"type": "string"},
                                                         "store": {"type": "string"}, "counts": {"type": "object"}}},
            "Predicate": {"type": "object", "required": ["id", "iri", "label", "labels"], "additionalProperties": False,
                          "description": "The relation of an edge: a Ref with its labels in every language.",
                          "properties": {"id": {"type": "string"}, "iri": {"type": "string"},
                                         "label": {"type": ["string", "null"]},
                                         "labels": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "Ref": {"type": "object", "required": ["id", "iri"],
                    "properties": {"id": {"type": "string"}, "iri": {"type": "string"}, "label": {"type": ["string", "null"]},
                                   "inferred": {"type": "boolean"}}},
            "Entity": {"type": "object", "required": ["id", "iri", "labels", "definitions"],
                       "properties": {"id": {"type": "string"}, "iri": {"type": "string"}, "lang": {"type": "string"},
                                      "label": {"type": ["string", "null"]}, "labels": {"type": "object"},
                                      "definition": {"type": ["string", "null"]}, "definitions": {"type": "object"},
                                      "synonyms": {"type": "array", "items": {"type": "object"}},
                                      "categories": {"type": "array", "items": {"$ref": "#/components/schemas/Ref"}},
                                      "xrefs": {"type": "array", "items": {"$ref": "#/components/schemas/Code"}},
                                      "parents": {"type": "array", "items": {"$ref": "#/components/schemas/Ref"}},
                                      "relations": {"type": "array", "items": {"$ref": "#/components/schemas/Edge"},
                                                    "description": "The outgoing edges, each as /entities/{curie}/relations "
                                                                   "gives it (direction out), with all its evidence."},
                                      "annotations": {"type": "object"}, "links": {"type": "object"}}},
            "Named": {"type": "object", "required": ["id", "label"],
                      "description": "A value of the osteokg vocabulary (a strength such as okg:can, an evidence kind such as okg:quoted).",
                      "properties": {"id": {"type": "string", "examples": ["okg:can"]}, "label": {"type": ["string", "null"]}}},
            "Strength": {"oneOf": [{"$ref": "#/components/schemas/Named"}, {"type": "null"}],
                         "description": "How strongly the source says it: okg:" + ", okg:".join(STRENGTHS)
                                        + " (strongest first, okg:strengthOrder); null in a graph built without strengths."},
            "Premise": {"type": "object", "required": ["subject", "predicate", "object"],
                        "description": "The edge an inferred edge was derived from (itself in the graph, with its own evidence).",
                        "properties": {"subject": {"$ref": "#/components/schemas/Ref"}, "predicate": {"$ref": "#/components/schemas/Ref"},
                                       "object": {"$ref": "#/components/schemas/Ref"}}},
            "Evidence": {"type": "object",
                         "required": ["source", "quote", "translation", "inferred", "strength", "evidence_kind", "review_status",
                                      "context", "in_combination_with", "quantified_by"],
                         "properties": {
                             "source": {"$ref": "#/components/schemas/Ref"},
                             "quote": {"type": "string", "description": "The source's own words (in quote_lang), verbatim."},
                             "quote_lang": {"type": ["string", "null"]},
                             "translation": {"$ref": "#/components/schemas/Translation"},
                             "inferred": {"type": "boolean"},
                             "strength": {"$ref": "#/components/schemas/Strength"},
                             "evidence_kind": {"oneOf": [{"$ref": "#/components/schemas/Named"}, {"type": "null"}],
                                               "description": "okg:quoted, okg:combinedReading, okg:citedTitle or okg:definition."},
                             "review_status": {"type": ["string", "null"], "enum": ["unreviewed", "accepted", None]},
                             "review_note": {"type": "string", "description": "Present when the reviewer left a note."},
                             "condition": {"$ref": "#/components/schemas/Ref", "description": "The edge holds only then (present when given)."},
                             "condition_text": {"type": "string", "description": "The condition in words, in the request language (present when given)."},
                             "context": {"type": "array", "items": {"$ref": "#/components/schemas/Ref"},
                                         "description": "The disorders or sites the source says it of."},
                             "in_combination_with": {"type": "array", "items": {"$ref": "#/components/schemas/Ref"}},
                             "quantified_by": {"type": "array", "items": {"$ref": "#/components/schemas/Ref"},
                                               "description": "Quantitative statements with the numbers."},
                             "rule": {"type": "string", "enum": ["subclass", "superclass-target", "part-of", "subproperty", "inverse",
                                                                 "definition"], "description": "For inferred evidence: how it was derived."},
                             "premise": {"$ref": "#/components/schemas/Premise"}}},
            "Translation": {"oneOf": [{"type": "object", "required": ["text", "lang"], "additionalProperties": False,
                                       "properties": {"text": {"type": "string"}, "lang": {"type": "string", "enum": ["en", "nl"]}}},
                                      {"type": "null"}],
                            "description": "The quote rendered in the answer's language, marked as a translation (not the source's "
                                           "words): present when the quote is in another language and a rendering in the answer's "
                                           "language exists (an English reader gets the English of a Dutch quote), else null."},
            "StatementEvidence": {"type": "object", "required": ["source", "quote", "translation"],
                                  "properties": {"source": {"$ref": "#/components/schemas/Ref"}, "quote": {"type": "string"},
                                                 "translation": {"$ref": "#/components/schemas/Translation"}}},
            "Edge": {"type": "object", "required": list(EDGE_KEYS), "additionalProperties": False,
                     "description": "One edge, the same object wherever an edge appears (an entity's relations, "
                                    "/entities/{curie}/relations, the MCP tools): kg/service/shapes.py.",
                     "properties": {"direction": {"type": "string", "enum": ["out", "in"],
                                                  "description": "Which end the entity asked about is: out, the subject; in, the object."},
                                    "subject": {"$ref": "#/components/schemas/Ref"},
                                    "predicate": {"$ref": "#/components/schemas/Predicate"},
                                    "object": {"$ref": "#/components/schemas/Ref"}, "inferred": {"type": "boolean"},
                                    "strength": {"$ref": "#/components/schemas/Strength",
                                                 "description": "The strongest strength among the edge's evidence."},
                                    "evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}}}},
            "Relation": {"type": "object", "properties": {
                "id": {"type": "string"}, "label": {"type": ["string", "null"]},
                "inverse": {"oneOf": [{"$ref": "#/components/schemas/Ref"}, {"type": "null"}]},
                "mappings": {"type": "array", "items": {"$ref": "#/components/schemas/Code"},
                             "description": "The relation's Biolink, RO and BFO mappings, each a Code (their labels: null, "
                                            "the graph has none for these vocabularies yet)."},
                "inherited_by_subclasses": {"type": ["boolean", "null"],
                                            "description": "okg:inheritedBySubclasses: a non-defining edge of S also holds, as can, for S's subclasses."},
                "generalizes_object": {"type": ["boolean", "null"],
                                       "description": "okg:generalizesObject: S P O gives S P O2 for O's superclasses (superclass-target)."}}},
            "SearchHit": {"type": "object", "properties": {"id": {"type": "string"}, "label": {"type": ["string", "null"]},
                                                           "categories": {"type": "array", "items": {"type": "string"}},
                                                           "match": {"type": "object", "properties": {
                                                               "type": {"type": "string", "enum": list(TYPES)},
                                                               "field": {"type": "string"}, "lang": {"type": ["string", "null"]},
                                                               "text": {"type": "string"}}}}},
            "Code": {"type": "object", "required": ["id", "iri", "match", "label"], "additionalProperties": False,
                     "description": "A code of another terminology the entity cross-references (or a relation maps to), with the match's "
                                    "precision and the code's official label (as its terminology writes it, in English; "
                                    "ontology/code-labels.tsv), null where the graph has none (SNOMED CT, RO, BFO).",
                     "properties": {"id": {"type": "string", "examples": ["ICD10WHO:M87"]}, "iri": {"type": "string"},
                                    "match": {"type": "string", "enum": list(MATCHES.values())},
                                    "label": {"type": ["string", "null"], "examples": ["Osteonecrosis"]}}},
            "Xref": {"type": "object", "required": ["id", "iri", "label", "match", "code"],
                     "properties": {"id": {"type": "string"}, "iri": {"type": "string"}, "label": {"type": ["string", "null"]},
                                    "match": {"type": "string", "enum": list(MATCHES.values())},
                                    "code": {"type": "object", "required": ["id", "iri", "label"], "additionalProperties": False,
                                             "description": "The code asked about, with its official label (null where the "
                                                            "graph has none).",
                                             "properties": {"id": {"type": "string"}, "iri": {"type": "string"},
                                                            "label": {"type": ["string", "null"]}}}}},
            "Category": {"type": "object", "properties": {"id": {"type": "string"}, "label": {"type": ["string", "null"]},
                                                          "members": {"type": "integer"}, "href": {"type": "string"}}},
            "Neighbourhood": {"type": "object", "required": ["center", "nodes", "edges", "relations"], "properties": {
                "center": {"type": "string"},
                "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "label", "category"], "properties": {
                    "id": {"type": "string"}, "label": {"type": ["string", "null"]},
                    "category": {"oneOf": [{"$ref": "#/components/schemas/Named"}, {"type": "null"}]}}}},
                "edges": {"type": "array", "items": {"type": "object",
                                                     "required": ["id", "source", "target", "predicate", "inferred", "strength"],
                                                     "properties": {
                    "id": {"type": "string"}, "source": {"type": "string"}, "target": {"type": "string"},
                    "predicate": {"$ref": "#/components/schemas/Named"}, "inferred": {"type": "boolean"},
                    "strength": {"$ref": "#/components/schemas/Strength"}}}},
                "relations": {"type": "array", "items": {"$ref": "#/components/schemas/Named"}}}},
            "QuestionAnswer": {"type": "object", "required": ["name", "question", "columns", "rows"], "properties": {
                "name": {"type": "string"}, "question": {"type": "object", "properties": {
                    "en": {"type": "string"}, "nl": {"type": "string"}}},
                "columns": {"type": "array", "items": {"type": "object", "properties": {
                    "var": {"type": "string"}, "heading": {"type": "string"}}}},
                "rows": {"type": "array", "items": {"type": "array", "items": {"type": ["object", "null"]}}},
                "boolean": {"type": ["boolean", "null"], "description": "The answer of a yes/no (ASK) question."}}},
            "Statement": {"type": "object", "required": ["id", "iri", "label", "kind", "about", "evidence"],
                          "additionalProperties": False,
                          "description": "A quantitative statement or a clinical note. Its values are named by the graph's "
                                         "properties in snake_case (okg:minValue is min_value, okg:timeFrameKind "
                                         "time_frame_kind: docs/model.md); each is present when the statement has it.",
                          "properties": {"id": {"type": "string"}, "iri": {"type": "string"}, "label": {"type": ["string", "null"]},
                                         "kind": {"type": "string", "enum": ["quantitative", "note"]},
                                         "definition": {"type": "string"},
                                         "about": {"$ref": "#/components/schemas/Ref"},
                                         "outcome": {"$ref": "#/components/schemas/Ref"},
                                         "comparator": {"$ref": "#/components/schemas/Ref"},
                                         "population_condition": {"$ref": "#/components/schemas/Ref"},
                                         "statement_kind": {"type": "string", "enum": ["proportion", "percentage-range",
                                                                                       "relative-risk", "ratio", "age-range",
                                                                                       "comparison"]},
                                         "value": {"type": "number"}, "min_value": {"type": "number"},
                                         "max_value": {"type": "number"}, "unit": {"type": "string"},
                                         "age_min": {"type": "number"}, "age_max": {"type": "number"},
                                         "sex": {"type": "string"}, "comparison": {"type": "string"},
                                         "comparator_text": {"type": "string"}, "outcome_text": {"type": "string"},
                                         "population_text": {"type": "string"}, "time_frame": {"type": "string"},
                                         "time_frame_kind": {"type": "string"}, "time_frame_text": {"type": "string"},
                                         "review_status": {"type": "string", "enum": ["unreviewed", "accepted"]},
                                         "evidence": {"$ref": "#/components/schemas/StatementEvidence"}}},
        }},
    }


@bp.get("/openapi.json")
def openapi_json():
    only()
    return jsonify(document())


@bp.get("/docs")
def docs():
    only()
    return render_template("docs.html", spec=document(), base=request.host_url.rstrip("/"))
