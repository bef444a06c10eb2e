"""osteokg's HTTP API: a Flask application factory.

Configuration comes from defaults, then ``OSTEOKG_*`` environment variables, then the test
config. The served graph is opened once per process (``api.graph``); blueprints add the SPARQL
endpoint, the REST routes, the linked-data pages and the service's own metadata.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from kg.build import BUILD_DIR

DEFAULTS: dict[str, Any] = {
    "BUILD_DIR": str(BUILD_DIR),
    "STORE": "oxigraph",  # a store selector (kg.store): oxigraph[:PATH], rdflib[:PATH] or a SPARQL 1.1 endpoint URL
    "BASE_URL": "http://127.0.0.1:8000/",  # the public address: the SPARQL service description's sd:endpoint
    "SPARQL_TIMEOUT": 10.0,  # seconds a /sparql query may run
    "SPARQL_MAX_ROWS": 10_000,  # rows (or triples) a /sparql answer may hold
    "SPARQL_WORKERS": 2,  # query processes per API process (a runaway query blocks one, not the API)
    "SPARQL_MAX_MEMORY": 1024**3,  # bytes a query process may grow above its loaded size
    "SPARQL_MAX_QUERY_STRING": 32 * 1024,  # a GET query string (granian refuses 64 KiB URIs bare)
    "MAX_CONTENT_LENGTH": 64 * 1024,  # request bodies, incl. a POSTed query
    "BODY_TIMEOUT": 5.0,  # seconds a request body may take to arrive (then 408): slow clients cannot hold the threads
    "PAGE_MAX": 500,
    "PAGE_DEFAULT": 50,
    "CACHE_MAX_AGE": 300,
    "RESPONSE_CACHE_SIZE": 4096,  # rendered GET answers kept per process (the graph changes only with a build)
    "CORS_ORIGIN": "*",
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("OSTEOKG")
    if test_config:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    from api import errors, graph, http, meta

    errors.init_app(app)
    graph.init_app(app)
    http.init_app(app)
    app.register_blueprint(meta.bp)
    from api import entities, openapi, sparql

    app.register_blueprint(openapi.bp)

    app.register_blueprint(sparql.bp)
    sparql.init_app(app)
    app.register_blueprint(entities.bp)
    from api.cache import ResponseCache

    app.wsgi_app = ResponseCache(app.wsgi_app, app.config["RESPONSE_CACHE_SIZE"])  # type: ignore[method-assign]
    return app
