"""The served release as a Flask resource: each request bound to one release, and the reload triggers.

The release being served and the swap to the next are :mod:`kg.service.serving` (door-independent);
this module binds every request to one :class:`Served` for its whole life (:class:`Bind`, the
outermost WSGI layer, puts it in the environ before the response cache or Flask sees the request), so
no answer mixes two releases; :func:`served` gives that release (store, manifest, id, folder) and
:func:`service` its questions. :func:`watch` runs the checks in a server's worker: every
``RELOAD_INTERVAL`` seconds under ``WATCH`` (``osteokg serve --watch``), and at once on ``SIGUSR1``.

``STORE`` (``OSTEOKG_STORE``) is a store selector (:func:`kg.store.open_store`): ``oxigraph`` (the
default) or ``rdflib`` over the release, ``oxigraph:PATH``, ``rdflib:PATH``, or a SPARQL 1.1 endpoint
URL; the release's manifest and files come from ``BUILD_DIR`` in every case.
"""
from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Callable, Iterable

from flask import Flask, current_app, has_request_context, request
from werkzeug.wsgi import ClosingIterator

from kg.service import Release, Service
from kg.service.serving import Hook, Releases, Served

__all__ = ["Bind", "Hook", "Releases", "Served", "bind", "bound", "init_app", "register", "releases_of", "served",
           "service", "watch"]

EXTENSION = "osteokg"  # the current release (its store, manifest, id), for code outside a request
SERVICE = "osteokg_service"  # the service over it
RELEASES = "osteokg_releases"  # the Releases holder
ENVIRON = "osteokg.served"  # the Served a request is bound to
RELOAD_SIGNAL = signal.SIGUSR1
DRAIN_GRACE = 5.0  # seconds beyond the longest request (a SPARQL query, a slow body) a drain waits


class Bind:
    """The outermost WSGI layer: binds each request to the release current when it arrives, until its answer
    has been sent (the response cache and Flask both read it from the environ)."""

    def __init__(self, app: Callable, releases: Releases) -> None:
        self.app, self.releases = app, releases

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        served = self.releases.acquire()
        environ[ENVIRON] = served
        try:
            result = self.app(environ, start_response)
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
    """Make :class:`Bind` the outermost WSGI layer (after the response cache is in place)."""
    app.wsgi_app = Bind(app.wsgi_app, app.extensions[RELEASES])  # type: ignore[method-assign]


def watch(app: Flask) -> Releases:
    """In a server's worker: check for a new release every ``RELOAD_INTERVAL`` s under ``WATCH``, and on
    ``SIGUSR1`` always (where this runs in the main thread, as it does in a granian worker)."""
    releases: Releases = app.extensions[RELEASES]
    watching = bool(app.config.get("WATCH"))  # typed by kg.settings (OSTEOKG_WATCH=0 is False)
    releases.start_watching(float(app.config["RELOAD_INTERVAL"]) if watching else None)  # typed, >= 0.05
    if threading.current_thread() is threading.main_thread():
        signal.signal(RELOAD_SIGNAL, releases.wake)
    return releases


def releases_of(app: Flask) -> Releases:
    return app.extensions[RELEASES]


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
