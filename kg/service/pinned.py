"""Pinning a request to a kept release: ``release=<id or version>`` → the :class:`Served` of that release.

Door-independent (no Flask): :mod:`api.graph` calls :meth:`Pinned.acquire` for a request that names a release, and
binds it to what comes back, so every view, the response cache and the lean paths answer from that release.

- **What a value names.** A release id (16 hexadecimal digits, as ``/version`` gives it) or a version: the
  version IRI's version segment (``https://w3id.org/osteokg/releases/0.1.0/osteokg.owl`` → ``0.1.0``,
  :func:`version_of`). Several kept releases can have one version (a rebuild with an edit but no new
  ``owl:versionIRI``): the version then names the current release if it has it, else the newest kept one.
  The current release, by its id or its version, is simply the current :class:`Served` (nothing opened).
- **What is kept.** The current release and the newest ``KEEP_RELEASES - 1`` others of the build folder,
  newest first by build time (:func:`kg.releases.releases`, cut at :data:`kg.releases.KEEP_RELEASES`): what
  ``osteokg build`` keeps when it prunes. A release outside that window is not kept, even while its folder is
  still on disk (a live process holding it open keeps it from being pruned): the answer is the same
  :class:`NotFound` a pruned one gets, so a client sees one rule, not the timing of the prune.
- **Opened once, bounded.** A kept release other than the current is opened whole (:class:`Service`, over its own
  folder) on its first request and kept in an LRU of ``size`` (default ``KEEP_RELEASES``) entries. One evicted,
  or no longer kept, is closed once its last request has finished (at most ``drain_patience`` seconds, as a
  reloaded release is drained), which lets its folder go (:func:`kg.releases.mark_in_use`) so the next prune
  removes it. Pinned releases get no door resources (no SPARQL query processes: ``/sparql`` answers the current
  release only).
- **Errors.** A malformed value is :class:`BadValue` (400); a well-formed one that names no kept release is
  :class:`NotFound` (404) whose message lists the kept ids and versions.

Thread-safe: a lookup takes a lock for a dictionary read; opening a release (tens of milliseconds with its
documents) is done once per release under a lock of its own, while other pinned requests go on.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path

from kg.releases import (
    CURRENT,
    KEEP_RELEASES,
    RELEASE_PLACEHOLDER,
    RELEASES,
    is_release_root,
    releases,
)
from kg.service.changes import RELEASE_ID
from kg.service.questions import Service
from kg.service.serving import Releases, Served
from kg.service.values import BadValue, NotFound

log = logging.getLogger("osteokg.pinned")

PARAMETER = "release"
#: seconds between two looks at the build folder for the kept releases (a request in between reads the last look)
LOOK_AGAIN = 1.0
#: a version, as a version IRI's version segment spells it (0.1.0, 2026.12, 1.0.0-rc.1)
VERSION = re.compile(r"[0-9][0-9A-Za-z.+-]{0,39}")
#: the two as one pattern (the OpenAPI document's, so that a value of the right shape is never refused as malformed)
PATTERN = rf"^(?:{RELEASE_ID.pattern}|{VERSION.pattern})$"


def version_of(manifest: dict) -> str | None:
    """A release's version: its manifest's ``version`` when it records one, else the version IRI's segment after
    ``/releases/`` (``…/releases/0.1.0/osteokg.owl`` → ``0.1.0``), else the IRI's last segment; None without one."""
    if isinstance(manifest.get("version"), str) and manifest["version"]:
        return manifest["version"]
    iri = manifest.get("version_iri")
    if not isinstance(iri, str) or not iri.strip("/"):
        return None
    parts = [part for part in iri.split("/") if part]
    if "releases" in parts[:-1]:
        return parts[parts.index("releases") + 1]
    return parts[-1]


def check(value: str) -> str:
    """``value`` if it has the shape of a release id or a version, else :class:`BadValue`."""
    if value == "":
        raise BadValue(PARAMETER, "is empty; give a release id or a version, or leave the parameter out")
    if not (RELEASE_ID.fullmatch(value) or VERSION.fullmatch(value)):
        raise BadValue(PARAMETER, f"'{value[:40]}' is neither a release id (16 hexadecimal digits, as /version "
                                  f"gives it) nor a version (as 0.1.0)")
    return value


class Pinned:
    """The kept releases of ``releases``' build folder, each opened once, by id or version (module docstring)."""

    def __init__(self, releases: Releases, size: int = KEEP_RELEASES) -> None:
        self.releases = releases
        self.size = max(1, size)
        self.opened = 0  # releases opened for pinning (the tests check that a repeat opens none)
        self._open: OrderedDict[str, Served] = OrderedDict()  # release id → its Served, least recently used first
        self._lock = threading.Lock()  # the dictionary
        self._opening = threading.Lock()  # one open at a time (rare: once per kept release)
        self._listing: tuple[tuple | None, str, float, list[dict]] | None = None  # stamp, current, until, kept

    # ------------------------------------------------------------ what is kept

    def kept(self) -> list[dict]:
        """The kept releases, newest first: ``release`` (id), ``version``, ``built_at``, ``current``. The current
        release comes first when the build folder has no releases (the flat layout). The folder is looked at
        again at most every :data:`LOOK_AGAIN` seconds (a swap of the current release at once): a build's new
        release, or its prune, is seen within that."""
        current = self.releases.current.release
        listing, now = self._listing, time.monotonic()
        if listing is not None and listing[1] == current.id and now < listing[2]:
            return listing[3]
        root = self.releases.build_dir
        if not is_release_root(root):
            kept = [{"release": current.id, "version": version_of(current.manifest),
                     "built_at": current.manifest.get("built_at"), "current": True}]
            self._listing = (None, current.id, now + LOOK_AGAIN, kept)
            return kept
        stamp = self._stamp(root)
        if listing is not None and listing[1] == current.id and listing[0] == stamp:
            self._listing = (stamp, current.id, now + LOOK_AGAIN, listing[3])
            return listing[3]
        found = releases(root)
        first = [r for r in found if r["release"] == current.id] or [
            {"release": current.id, "built_at": current.manifest.get("built_at")}]
        others = [r for r in found if r["release"] != current.id][: KEEP_RELEASES - 1]
        kept = [{"release": r["release"], "version": self._version(root, r["release"]),
                 "built_at": r.get("built_at"), "current": r["release"] == current.id}
                for r in [*first, *others]]
        self._listing = (stamp, current.id, now + LOOK_AGAIN, kept)
        return kept

    @staticmethod
    def _stamp(root: Path) -> tuple:
        """What the listing depends on in the folder: the releases folder (a release added or removed changes its
        mtime) and where ``current`` points."""
        try:
            return ((root / RELEASES).stat().st_mtime_ns, os.readlink(root / CURRENT))
        except OSError:
            return (None, None)

    @staticmethod
    def _version(root: Path, identifier: str) -> str | None:
        import json

        try:
            manifest = json.loads((root / RELEASES / identifier / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return version_of(manifest) if isinstance(manifest, dict) else None

    def resolve(self, value: str, kept: list[dict] | None = None) -> str:
        """The id of the kept release ``value`` names (module docstring); BadValue, NotFound."""
        check(value)
        kept = self.kept() if kept is None else kept
        if RELEASE_ID.fullmatch(value) and any(r["release"] == value for r in kept):
            return value
        named = [r for r in kept if r["version"] == value]
        if named:
            return next((r for r in named if r["current"]), named[0])["release"]
        listed = ", ".join(f"{r['release']} ({r['version']})" if r["version"] else r["release"] for r in kept)
        raise NotFound(f"release {value[:40]} is not kept here (the current release and the newest "
                       f"{KEEP_RELEASES - 1} before it are); kept: {listed or 'none'}", id=value)

    # ------------------------------------------------------------ serving them

    def acquire(self, value: str) -> Served:
        """The release ``value`` names, counted as in use until :meth:`Served.leave` (as
        :meth:`Releases.acquire`); BadValue for a malformed value, NotFound for one not kept."""
        check(value)
        kept = self.kept()
        self._forget_unkept(kept)  # first: a value that names a release no longer kept lets its folder go too
        identifier = self.resolve(value, kept)
        current = self.releases.acquire()
        if current.release.id == identifier:
            return current
        current.leave()
        served = self._entered(identifier)
        if served is not None:
            return served
        with self._opening:
            served = self._entered(identifier)
            if served is not None:
                return served
            fresh = Served(Service.open(self.releases.build_dir / RELEASES / identifier, self._store()))
            self.opened += 1
            fresh.enter()
            with self._lock:
                self._open[identifier] = fresh
                evicted = []
                while len(self._open) > self.size:
                    evicted.append(self._open.popitem(last=False)[1])
            for old in evicted:
                self._drain(old)
            log.info("opened release %s for pinned requests", identifier)
            return fresh

    def _entered(self, identifier: str) -> Served | None:
        with self._lock:
            served = self._open.get(identifier)
            if served is not None:
                self._open.move_to_end(identifier)
                served.enter()  # under the lock: an eviction after this waits for this request
        return served

    def _store(self) -> str:
        """The store a kept release is opened over: the server's engine over that release's own folder (a path in
        the server's selector names the current release), or a shared store's URL with a graph per release
        (:data:`kg.releases.RELEASE_PLACEHOLDER`). A remote store holding one release cannot serve another:
        :class:`BadValue`."""
        store = self.releases.store.strip()
        if store.lower().startswith(("http://", "https://")):
            if RELEASE_PLACEHOLDER in store:
                return store
            raise BadValue(PARAMETER, "this server answers from a remote store holding one release; only the "
                                      "current release can be asked for")
        return store.partition(":")[0]

    def _forget_unkept(self, kept: list[dict]) -> None:
        """Close the opened releases that are no longer kept (a newer build pushed them out)."""
        ids = {r["release"] for r in kept}
        with self._lock:
            gone = [identifier for identifier in self._open if identifier not in ids]
            dropped = [self._open.pop(identifier) for identifier in gone]
        for served in dropped:
            self._drain(served)

    def _drain(self, served: Served) -> None:
        """Close ``served`` once its last request has finished (in a thread: the caller is a request)."""
        def close() -> None:
            if not served.wait_idle(self.releases.drain_patience):
                log.warning("pinned release %s still had requests after %.0f s; closing it", served.release.id,
                            self.releases.drain_patience)
            served.release.close()

        threading.Thread(target=close, name="osteokg-unpin", daemon=True).start()

    def close(self) -> None:
        """Close every opened release now (the server is stopping)."""
        with self._lock:
            dropped = list(self._open.values())
            self._open.clear()
        for served in dropped:
            served.release.close()

    def held(self) -> list[str]:
        """The ids of the releases open for pinning, least recently used first."""
        with self._lock:
            return list(self._open)


__all__ = ["PARAMETER", "PATTERN", "RELEASE_ID", "VERSION", "Pinned", "check", "version_of"]
