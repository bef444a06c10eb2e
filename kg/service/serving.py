"""Serving releases one after another: the release being served, and swapping in the next (hot reload).

Door-independent (no Flask): the HTTP API uses it (:mod:`api.graph` binds each request to one
:class:`Served` and triggers :meth:`Releases.check`), and so can any later door that serves a build
folder. :meth:`Releases.check` resolves the build folder's ``current`` pointer; when that names
another release it opens it whole (:class:`kg.service.Service`), runs the doors' ``on_warm`` hooks
(e.g. starting its SPARQL query processes), swaps it in, runs the ``on_swap`` hooks (e.g. clearing a
response cache), and drains the old one: its ``on_close`` hooks run once its last request has
finished (at most ``drain_patience`` seconds later). A release that cannot be opened is logged and
changes nothing served.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from kg.releases import release_dir
from kg.service.questions import Service
from kg.service.release import Release

log = logging.getLogger("osteokg.reload")


class Served:
    """One release as a door serves it: the service over it, the resources doors attach to it (the SPARQL
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

    def __init__(self, build_dir: Path, store: str, drain_patience: float) -> None:
        self.build_dir = Path(build_dir)
        self.store = store
        self.drain_patience = drain_patience  # seconds a drained release waits for its last request
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
            for swapped in self.on_swap:
                swapped()
            self.reloads += 1
            log.info("serving release %s (was %s)", fresh.release.id, old.release.id)
        threading.Thread(target=self._drain, args=(old,), name="osteokg-drain", daemon=True).start()
        return True

    def _drain(self, old: Served) -> None:
        patience = self.drain_patience
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
