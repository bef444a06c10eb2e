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
