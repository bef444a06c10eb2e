"""Releases on disk: the layout of a build folder, a release's id, and checking one before it is served.

A build folder (``osteokg build --out DIR``) holds versioned releases::

    DIR/releases/<release id>/   every artefact of one build (osteokg.nt, …, manifest.json, docs/, kgx/)
    DIR/current                  a symlink to the release being served, switched atomically by the build
    DIR/osteokg.nt …             a link per artefact through ``current`` (the paths users know)

A server resolves ``current`` once when it opens a release (:func:`release_dir`) and reads every
file from that folder, so it never mixes two releases; it holds the release open
(:func:`mark_in_use`) so that :func:`prune` keeps it while it is served. A folder without
``current`` (the old flat layout, a copy made without symlinks, a test fixture) is one release.
This module is light (no reasoner, no SHACL): the API imports it; :mod:`kg.build` writes releases.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from kg.errors import ReleaseError

ARTEFACTS = {
    "osteokg.ttl": "turtle",
    "osteokg.nt": "nt",
    "osteokg.jsonld": "json-ld",
    "osteokg.owl": "xml",
}
MANIFEST = "manifest.json"
LOCATIONS = "locations.json"  # where each entity was read: the checkout's paths, not part of what is served


#: what a release holds for serving, derived from its graph by kg.service.documents.write_serving_files (the graph
#: counts in the release id, so these do not: an on-disk store or an index is not byte-for-byte reproducible)
DOCUMENTS, SEARCH_INDEX, DISK_STORE = "documents.lmdb", "search.sqlite", "oxigraph"
SERVING = (DOCUMENTS, SEARCH_INDEX, DISK_STORE)

RELEASES, CURRENT = "releases", "current"
#: releases kept in a build folder: the current one and the newest before it (a release a live server has open is
#: kept too, whatever its age)
KEEP_RELEASES = 3


def canonical_hash(nt_path: Path) -> str:
    """SHA-256 of the graph in ``nt_path`` canonicalized with its blank nodes (RDF canonicalization, by
    pyoxigraph): what :func:`graph_hash` leaves out, the evidence nodes, counts here too."""
    import pyoxigraph

    dataset = pyoxigraph.Dataset(pyoxigraph.parse(path=str(nt_path), format=pyoxigraph.RdfFormat.N_TRIPLES))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.UNSTABLE)
    digest = hashlib.sha256()
    for quad in sorted(str(quad) for quad in dataset):
        digest.update(quad.encode("utf-8") + b"\n")
    return digest.hexdigest()


def serving_formats() -> str:
    """The formats this code writes the serving files in (the entities' documents, the search index): for the release
    id (:func:`release_id`: a code change that writes them another way gives the same graph another id) and the
    manifest (``serving_formats``: ``osteokg serve`` rebuilds a folder whose files this code cannot read)."""
    from kg.search import FORMAT as SEARCH_FORMAT
    from kg.service.documents import FORMAT as DOCUMENTS_FORMAT

    return f"documents {DOCUMENTS_FORMAT}; search {SEARCH_FORMAT}"


def release_id(folder: Path, formats: str = "") -> str:
    """The id of the release in ``folder``: 16 hex digits of a SHA-256 over its graph (canonicalized, blank
    nodes included) and every other file's path and content but the manifest's (which holds the build time),
    ``locations.json`` (the checkout's paths), the graph's four serializations (whose blank-node labels
    differ from build to build) and the files written for serving (:data:`SERVING`, derived from the graph), and
    ``formats``: the formats of those serving files (the build gives them), so that code writing them another way
    gives another id, and a build never keeps an older release of the same graph whose files this code cannot read.
    The same sources and code give the same id; any change to the graph, an evidence quote, a derived file or a
    serving file's format, another."""
    digest = hashlib.sha256(canonical_hash(folder / "osteokg.nt").encode("ascii"))
    if formats:
        digest.update(b"formats\0" + formats.encode("utf-8") + b"\0")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative in (MANIFEST, LOCATIONS) or relative in ARTEFACTS or relative.split("/", 1)[0] in SERVING:
            continue
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def is_release_root(folder: Path) -> bool:
    """True when ``folder`` holds releases under a ``current`` pointer (a folder of the old flat layout, or a
    copy made without its symlinks, is one release itself)."""
    return (folder / CURRENT).is_symlink() and (folder / RELEASES).is_dir()


def release_dir(folder: Path) -> Path:
    """The release folder ``folder`` serves: the target of its ``current`` pointer, resolved once (so that a
    server reads every file from one release while the pointer moves on), or ``folder`` itself when it has none."""
    folder = Path(folder)
    pointer = folder / CURRENT
    if not pointer.is_symlink():
        return folder
    target = pointer.resolve()
    if not target.is_dir():
        raise ReleaseError(pointer, f"points to {os.readlink(pointer)}, which is not there; rebuild with `osteokg build`")
    return target


def _newest_first(root: Path) -> list[tuple[Path, dict]]:
    """The release folders of ``root`` with their manifests ({} for one that cannot be read), newest first: by build
    time (``built_at``, to the second), then by when the manifest was written (two builds in one second), then by
    id. The one order both :func:`releases` (what pinning keeps, :mod:`kg.service.pinned`) and :func:`prune` (what
    it removes) read, so a release a server still counts as kept is never the one pruned."""
    found = []
    for folder in (root / RELEASES).iterdir():
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            written = (folder / MANIFEST).stat().st_mtime_ns
        except (OSError, ValueError):
            manifest, written = {}, 0
        if not isinstance(manifest, dict):
            manifest = {}
        found.append((str(manifest.get("built_at") or ""), written, folder.name, folder, manifest))
    found.sort(key=lambda entry: entry[:3], reverse=True)
    return [(folder, manifest) for *_key, folder, manifest in found]


def releases(root: Path) -> list[dict]:
    """The releases of the build folder ``root``, newest first (:func:`_newest_first`): id, build time, graph hash,
    counts' triples, whether it is current and whether a live process holds it open."""
    if not is_release_root(root):
        return []
    current = release_dir(root)
    return [{"release": folder.name, "built_at": manifest.get("built_at"),
             "graph_sha256": manifest.get("graph_sha256"), "triples": (manifest.get("counts") or {}).get("triples"),
             "current": folder == current, "in_use": in_use(folder)}
            for folder, manifest in _newest_first(root)]


def switch(root: Path, identifier: str) -> Path:
    """Make ``root/current`` point to ``releases/<identifier>`` (checked first: :func:`verify`) by renaming a new
    symlink over the old, so there is no moment without a pointer; give it a link ``root/<name>`` →
    ``current/<name>`` for each of its top-level entries, and remove links to names it no longer has. A server
    watching ``root`` then serves it (a rollback is a switch to an older release). Return the release folder."""
    target = root / RELEASES / identifier
    if not identifier or "/" in identifier or identifier.startswith(".") or not target.is_dir():
        known = ", ".join(r["release"] for r in releases(root)) or "none"
        raise ReleaseError(target, f"no such release in {root} (releases: {known})")
    verify(target)
    names = sorted(p.name for p in target.iterdir())
    for name in names:  # links first: until current switches, a new name's link dangles (harmless)
        link = root / name
        if not link.is_symlink() and not link.exists():
            link.symlink_to(Path(CURRENT) / name)
    while True:
        temporary = root / f".{CURRENT}-new-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            temporary.symlink_to(Path(RELEASES) / identifier, target_is_directory=True)
            break
        except FileExistsError:
            continue
    try:
        os.replace(temporary, root / CURRENT)
    finally:
        if temporary.is_symlink():
            temporary.unlink()
    for link in root.iterdir():
        if (link.is_symlink() and link.name not in names and link.name != CURRENT
                and os.readlink(link) == str(Path(CURRENT) / link.name)):
            link.unlink()
    return target


#: in a store URL, the id of the release being served (or loaded): one named graph per release in a shared store
RELEASE_PLACEHOLDER = "{release}"


def release_of(folder: Path) -> str:
    """The id of the release in ``folder`` (``manifest.json``'s ``release``; the graph hash's first 16 hex digits
    for a folder built before releases); :class:`ReleaseError` when it has no readable manifest."""
    manifest_path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReleaseError(manifest_path, f"cannot be read ({exc}): no release to name") from exc
    identifier = ""
    if isinstance(manifest, dict):
        identifier = manifest.get("release") or str(manifest.get("graph_sha256") or "")[:16]
    if not identifier:
        raise ReleaseError(manifest_path, "records neither a release nor a graph hash")
    return identifier


def fill(url: str, folder: Path) -> str:
    """``url`` with :data:`RELEASE_PLACEHOLDER` replaced by the id of the release in ``folder`` (unchanged without
    one): ``…/sparql?default-graph-uri=https://w3id.org/osteokg/graph/{release}`` names the release's own graph."""
    return url.replace(RELEASE_PLACEHOLDER, release_of(folder)) if RELEASE_PLACEHOLDER in url else url


def graph_hash(nt_path: Path) -> str:
    """SHA-256 of the sorted N-Triples with blank-node labels removed: equal graphs, equal hashes."""
    lines = sorted(nt_path.read_text(encoding="utf-8").splitlines())
    digest = hashlib.sha256()
    for line in lines:
        if "_:" not in line:
            digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks: what :func:`verify` checks a served graph file against (the
    graph hash sorts every line of it, ~10 s at a million triples; this reads it once, ~0.3 s)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def in_use(release: Path) -> bool:
    """True when a live process holds the release open (:func:`mark_in_use`)."""
    import fcntl

    try:
        fd = os.open(release / MANIFEST, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def mark_in_use(release: Path) -> int | None:
    """Hold the release in ``release`` open against :func:`prune` (a shared lock on its manifest, gone when the
    process ends); return the descriptor to close when done, or None for a folder that is not a release."""
    import fcntl

    try:
        fd = os.open(release / MANIFEST, os.O_RDONLY)
    except OSError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def prune(out_dir: Path, keep: int = KEEP_RELEASES) -> list[Path]:
    """Remove the releases of ``out_dir`` but the current one, the newest ``keep - 1`` others (in the order
    :func:`releases` lists them) and those in use."""
    if not is_release_root(out_dir):
        return []
    current = release_dir(out_dir)
    removed = []
    ordered = [folder for folder, _manifest in _newest_first(out_dir) if folder != current]
    for index, release in enumerate(ordered):
        if release.is_symlink():  # another folder's release, linked in: not this build folder's to remove
            continue
        if index < keep - 1 or in_use(release):
            continue
        shutil.rmtree(release, ignore_errors=True)
        removed.append(release)
    return removed


def verify(out_dir: Path) -> dict:
    """Check a written build before it is served: its ``osteokg.nt`` must have the file hash its
    ``manifest.json`` records (``nt_sha256``; the graph hash, ``graph_sha256``, for a build written before
    it). Return the manifest; raise :class:`ReleaseError` naming the damaged
    or missing file (a truncated graph would otherwise fail later, in every worker, naming none).
    A release root is checked in the release its ``current`` names."""
    out_dir = release_dir(out_dir)
    manifest_path, graph_path = out_dir / MANIFEST, out_dir / "osteokg.nt"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseError(manifest_path, "missing: not a finished build (build one with `osteokg build`)") from None
    except (OSError, ValueError) as exc:
        raise ReleaseError(manifest_path, f"cannot be read: {exc}; rebuild with `osteokg build`") from exc
    recorded = manifest if isinstance(manifest, dict) else {}
    fast = isinstance(recorded.get("nt_sha256"), str)
    expected = recorded.get("nt_sha256") if fast else recorded.get("graph_sha256")
    if not isinstance(expected, str):
        raise ReleaseError(manifest_path, "records no graph_sha256; rebuild with `osteokg build`")
    try:
        actual = file_hash(graph_path) if fast else graph_hash(graph_path)
    except FileNotFoundError:
        raise ReleaseError(graph_path, f"missing, though {MANIFEST} lists it; rebuild with `osteokg build`") from None
    except UnicodeDecodeError as exc:
        raise ReleaseError(graph_path, f"damaged: not UTF-8 text ({exc.reason}); rebuild with `osteokg build`") from exc
    except OSError as exc:
        raise ReleaseError(graph_path, f"cannot be read: {exc.strerror or exc}") from exc
    if actual != expected:
        kind = "file hash" if fast else "graph hash"
        raise ReleaseError(graph_path, f"damaged or changed since it was built: its {kind} is {actual[:12]}…, "
                                       f"{MANIFEST} records {expected[:12]}…; rebuild with `osteokg build`")
    return manifest
