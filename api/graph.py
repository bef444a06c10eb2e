"""The served release as a Flask resource: each request bound to one release, and the reload triggers.

The release being served and the swap to the next are :mod:`kg.service.serving` (door-independent);
this module binds every request to one :class:`Served` for its whole life (:class:`Bind`, the
outermost WSGI layer, puts it in the environ before the response cache or Flask sees the request), so
no answer mixes two releases; :func:`served` gives that release (store, manifest, id, folder) and
:func:`service` its questions. A GET that names a kept release (``?release=<id or version>``,
:mod:`kg.service.pinned`) is bound to that one instead, so every view, the response cache (whose key
holds the bound release's id) and the lean path below Flask answer from it; the answer's
``X-Osteokg-Release`` and ETag name it. A ``release`` that cannot be served — malformed (400), not
kept (404), on ``/sparql`` (400: SPARQL answers the current release only; its query processes are
the current release's), or on a method other than GET and HEAD (400) — binds the request to the
current release and sends it straight to the Flask app (past the cache and the lean paths), whose
``before_request`` raises the refusal: a problem+json (or the error page for a browser) with CORS,
as every refusal is (a path or method the app has no route for is its 404 or 405 first). A kept
release that cannot be opened (a damaged folder) is logged and answered 503 the same way.

:func:`watch` runs the checks in a server's worker: every ``RELOAD_INTERVAL`` seconds under ``WATCH``
(``osteokg serve --watch``), and at once on ``SIGUSR1``.

``STORE`` (``OSTEOKG_STORE``) is a store selector (:func:`kg.store.open_store`): ``oxigraph`` (the
default) or ``rdflib`` over the release, ``oxigraph:PATH``, ``rdflib:PATH``, or a SPARQL 1.1 endpoint
URL; the release's manifest and files come from ``BUILD_DIR`` in every case.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qsl

from flask import Flask, current_app, has_request_context, request
from werkzeug.wsgi import ClosingIterator

from api.errors import Problem
from kg.service import BadValue, Release, Service, ServiceError
from kg.service.pinned import PARAMETER, Pinned
from kg.service.serving import Hook, Releases, Served

__all__ = ["Bind", "Hook", "Pinned", "Releases", "Served", "bind", "bound", "init_app", "pinned_of", "register",
           "releases_of", "served", "service", "watch"]

log = logging.getLogger("osteokg.api")
EXTENSION = "osteokg"  # the current release (its store, manifest, id), for code outside a request
SERVICE = "osteokg_service"  # the service over it
RELEASES = "osteokg_releases"  # the Releases holder
ENVIRON = "osteokg.served"  # the Served a request is bound to
REFUSED = "osteokg.release_refused"  # the environ's refusal of a request's ``release`` (raised by the Flask app)
PINNED = "osteokg_pinned"  # the kept releases opened for pinned requests (kg.service.pinned.Pinned)
#: paths whose answers come from the current release only: a refusal of ``release`` says why
CURRENT_ONLY = {"/sparql": "SPARQL answers the current release only (its query processes are the current "
                           "release's); send the query without 'release', or ask the REST routes with it"}
PINNABLE_METHODS = ("GET", "HEAD")
RELOAD_SIGNAL = signal.SIGUSR1
DRAIN_GRACE = 5.0  # seconds beyond the longest request (a SPARQL query, a slow body) a drain waits


class Bind:
    """The outermost WSGI layer: binds each request to the release current when it arrives — or to the kept
    release its ``release`` parameter names — until its answer has been sent (the response cache and Flask both
    read it from the environ). A refused ``release`` goes to ``direct`` (the Flask app alone; module docstring)."""

    def __init__(self, app: Callable, releases: Releases, pinned: Pinned | None = None,
                 direct: Callable | None = None) -> None:
        self.app, self.releases, self.pinned = app, releases, pinned
        self.direct = direct or app

    def _acquire(self, environ: dict) -> tuple[Served, Exception | None]:
        query = environ.get("QUERY_STRING", "")
        if self.pinned is None or (PARAMETER not in query and "%" not in query):  # "%": a name percent-encoded
            return self.releases.acquire(), None
        values = [value for name, value in parse_qsl(query, keep_blank_values=True) if name == PARAMETER]
        try:
            if not values:
                return self.releases.acquire(), None
            if environ.get("REQUEST_METHOD") == "OPTIONS":  # a CORS preflight: answered whatever the release
                return self.releases.acquire(), None
            if len(values) > 1:
                raise BadValue(PARAMETER, "given more than once; give it once")
            refused = CURRENT_ONLY.get(environ.get("PATH_INFO", ""))
            if refused is not None:
                raise BadValue(PARAMETER, refused)
            if environ.get("REQUEST_METHOD") not in PINNABLE_METHODS:
                raise BadValue(PARAMETER, "pins GET and HEAD requests only")
            return self.pinned.acquire(values[0]), None
        except ServiceError as refusal:
            return self.releases.acquire(), refusal
        except Exception:  # a kept release that cannot be opened: logged, a 503, never a traceback
            log.exception("could not open the kept release %r for a pinned request", values[0][:40])
            return self.releases.acquire(), Problem(503, "Service Unavailable", f"release {values[0][:40]} is kept "
                                                    "but could not be opened here; the error was logged")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        served, refusal = self._acquire(environ)
        environ[ENVIRON] = served
        app = self.app
        if refusal is not None:
            environ[REFUSED] = refusal
            app = self.direct
        try:
            result = app(environ, start_response)
        except BaseException:
            served.leave()
            raise
        return ClosingIterator(result, served.leave)


def init_app(app: Flask) -> None:
    config = app.config
    patience = float(config["SPARQL_TIMEOUT"]) + float(config["BODY_TIMEOUT"]) + DRAIN_GRACE
    releases = Releases(Path(config["BUILD_DIR"]), str(config["STORE"]), patience)
    app.extensions[RELEASES] = releases

    def swapped() -> None:  # code outside a request reads the current release here
        app.extensions[EXTENSION], app.extensions[SERVICE] = releases.current.release, releases.current.service

    releases.on_swap.append(swapped)
    swapped()
    app.extensions[PINNED] = Pinned(releases)

    @app.before_request
    def _release_refused() -> None:  # Bind's refusal of this request's ``release``, answered as any refusal is
        refusal = request.environ.get(REFUSED)
        if refusal is not None and request.routing_exception is None:  # no such route or method: the app's 404/405
            raise refusal


def register(app: Flask, on_open: Hook | None = None, on_warm: Hook | None = None,
             on_close: Hook | None = None) -> None:
    """Attach a door's per-release resources: ``on_open`` runs for the current release now and for each new one."""
    releases: Releases = app.extensions[RELEASES]
    for hooks, hook in ((releases.on_open, on_open), (releases.on_warm, on_warm), (releases.on_close, on_close)):
        if hook is not None:
            hooks.append(hook)
    if on_open is not None:
        on_open(releases.current)


def bind(app: Flask) -> None:
    """Make :class:`Bind` the outermost WSGI layer (after the response cache is in place); a refused ``release``
    goes to the Flask app's own WSGI callable, past the cache and the lean paths."""
    direct = Flask.wsgi_app.__get__(app)
    app.wsgi_app = Bind(app.wsgi_app, app.extensions[RELEASES], app.extensions[PINNED],  # type: ignore[method-assign]
                        direct)


def watch(app: Flask) -> Releases:
    """In a server's worker: check for a new release every ``RELOAD_INTERVAL`` s under ``WATCH``, and on
    ``SIGUSR1`` always (where this runs in the main thread, as it does in a granian worker)."""
    releases: Releases = app.extensions[RELEASES]
    watching = bool(app.config.get("WATCH"))  # typed by kg.settings (OSTEOKG_WATCH=0 is False)
    releases.start_watching(float(app.config["RELOAD_INTERVAL"]) if watching else None)  # typed, >= 0.05
    if threading.current_thread() is threading.main_thread():
        signal.signal(RELOAD_SIGNAL, releases.wake)
    return releases


def pinned_release() -> str | None:
    """The ``release`` this request was pinned by, as it gave it (None outside a request, without one, or when it was
    refused): what the links of its page carry (:mod:`api.explorer`)."""
    if not has_request_context() or request.environ.get(REFUSED) is not None:
        return None
    return request.args.get(PARAMETER) or None


def releases_of(app: Flask) -> Releases:
    return app.extensions[RELEASES]


def pinned_of(app: Flask) -> Pinned:
    return app.extensions[PINNED]


def _bound() -> Served:
    if has_request_context():
        served = request.environ.get(ENVIRON)
        if served is not None:
            return served
    return current_app.extensions[RELEASES].current


def bound() -> Served:
    """The release this request is bound to (outside a request, the current one)."""
    return _bound()


def service() -> Service:
    return _bound().service


def served() -> Release:
    return _bound().release
