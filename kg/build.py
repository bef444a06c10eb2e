"""The build: sources → asserted graph → HermiT → materialized graph → SHACL → QC → a release in ``build/``.

Nothing is written until every step has passed. A build folder holds versioned releases::

    build/releases/<release id>/   every artefact of one build (osteokg.nt, …, manifest.json, docs/, kgx/)
    build/current                  a symlink to the release being served, switched atomically
    build/osteokg.nt …             a link per artefact through ``current`` (the paths users know)

A release is written whole into a staging folder, named by its release id (a hash of its files:
the same sources and code give the same id), and only then does ``current`` switch to it, by one
``rename`` of a symlink: there is no moment without a release, and a failed build changes nothing
served. A server opens the release ``current`` names once (:func:`release_dir`) and reads every
file from that folder, so it never mixes two releases. The newest :data:`KEEP_RELEASES` releases
are kept, and any release a live server has marked as in use (:func:`mark_in_use`).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.compose import compose
from kg.errors import QCFailed, ReleaseError, ValidationFailed
from kg.materialize import Materialization, materialize
from kg.reason import reason
from kg.releases import (
    ARTEFACTS,
    CURRENT,
    KEEP_RELEASES,
    LOCATIONS,
    MANIFEST,
    RELEASES,
    file_hash,
    graph_hash,
    in_use,
    is_release_root,
    mark_in_use,
    prune,
    release_dir,
    release_id,
    serving_formats,
    switch,
    verify,
)
from kg.settings import (  # re-exported; the folders are kg.settings'
    BUILD_DIR,
    ONTOLOGY_DIR,
    ROOT,
)
from kg.vocab import (
    CLINICAL_NOTE,
    OKG,
    ONTOLOGY_IRI,
    OSTEOKG,
    PREFIXES,
    QUANTITATIVE_STATEMENT,
    is_upper_category,
)

SSSOM, KGX_DIR, DOCS_DIR, QC_REPORT = "osteokg.sssom.tsv", "kgx", "docs", "qc-report.tsv"

Progress = Callable[[str], None]


@dataclass
class Built:
    """A graph built in memory, with where its entities came from and what the build counted."""

    graph: Graph
    locations: dict[str, str]
    counts: dict[str, object] = field(default_factory=dict)
    #: seconds per stage, in the order they ran (written to the manifest as ``timings``; bench/build_bench.py)
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the stage ``name`` (added to an earlier one of that name)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def _quiet(_: str) -> None:
    pass


def counts(graph: Graph, materialization: Materialization, rejected: int = 0) -> dict[str, object]:
    """The figures a closing note or /version wants: entities, edges (asserted per strength, inferred per
    rule), statements, quotes, and the rows a reviewer rejected (left out of the graph)."""
    classes = {s for s in graph.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef) and s.startswith(str(OSTEOKG))}
    categories = {c for c in classes if is_upper_category(c)}
    return {
        "triples": len(graph),
        "terms": len(classes - categories),
        "upper_categories": len(categories),
        "relations": sum(1 for p in graph.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)),
        "asserted_edges": materialization.asserted,
        "inferred_edges": materialization.inferred,
        "inferred_subclass_links": materialization.subclass_inferred,
        "asserted_edges_by_strength": materialization.by_strength,
        "inferred_edges_by_rule": materialization.by_rule,
        "rejected_rows": rejected,
        "quantitative_statements": sum(1 for _ in graph.subjects(RDF.type, QUANTITATIVE_STATEMENT)),
        "clinical_notes": sum(1 for _ in graph.subjects(RDF.type, CLINICAL_NOTE)),
        "distinct_quotes": len({str(q) for q in graph.objects(None, OKG.quote)}),
    }


def build_graph(ontology_dir: Path = ONTOLOGY_DIR, progress: Progress = _quiet) -> Built:
    """Compose, reason and materialize; no validation, nothing written."""
    started = time.perf_counter()
    timer = Built(Graph(), {})  # the stages' times, until the graph is built
    with timer.stage("compose"):
        composition = compose(ontology_dir)
    progress(f"read {ontology_dir}: {len(composition.locations)} terms and statements, "
             f"{composition.relation_rows} relation rows ({len(composition.graph)} triples)")
    with timer.stage("reason"):
        inference = reason(composition.graph)
    progress(f"HermiT: consistent, no unsatisfiable classes; {len(inference.subclass_links)} inferred parents")
    with timer.stage("materialize"):
        materialization = materialize(composition.graph, inference.subclass_links)
    progress(f"materialized {materialization.asserted} asserted and {materialization.inferred} inferred edges "
             f"({time.perf_counter() - started:.1f} s)")
    graph = composition.graph
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return Built(graph, composition.locations, counts(graph, materialization, len(composition.rejected)),
                 timer.timings)


def check(built: Built, progress: Progress = _quiet):
    """Validate ``built`` against the shapes; return the report (raise nothing)."""
    from kg.validate import validate  # pyshacl is imported only when validating

    with built.stage("validate"):
        report = validate(built.graph, locations=built.locations)
    progress(f"SHACL: {'conforms' if report.conforms else f'{len(report.findings)} finding(s)'}")
    return report


def qc(built: Built, progress: Progress = _quiet):
    """Run the QC checks of kg/queries/qc on ``built``; return the report (raise nothing)."""
    from kg.report import run_report
    from kg.report import summary as qc_summary

    with built.stage("qc"):
        report = run_report(built.graph, built.locations)
    progress(qc_summary(report))
    return report


def write(built: Built, out_dir: Path, progress: Progress = _quiet, qc_report=None, review=None) -> list[Path]:
    """Write ``built`` (and its SSSOM, KGX, docs, QC report and review sheet) as a new release of the build
    folder ``out_dir``, then point ``out_dir/current`` at it.

    Everything is written into a staging folder first, which becomes ``releases/<release id>`` by a
    rename; ``current`` then switches by renaming a new symlink over it. A first build (or one over a
    folder of the old flat layout) makes the whole folder in a sibling and swaps it in. A file that
    cannot be written (a full disk) is a :class:`ReleaseError` naming it, and leaves ``out_dir`` as it
    was. No staging or old folder is left behind, and those a crashed earlier build left are removed
    first. ``out_dir`` gets the mode a plain ``mkdir`` would give it under the process's umask. Return
    the paths of the artefacts as users name them (``out_dir/osteokg.nt`` …, links through ``current``)."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out_dir)
    rooted = is_release_root(out_dir)
    root = out_dir if rooted else _sibling(out_dir, "new", create=True)
    try:
        releases = root / RELEASES
        releases.mkdir(exist_ok=True)
        staging = _sibling(releases / "release", "new", create=True)
        try:
            names = _write_release(built, staging, out_dir, progress, qc_report, review)
            identifier = _place(staging, releases)
        finally:
            _IN_USE.discard(staging)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        switch(root, identifier)
        if not rooted:
            _swap(root, out_dir)
    finally:
        _IN_USE.discard(root)
        if not rooted and root.exists():
            shutil.rmtree(root, ignore_errors=True)
    remove_stale(out_dir)  # an old folder kept above while it might have been the only copy
    prune(out_dir)
    progress(f"release {identifier} is current in {out_dir}")
    return [out_dir / name for name in names]


def _write_release(built: Built, staging: Path, out_dir: Path, progress: Progress, qc_report, review) -> list[str]:
    """Every artefact of one release into ``staging``; the names written, the manifest and locations last."""
    from kg.docs import write_docs
    from kg.export import write_kgx, write_sssom
    from kg.service.documents import write_serving_files

    writing = staging  # what is being written, for the message when it cannot be
    try:
        for name, fmt in ARTEFACTS.items():
            kwargs: dict[str, Any] = {"auto_compact": True} if fmt == "json-ld" else {}  # the serializer's options
            writing = staging / name
            with built.stage("serialize"):
                built.graph.serialize(writing, format=fmt, encoding="utf-8", **kwargs)
            progress(f"serialized {name}")
        writing = staging / SSSOM
        with built.stage("export"):
            extra = [write_sssom(built.graph, writing)]
            writing = staging / KGX_DIR
            extra.extend(write_kgx(built.graph, writing))
            writing = staging / DOCS_DIR
            extra.append(write_docs(built.graph, writing))
        if qc_report is not None:
            from kg.report import write_tsv

            writing = staging / QC_REPORT
            with built.stage("export"):
                extra.append(write_tsv(qc_report, writing))
        if review is not None:
            from kg.review import write_review

            writing = staging
            with built.stage("export"):
                extra.extend(write_review(review, staging))
        # the on-disk store, the search index, the entities' documents: an error without a file name (the store's, from
        # Rust) names the release folder, not one of the three it may not be (the reliability bench's full disk)
        writing = staging
        with built.stage("serving files"):
            extra.extend(write_serving_files(staging))
        extra_names = [p.relative_to(staging).as_posix() for p in extra]
        progress(f"exported {', '.join(extra_names)}")
        writing = staging / LOCATIONS
        writing.write_text(json.dumps(built.locations, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        writing = staging / "osteokg.nt"
        manifest = {
            "ontology": ONTOLOGY_IRI,
            "version_iri": str(built.graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "graph_sha256": graph_hash(writing),
            "nt_sha256": file_hash(writing),  # what serve checks before serving (kg.releases.verify)
            "release": _timed(built, "release id", release_id, staging, serving_formats()),
            "serving_formats": serving_formats(),  # what osteokg serve compares with its own (kg.cli._stale)
            "counts": built.counts,
            "timings": {name: round(seconds, 3) for name, seconds in built.timings.items()},
            "artefacts": sorted([*ARTEFACTS, *extra_names]),
        }
        writing = staging / MANIFEST
        writing.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        target = Path(exc.filename) if isinstance(exc.filename, str) else writing
        if target.is_relative_to(staging):  # name the file as users name it, not its staging copy
            target = out_dir / target.relative_to(staging)
        raise ReleaseError(target, f"cannot write: {exc.strerror or exc} (the new build was being written "
                                   f"in {staging.name}, now removed; {out_dir} left as it was)") from exc
    return [*ARTEFACTS, *extra_names, MANIFEST, LOCATIONS]


def _timed(built: Built, name: str, function: Callable, *args: Any) -> Any:
    with built.stage(name):
        return function(*args)


def _place(staging: Path, releases: Path) -> str:
    """Rename ``staging`` to ``releases/<its id>``; a whole release of that id already there is kept (the same
    files), a damaged one replaced. Return the id."""
    identifier = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))["release"]
    final = releases / identifier
    if final.is_dir():
        try:
            verify(final)
            return identifier  # the same release again: nothing to replace (staging is removed by the caller)
        except ReleaseError:
            aside = _sibling(releases / "release", "old")
            final.rename(aside)
            try:
                staging.rename(final)
            except BaseException:
                aside.rename(final)
                raise
            finally:
                _IN_USE.discard(aside)
            shutil.rmtree(aside, ignore_errors=True)
            return identifier
    staging.rename(final)
    return identifier


#: the staging and old folders this process is using now (any other is stale once its process is gone)
_IN_USE: set[Path] = set()


def _sibling(out_dir: Path, kind: str, create: bool = False) -> Path:
    """A fresh ``.<name>-<kind>-<pid>-<random>`` next to ``out_dir``; with ``create``, made by a plain
    ``mkdir`` (the umask's mode, where ``tempfile.mkdtemp`` would make it 0700)."""
    while True:
        path = out_dir.with_name(f".{out_dir.name}-{kind}-{os.getpid()}-{secrets.token_hex(4)}")
        if create:
            try:
                path.mkdir()
            except FileExistsError:
                continue
        elif path.exists() or path.is_symlink():
            continue
        _IN_USE.add(path)
        return path


def _swap(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` in the place of ``out_dir``; on any failure ``out_dir`` is put back as it was."""
    previous = None
    try:
        if out_dir.exists() or out_dir.is_symlink():
            previous = _sibling(out_dir, "old")
            out_dir.rename(previous)
        staging.rename(out_dir)
    except BaseException:
        if previous is not None and previous.exists() and not out_dir.exists():
            previous.rename(out_dir)
            _IN_USE.discard(previous)
        raise  # a previous build that could not be put back stays in use, never removed by this process
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)  # what cannot be removed now goes with the next build
        _IN_USE.discard(previous)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, under another user
        return True
    return True


def remove_stale(out_dir: Path) -> list[Path]:
    """Remove the staging and old folders (``.<name>-new-<pid>…``, ``.<name>-old-<pid>…``) that a
    build which crashed left next to ``out_dir``: those whose process is gone, or that are this
    process's but no longer in use. Nothing else is touched: not another name, not a file or a
    symlink, not a folder of a build that is still running."""
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}-(?:new|old)-(\d+)(?:-[0-9a-f]{{8}})?")
    removed = _remove_stale_inside(out_dir)
    for sibling in out_dir.parent.iterdir():
        found = pattern.fullmatch(sibling.name)
        if not found or sibling.is_symlink() or not sibling.is_dir() or sibling in _IN_USE:
            continue
        if "-old-" in sibling.name and not out_dir.exists():  # a swap that failed midway: the only copy left
            continue
        pid = int(found.group(1))
        if pid != os.getpid() and _running(pid):
            continue
        shutil.rmtree(sibling, ignore_errors=True)
        removed.append(sibling)
    return removed


def _stale(name: str, pattern: re.Pattern, path: Path) -> bool:
    found = pattern.fullmatch(name)
    if not found or path in _IN_USE:
        return False
    pid = int(found.group(1))
    return pid == os.getpid() or not _running(pid)


def _remove_stale_inside(out_dir: Path) -> list[Path]:
    """What a crashed build left inside a release root: staging and old releases (``releases/.release-new-…``,
    ``.release-old-…``) and a temporary pointer (``.current-new-…``) of a process that is gone."""
    if not is_release_root(out_dir):
        return []
    removed = []
    folders = re.compile(r"\.release-(?:new|old)-(\d+)-[0-9a-f]{8}")
    for path in (out_dir / RELEASES).iterdir():
        if path.is_dir() and not path.is_symlink() and _stale(path.name, folders, path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    pointers = re.compile(rf"\.{CURRENT}-new-(\d+)-[0-9a-f]{{8}}")
    for path in out_dir.iterdir():
        if path.is_symlink() and _stale(path.name, pointers, path):
            path.unlink()
            removed.append(path)
    return removed


def build(ontology_dir: Path = ONTOLOGY_DIR, out_dir: Path = BUILD_DIR, progress: Progress = _quiet) -> tuple[Built, list[Path]]:
    """The whole build; raises (and writes nothing) when a step fails."""
    built = build_graph(ontology_dir, progress)
    report = check(built, progress)
    if not report.conforms:
        raise ValidationFailed(report)
    qc_report = qc(built, progress)
    if qc_report.errors:
        raise QCFailed(qc_report)
    from kg.review import review_rows

    with built.stage("review"):
        review = review_rows(built.graph, ontology_dir)
    return built, write(built, out_dir, progress, qc_report, review)


def summary(built: Built) -> str:
    def show(value: object) -> str:
        return ", ".join(f"{k} {v}" for k, v in value.items()).join("()") if isinstance(value, dict) else str(value)

    return ", ".join(f"{key.replace('_', ' ')} {show(value)}" for key, value in built.counts.items())


__all__ = ["BUILD_DIR", "CURRENT", "KEEP_RELEASES", "ONTOLOGY_DIR", "RELEASES", "Built", "QCFailed", "ReleaseError",
           "ValidationFailed", "build", "build_graph", "check", "graph_hash", "in_use", "is_release_root", "mark_in_use",
           "prune", "qc", "release_dir", "release_id", "remove_stale", "summary", "switch", "verify", "write"]
