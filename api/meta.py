"""The service's own routes: health, version."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.graph import served

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health():
    """Ready: the graph is loaded (a process answers only once it has opened the graph)."""
    return jsonify(status="ok", triples=served().triples)


@bp.get("/version")
def version():
    manifest = served().manifest
    return jsonify(
        ontology=manifest.get("ontology"),
        version_iri=manifest.get("version_iri"),
        built_at=manifest.get("built_at"),
        graph_sha256=manifest.get("graph_sha256"),
        store=served().store.name,
        counts=manifest.get("counts", {}),
    )
