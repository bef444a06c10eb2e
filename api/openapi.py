"""The OpenAPI 3.1 document of every route, and a readable page rendered from it (no external assets)."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from api.cds import OPENAPI_PATHS as CDS_PATHS
from api.changes import OPENAPI_PATHS as CHANGES_PATHS
from api.cds import OPENAPI_SECURITY as CDS_SECURITY
from api.entities import STRENGTHS
from kg.search import TYPES
from kg.service.values import MATCHES
from api.meta import DOWNLOADS

bp = Blueprint("openapi", __name__)

LANG = {"name": "lang", "in": "query", "required": False, "description": "Language of labels and texts; default from Accept-Language, else English.",
        "schema": {"type": "string", "enum": ["en", "nl"]}}
LIMIT = {"name": "limit", "in": "query", "required": False, "description": "Page size (1–500, default 50).",
         "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}
OFFSET = {"name": "offset", "in": "query", "required": False, "description": "Items to skip.",
          "schema": {"type": "integer", "minimum": 0, "default": 0}}
CURIE = {"name": "curie", "in": "path", "required": True, "description": "An osteokg CURIE such as OSTEOKG:0000106.",
         "schema": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.\\-]+$"}, "example": "OSTEOKG:0000106"}


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
RDF_VIEWS = {t: {"schema": {"type": "string"}} for t in ("application/ld+json", "text/turtle", "application/n-triples", "text/html")}


def list_route(summary: str, item: str, parameters: list[dict], tags: list[str], extra_errors: dict | None = None) -> dict:
    return {"get": {"summary": summary, "tags": tags, "parameters": parameters,
                    "responses": {"200": ok(summary, page_of(item)), **ERRORS, **(extra_errors or {})}}}


def hierarchy(word: str) -> dict:
    return list_route(f"The {word} of an entity.", "Ref", [CURIE, LANG, LIMIT, OFFSET], ["hierarchy"], NOT_FOUND)


def document() -> dict:
    sparql_params = [
        {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE). Without it: the service description."},
        {"name": "default-graph-uri", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "Not supported: the dataset is fixed (400)."},
        {"name": "named-graph-uri", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "Not supported: the dataset is fixed (400)."},
    ]
    sparql_results = {t: {"schema": {"type": "string"}} for t in (
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
        "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")}
    sparql_errors = {"400": problem("Malformed query, an update, a SERVICE clause, a dataset parameter, a query nested "
                                    "deeper than the limit, or a query that is not UTF-8."),
                     "406": problem("No acceptable result format."),
                     "413": problem("The query (or request body, however framed) is larger than the request-size cap."),
                     "414": problem("The query string is too long."),
                     "415": problem("Unsupported request body type."),
                     "422": problem("The answer has more rows than the row cap."),
                     "500": problem("The query process crashed while answering (the detail names the signal)."),
                     "503": problem("All query processes are busy (see Retry-After), or the query ran out of memory."),
                     "504": problem("The query ran past the time limit.")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "osteokg API", "version": "0.1.0",
                 "description": "A clinical reference knowledge graph for osteoporotic fractures and osteonecrosis: "
                                "SPARQL 1.1 endpoint, clinical REST routes and linked-data pages. Reference and education, "
                                "not a medical device.",
                 "license": {"name": "CC BY 4.0 (content), MIT (code)", "identifier": "CC-BY-4.0"}},
        "paths": {
            **CDS_PATHS,  # the CDS Hooks door documents its own routes (api/cds.py)
            **CHANGES_PATHS,  # the change feed documents its own routes (api/changes.py)
            "/health": {"get": {"summary": "Ready once the graph is loaded.", "tags": ["service"],
                                "responses": {"200": ok("Ready.", "Health")}}},
            "/version": {"get": {"summary": "Ontology version, build time and graph hash.", "tags": ["service"],
                                 "responses": {"200": ok("Version.", "Version")}}},
            "/ontology": {"get": {"summary": "The ontology's HTML documentation (generated by the build).", "tags": ["service"],
                                  "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}},
                                                **NOT_FOUND}}},
            "/ontology/{name}": {"get": {
                "summary": "A release file: osteokg.ttl, .nt, .jsonld, .owl, osteokg.sssom.tsv, osteokg_nodes.tsv, osteokg_edges.tsv (KGX), qc-report.tsv, review.html and review.tsv (the clinician's review sheet).",
                "tags": ["service"],
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": list(DOWNLOADS)}}],
                "responses": {"200": {"description": "The file.", "content": {t: {"schema": {"type": "string"}} for t in
                                                                         sorted(set(DOWNLOADS.values()))}}, **NOT_FOUND}}},
            "/openapi.json": {"get": {"summary": "This document.", "tags": ["service"],
                                      "responses": {"200": ok("OpenAPI 3.1.", {"type": "object"})}}},
            "/docs": {"get": {"summary": "This document as a readable page.", "tags": ["service"],
                              "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
            "/sparql": {
                "get": {"summary": "SPARQL 1.1 query (or the service description).", "tags": ["sparql"], "parameters": sparql_params,
                        "responses": {"200": {"description": "Results, negotiated by Accept.", "content": sparql_results}, **sparql_errors}},
                "post": {"summary": "SPARQL 1.1 query by POST (form-encoded or application/sparql-query).", "tags": ["sparql"],
                         "parameters": sparql_params[1:],
                         "requestBody": {"required": False, "content": {
                             "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}},
                             "application/sparql-query": {"schema": {"type": "string"}}}},
                         "responses": {"200": {"description": "Results, negotiated by Accept.", "content": sparql_results}, **sparql_errors}},
            },
            "/entities/{curie}": {"get": {
                "summary": "An entity: labels, definitions, synonyms, categories, cross-references, parents, relations.",
                "tags": ["entities"], "parameters": [CURIE, LANG],
                "responses": {"200": ok("The entity (JSON by default; JSON-LD, Turtle, N-Triples, HTML by Accept).", "Entity", RDF_VIEWS),
                              **ERRORS, **NOT_FOUND}}},
            "/entities": {"get": {
                "summary": "An entity by its full IRI.", "tags": ["entities"],
                "parameters": [{"name": "iri", "in": "query", "required": True, "schema": {"type": "string", "format": "iri"}}, LANG],
                "responses": {"200": ok("The entity.", "Entity", RDF_VIEWS), **ERRORS, **NOT_FOUND}}},
            "/OSTEOKG_{digits}": {"get": {
                "summary": "An osteokg IRI's own path: 303 See Other to the entity.", "tags": ["entities"],
                "parameters": [{"name": "digits", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^\\d{7}$"}}],
                "responses": {"303": {"description": "See the entity."}, **NOT_FOUND}}},
            "/entities/{curie}/relations": list_route(
                "Relations of an entity, each with predicate, other end, asserted or inferred, strength, and evidence "
                "(source, quote, strength, evidence kind, review status, condition, context, in combination with, "
                "quantified by; for inferred evidence the rule and the premise edge).", "Edge",
                [CURIE, LANG, LIMIT, OFFSET,
                 {"name": "predicate", "in": "query", "required": False, "schema": {"type": "string"}, "description": "A relation CURIE (see /relations)."},
                 {"name": "direction", "in": "query", "required": False, "schema": {"type": "string", "enum": ["out", "in", "both"], "default": "both"}},
                 {"name": "inferred", "in": "query", "required": False, "schema": {"type": "string", "enum": ["any", "true", "false"], "default": "any"}},
                 {"name": "strength", "in": "query", "required": False, "schema": {"type": "string", "enum": list(STRENGTHS)},
                  "description": "Only edges of this strength (the strongest of their evidence): " + ", ".join(STRENGTHS)
                                 + ", strongest first. Any other value: 400 with the allowed values."}],
                ["entities"], NOT_FOUND),
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
                [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
                 {"name": "category", "in": "query", "required": False, "schema": {"type": "string"}, "description": "A category CURIE (see /categories)."},
                 LANG, LIMIT, OFFSET], ["search"]),
            "/suggest": {"get": {
                "summary": "Search-as-you-type: the entities whose label, synonym or code (or one of its words) starts "
                           "with q, exact matches first, in the order of /search; no total (a suggestion list, not a "
                           "page of all hits).",
                "tags": ["search"],
                "parameters": [{"name": "q", "in": "query", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 200}}, LANG,
                               {"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "default": 10}}],
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
                "responses": {"200": ok("The nodes and edges.", "Neighbourhood"), **ERRORS, **NOT_FOUND}}},
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
            "/statements": list_route(
                "Quantitative statements (typed numbers with population, outcome, time frame) and clinical notes, with evidence.",
                "Statement",
                [{"name": "kind", "in": "query", "required": False, "schema": {"type": "string", "enum": ["quantitative", "note", "any"], "default": "quantitative"}},
                 {"name": "about", "in": "query", "required": False, "schema": {"type": "string"}, "description": "Only statements about this CURIE."},
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
                                      "relations": {"type": "array", "items": {"$ref": "#/components/schemas/RelationSummary"}},
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
            "Edge": {"type": "object", "required": ["direction", "subject", "predicate", "object", "inferred", "strength", "evidence"],
                     "properties": {"direction": {"type": "string", "enum": ["out", "in"]},
                                    "subject": {"$ref": "#/components/schemas/Ref"}, "predicate": {"$ref": "#/components/schemas/Ref"},
                                    "object": {"$ref": "#/components/schemas/Ref"}, "inferred": {"type": "boolean"},
                                    "strength": {"$ref": "#/components/schemas/Strength",
                                                 "description": "The strongest strength among the edge's evidence."},
                                    "evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}}}},
            "RelationSummary": {"type": "object", "required": ["predicate", "target", "inferred", "strength"],
                                "properties": {"predicate": {"type": "string"}, "predicate_label": {"type": ["string", "null"]},
                                               "target": {"$ref": "#/components/schemas/Ref"}, "inferred": {"type": "boolean"},
                                               "strength": {"$ref": "#/components/schemas/Strength"}}},
            "Relation": {"type": "object", "properties": {
                "id": {"type": "string"}, "label": {"type": ["string", "null"]},
                "inverse": {"oneOf": [{"$ref": "#/components/schemas/Ref"}, {"type": "null"}]},
                "mappings": {"type": "array", "items": {"type": "object"}},
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
            "Code": {"type": "object", "required": ["id", "iri", "match", "label"],
                     "description": "A code of another terminology the entity cross-references, with the match's "
                                    "precision and the code's official label (as its terminology writes it, in English; "
                                    "ontology/code-labels.tsv), null where the graph has none (a Biolink class).",
                     "properties": {"id": {"type": "string", "examples": ["ICD10WHO:M87"]}, "iri": {"type": "string"},
                                    "match": {"type": "string", "enum": list(MATCHES.values())},
                                    "label": {"type": ["string", "null"], "examples": ["Osteonecrosis"]}}},
            "Xref": {"type": "object", "properties": {"id": {"type": "string"}, "label": {"type": ["string", "null"]},
                                                      "match": {"type": "string"}, "code": {"type": "string"}}},
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
            "Statement": {"type": "object", "required": ["id", "kind"],
                          "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "label": {"type": ["string", "null"]},
                                         "statementKind": {"type": "string"}, "value": {"type": "number"},
                                         "minValue": {"type": "number"}, "maxValue": {"type": "number"}, "unit": {"type": "string"},
                                         "evidence": {"$ref": "#/components/schemas/StatementEvidence"}}},
        }},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())


@bp.get("/docs")
def docs():
    return render_template("docs.html", spec=document(), base=request.host_url.rstrip("/"))
