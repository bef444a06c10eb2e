"""The change feed: ``GET /changes?since=<release>`` (JSON) and ``GET /changes.atom?since=<release>`` (Atom 1.0).

A thin door over :mod:`kg.service.changes`: what the release being served says differently from a release
kept in the build folder (``since``: its id as ``/version`` gives it; without it, the newest kept release
before the current one). 400 for a malformed id, 404 for one not kept (the detail lists the kept ones).
Both answers are cacheable: they change only with the release served.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from api import cache, graph
from api.params import only
from kg.service.changes import Changes, atom

bp = Blueprint("changes", __name__)
EXTENSION = "osteokg_changes"
ATOM = "application/atom+xml"


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


_SINCE = {"name": "since", "in": "query", "required": False,
          "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
          "description": "A kept release's id (as /version gives it); default: the newest kept before the current."}
#: a changed edge: the Edge as the newer release gives it, and what changed (Edge is closed: its keys are restated here)
_CHANGED_EDGE = {"type": "object", "required": ["changed", "before"],
                 "properties": {"changed": {"type": "array", "items": {"enum": ["evidence", "inferred", "strength"]}},
                                "before": {"type": "object"}}}
#: these routes' OpenAPI paths, for api/openapi.py's document to include
OPENAPI_PATHS: dict = {
    "/changes": {"get": {
        "summary": "What changed from a kept release to the one served: edges, statements, terms (JSON).",
        "tags": ["releases"], "parameters": [_SINCE],
        "responses": {"200": {"description": "The changes; each edge in the one shape of an edge (Edge), a changed "
                                             "one with the keys that differ (changed) and their older values (before).",
                              "content": {"application/json": {"schema": {
                                  "type": "object", "required": ["from", "to", "edges", "statements", "terms"],
                                  "properties": {"edges": {
                                      "type": "object", "required": ["added", "removed", "changed"],
                                      "properties": {
                                          "added": {"type": "array", "items": {"$ref": "#/components/schemas/Edge"}},
                                          "removed": {"type": "array", "items": {"$ref": "#/components/schemas/Edge"}},
                                          "changed": {"type": "array", "items": _CHANGED_EDGE}}}}}}}},
                      "400": _problem("since is not a release id."),
                      "404": _problem("That release is not kept (the detail lists the kept ones), or none is.")}}},
    "/changes.atom": {"get": {
        "summary": "The same changes as an Atom 1.0 feed, one entry per change.",
        "tags": ["releases"], "parameters": [_SINCE],
        "responses": {"200": {"description": "The feed.", "content": {ATOM: {"schema": {"type": "string"}}}},
                      "400": _problem("since is not a release id."),
                      "404": _problem("That release is not kept, or none is.")}}},
}


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Changes(Path(app.config["BUILD_DIR"]))


def _changes() -> dict:
    only("since")
    return current_app.extensions[EXTENSION].since(graph.service(), request.args.get("since"))


@bp.get("/changes")
def changes() -> Response:
    return cache.mark(jsonify(_changes()))


@bp.get("/changes.atom")
def changes_atom() -> Response:
    answer = _changes()
    return cache.mark(Response(atom(answer, request.url), mimetype=ATOM))
