"""The served release as a Flask resource, and hot reload.

kg builds a release whole when it is opened (:func:`kg.service.open_release`: the store, the
manifest, the index of labels, synonyms, categories and codes, the relations, strengths and
statements); this module keeps the one being served and swaps in the next.

Every request is bound to one release for its whole life (:class:`Bind`, the outermost WSGI layer,
puts it in the environ before the response cache or Flask sees the request), so no answer mixes
two releases; :func:`served` gives that release (store, manifest, id, folder) and :func:`service`
its questions. :class:`Releases` holds the current one. On :meth:`Releases.check` — from a
watcher thread every ``RELOAD_INTERVAL`` seconds under ``WATCH`` (``osteokg serve --watch``), and at
once on ``SIGUSR1`` — it resolves the build folder's ``current`` pointer; when that names another
release it opens it, warms it (its query processes start and load before it is served), swaps it
in, clears the response cache, and drains the old one: its resources (the SPARQL query processes)
are stopped once its last request has finished. A release that cannot be opened changes nothing
served (the error is logged; the next check tries again).

``STORE`` (``OSTEOKG_STORE``) is a store selector (:func:`kg.store.open_store`): ``oxigraph`` (the
default) or ``rdflib`` over the release, ``oxigraph:PATH``, ``rdflib:PATH``, or a SPARQL 1.1 endpoint
URL; the release's manifest and files come from ``BUILD_DIR`` in every case.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from flask import Flask, current_app, has_request_context, request
from werkzeug.wsgi import ClosingIterator

from kg.releases import release_dir
from kg.service import Release, Service

log = logging.getLogger("osteokg.reload")

EXTENSION = "osteokg"  # the current release (its store, manifest, id), for code outside a request
SERVICE = "osteokg_service"  # the service over it
RELEASES = "osteokg_releases"  # the Releases holder
ENVIRON = "osteokg.served"  # the Served a request is bound to
RELOAD_SIGNAL = signal.SIGUSR1
DRAIN_GRACE = 5.0  # seconds beyond the longest request (a SPARQL query, a slow body) a drain waits


class Served:
    """One release as the API serves it: the service over it, the resources doors attach to it (the SPARQL
    query pool), and how many requests are using it now."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.resources: dict[str, Any] = {}
        self._inflight = 0
        self._idle = threading.Condition()

    @property
    def release(self) -> Release:
        return self.service.release

    def enter(self) -> None:
        with self._idle:
            self._inflight += 1

    def leave(self) -> None:
        with self._idle:
            self._inflight -= 1
            if self._inflight <= 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request uses this release (at most ``timeout`` seconds); True when none does."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._inflight > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


Hook = Callable[[Served], None]


class Releases:
    """The release being served and the next one: open, warm, swap, drain."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.build_dir = Path(app.config["BUILD_DIR"])
        self.store = str(app.config["STORE"])
        self.on_open: list[Hook] = []  # attach a release's resources (cheap; nothing started)
        self.on_warm: list[Hook] = []  # start them before the release is served
        self.on_close: list[Hook] = []  # stop them once it is drained
        self.on_swap: list[Callable[[], None]] = []  # e.g. clear the response cache
        self._lock = threading.Lock()  # one check at a time
        self._wake = threading.Event()
        self._watcher: threading.Thread | None = None
        self.reloads = 0
        self.current = self._open()

    def _open(self) -> Served:
        served = Served(Service.open(self.build_dir, self.store))
        for hook in self.on_open:
            hook(served)
        return served

    def acquire(self) -> Served:
        """The current release, counted as in use until :meth:`Served.leave`."""
        while True:
            served = self.current
            served.enter()
            if served is self.current:  # not swapped out between reading and counting
                return served
            served.leave()

    def changed(self) -> bool:
        """True when the build folder's ``current`` names another release than the one served."""
        directory = self.current.release.directory
        try:
            return directory is not None and release_dir(self.build_dir) != directory
        except Exception:  # noqa: BLE001 - a pointer being replaced, a dangling one: not a new release yet
            return False

    def check(self) -> bool:
        """Swap in the release ``current`` names now, if it is another; True when one was swapped in."""
        with self._lock:
            if not self.changed():
                return False
            try:
                fresh = self._open()
                for hook in self.on_warm:
                    hook(fresh)
            except Exception:  # noqa: BLE001 - a release that cannot be opened changes nothing served
                log.exception("could not open the new release in %s; still serving %s", self.build_dir,
                              self.current.release.id)
                return False
            old, self.current = self.current, fresh
            self.app.extensions[EXTENSION], self.app.extensions[SERVICE] = fresh.release, fresh.service
            for swapped in self.on_swap:
                swapped()
            self.reloads += 1
            log.info("serving release %s (was %s)", fresh.release.id, old.release.id)
        threading.Thread(target=self._drain, args=(old,), name="osteokg-drain", daemon=True).start()
        return True

    def _drain(self, old: Served) -> None:
        config = self.app.config
        patience = float(config.get("SPARQL_TIMEOUT", 10)) + float(config.get("BODY_TIMEOUT", 5)) + DRAIN_GRACE
        if not old.wait_idle(patience):
            log.warning("release %s still had requests after %.0f s; stopping its resources", old.release.id, patience)
        self.close(old)

    def close(self, served: Served | None = None) -> None:
        """Stop a release's resources and let its folder go (the current one when none is given)."""
        served = served or self.current
        for hook in self.on_close:
            try:
                hook(served)
            except Exception:  # noqa: BLE001 - one resource failing to stop must not keep the others
                log.exception("stopping a resource of release %s failed", served.release.id)
        served.release.close()

    def wake(self, *_: object) -> None:
        """Check for a new release now (the ``SIGUSR1`` handler; safe in a signal handler: it only sets an event)."""
        self._wake.set()

    def start_watching(self, interval: float | None) -> None:
        """Run the watcher thread: a check every ``interval`` seconds (None: only when woken by :meth:`wake`)."""
        if self._watcher is not None:
            return

        def watch() -> None:
            while True:
                self._wake.wait(interval)
                self._wake.clear()
                try:
                    self.check()
                except Exception:  # noqa: BLE001 - the watcher must outlive any one failed check
                    log.exception("checking for a new release failed")

        self._watcher = threading.Thread(target=watch, name="osteokg-watch", daemon=True)
        self._watcher.start()


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
    releases = Releases(app)
    app.extensions[RELEASES] = releases
    app.extensions[EXTENSION], app.extensions[SERVICE] = releases.current.release, releases.current.service


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
