"""The CDS Hooks 2.0 door: discovery at ``GET /cds-services`` and the services at ``POST /cds-services/{id}``.

A thin layer over :mod:`kg.service.cds` (which holds the rules and builds the cards from the graph):
this module reads the JSON body and the language (``Accept-Language``, nl or en; ``?lang=`` too) and
maps the logic's errors to the spec's status codes — 400 with a message for a malformed request,
412 when required prefetch is missing and the service cannot fetch it, 404 for an unknown service —
as problem+json, never a 500. CORS comes from api/http.py (every answer; preflight answered by Flask).
Not yet here: the JWT bearer check and the feedback endpoint (docs/cds-hooks.md).
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from api import graph
from api.errors import problem
from api.params import language
from kg.service.cds import CDS, Malformed, PrefetchMissing

bp = Blueprint("cds", __name__)


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


#: these routes' OpenAPI paths, for api/openapi.py's document to include (``**cds.OPENAPI_PATHS``)
OPENAPI_PATHS: dict = {
    "/cds-services": {"get": {
        "summary": "CDS Hooks 2.0 discovery: the services, their hooks and prefetch templates.", "tags": ["cds-hooks"],
        "responses": {"200": {"description": "The services (docs/cds-hooks.md).",
                              "content": {"application/json": {"schema": {"type": "object", "required": ["services"]}}}}}}},
    "/cds-services/{service_id}": {"post": {
        "summary": "Call a CDS service (patient-view, order-select, order-sign) with a CDS Hooks request.",
        "tags": ["cds-hooks"],
        "parameters": [{"name": "service_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["hook", "hookInstance", "context"]}}}},
        "responses": {"200": {"description": "The cards (an empty list when nothing applies).",
                              "content": {"application/json": {"schema": {"type": "object", "required": ["cards"]}}}},
                      "400": _problem("The request is malformed; the detail names the field."),
                      "404": _problem("No such service."),
                      "412": _problem("Required prefetch is missing and the service cannot fetch it.")}}},
}


def _cds() -> CDS:
    return CDS(graph.service())


@bp.get("/cds-services")
def discovery() -> Response:
    return jsonify(_cds().discovery())


@bp.post("/cds-services/<service_id>")
def call(service_id: str) -> Response:
    lang = language()
    body = request.get_json(silent=True)
    if body is None:
        return problem(400, "Bad Request", "the request body must be JSON (Content-Type: application/json)")
    try:
        return jsonify(_cds().call(service_id, body, lang))
    except Malformed as error:
        return problem(400, "Bad Request", str(error))
    except PrefetchMissing as error:
        return problem(412, "Precondition Failed", str(error))
