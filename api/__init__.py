"""osteokg's HTTP API: a Flask application factory.

Configuration comes from defaults (:mod:`kg.settings`, docs/settings.md), then ``OSTEOKG_*`` environment
variables (a known setting parsed as its type: ``OSTEOKG_SPARQL_TIMEOUT=abc`` is a
:class:`kg.settings.SettingError` naming the variable), then the test config. Importing this package
imports neither the build nor what only the build needs (owlready2, pyshacl); tests/api/test_imports.py
checks it. The served graph is opened once per process (``api.graph``); blueprints add the SPARQL
endpoint, the REST routes, the linked-data pages and the service's own metadata.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from kg import settings

#: the config defaults: the ``api`` settings of :mod:`kg.settings` (the one table of OSTEOKG_* settings)
DEFAULTS: dict[str, Any] = settings.defaults("api")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("OSTEOKG")  # any OSTEOKG_* (JSON-decoded where it parses) ...
    app.config.from_mapping(settings.from_environ("api"))  # ... the known ones typed, or a SettingError naming it
    if test_config:
        app.config.from_mapping(test_config)
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own provider, the one with these two options
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
    from api import changes

    app.register_blueprint(changes.bp)  # the change feed between kept releases (api/changes.py)
    changes.init_app(app)
    from api import cds

    app.register_blueprint(cds.bp)  # CDS Hooks 2.0 (api/cds.py)
    cds.init_app(app)
    from api import explorer

    explorer.init_app(app)  # the pages for people (/, /questions, and HTML for a browser on the routes above)
    from api import front, metrics

    front.init_app(app)  # the hot entity routes from the release's documents, below Flask (api/front.py)
    from api.cache import EXTENSION as CACHE
    from api.cache import ResponseCache

    cache = ResponseCache(metrics.behind_cache(app.wsgi_app), app.config["RESPONSE_CACHE_SIZE"])
    app.wsgi_app = metrics.before_cache(cache)  # type: ignore[method-assign]  # (the metrics see its hits)
    app.extensions[CACHE] = cache
    graph.releases_of(app).on_swap.append(cache.clear)  # a new release: no answer of the old one is kept
    graph.bind(app)  # each request bound to one release, for the cache and the views alike
    metrics.init_app(app)  # /metrics, and every answer counted and logged (api/metrics.py)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:  # behind a reverse proxy: the client's address and scheme from its X-Forwarded-*, outermost, so that
        # every layer below sees the client: the access log, the per-client SPARQL limits, and what is mounted
        # under the metrics layer (/mcp, api.mcp_server.mount)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
