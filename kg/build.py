"""The build: sources → asserted graph → HermiT → materialized graph → SHACL → QC → ``build/`` artefacts.

Nothing is written until every step has passed, and the artefacts are swapped into place as a
whole, so a failed build leaves the previous ``build/`` untouched.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.compose import compose
from kg.errors import QCFailed, ReleaseError, ValidationFailed
from kg.materialize import Materialization, is_upper_category, materialize
from kg.reason import reason
from kg.vocab import CLINICAL_NOTE, OKG, ONTOLOGY_IRI, OSTEOKG, PREFIXES, QUANTITATIVE_STATEMENT

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
BUILD_DIR = ROOT / "build"
ARTEFACTS = {
    "osteokg.ttl": "turtle",
    "osteokg.nt": "nt",
    "osteokg.jsonld": "json-ld",
    "osteokg.owl": "xml",
}
MANIFEST = "manifest.json"
LOCATIONS = "locations.json"
SSSOM, KGX_DIR, DOCS_DIR, QC_REPORT = "osteokg.sssom.tsv", "kgx", "docs", "qc-report.tsv"

Progress = Callable[[str], None]


@dataclass
class Built:
    """A graph built in memory, with where its entities came from and what the build counted."""

    graph: Graph
    locations: dict[str, str]
    counts: dict[str, object] = field(default_factory=dict)


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
    composition = compose(ontology_dir)
    progress(f"read {ontology_dir}: {len(composition.locations)} terms and statements, "
             f"{composition.relation_rows} relation rows ({len(composition.graph)} triples)")
    inference = reason(composition.graph)
    progress(f"HermiT: consistent, no unsatisfiable classes; {len(inference.subclass_links)} inferred parents")
    materialization = materialize(composition.graph, inference.subclass_links)
    progress(f"materialized {materialization.asserted} asserted and {materialization.inferred} inferred edges "
             f"({time.perf_counter() - started:.1f} s)")
    graph = composition.graph
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return Built(graph, composition.locations, counts(graph, materialization, len(composition.rejected)))


def check(built: Built, progress: Progress = _quiet):
    """Validate ``built`` against the shapes; return the report (raise nothing)."""
    from kg.validate import validate  # pyshacl is imported only when validating

    report = validate(built.graph, locations=built.locations)
    progress(f"SHACL: {'conforms' if report.conforms else f'{len(report.findings)} finding(s)'}")
    return report


def qc(built: Built, progress: Progress = _quiet):
    """Run the QC checks of kg/queries/qc on ``built``; return the report (raise nothing)."""
    from kg.report import run_report
    from kg.report import summary as qc_summary

    report = run_report(built.graph, built.locations)
    progress(qc_summary(report))
    return report


def graph_hash(nt_path: Path) -> str:
    """SHA-256 of the sorted N-Triples with blank-node labels removed: equal graphs, equal hashes."""
    lines = sorted(nt_path.read_text(encoding="utf-8").splitlines())
    digest = hashlib.sha256()
    for line in lines:
        if "_:" not in line:
            digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def write(built: Built, out_dir: Path, progress: Progress = _quiet, qc_report=None, review=None) -> list[Path]:
    """Serialize ``built`` (and its SSSOM, KGX, docs, QC report and review sheet) into ``out_dir``
    atomically: everything is written into a sibling folder, which then replaces ``out_dir`` as a whole."""
    from kg.docs import write_docs
    from kg.export import write_kgx, write_sssom

    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    extra_names: list[str] = []
    try:
        for name, fmt in ARTEFACTS.items():
            kwargs = {"auto_compact": True} if fmt == "json-ld" else {}
            built.graph.serialize(staging / name, format=fmt, encoding="utf-8", **kwargs)
            progress(f"serialized {name}")
        extra = [write_sssom(built.graph, staging / SSSOM), *write_kgx(built.graph, staging / KGX_DIR),
                 write_docs(built.graph, staging / DOCS_DIR)]
        if qc_report is not None:
            from kg.report import write_tsv

            extra.append(write_tsv(qc_report, staging / QC_REPORT))
        if review is not None:
            from kg.review import write_review

            extra.extend(write_review(review, staging))
        extra_names = [p.relative_to(staging).as_posix() for p in extra]
        progress(f"exported {', '.join(extra_names)}")
        manifest = {
            "ontology": ONTOLOGY_IRI,
            "version_iri": str(built.graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "graph_sha256": graph_hash(staging / "osteokg.nt"),
            "counts": built.counts,
            "artefacts": sorted([*ARTEFACTS, *extra_names]),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (staging / LOCATIONS).write_text(json.dumps(built.locations, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        previous = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}")
        if out_dir.exists():
            out_dir.rename(previous)
        staging.rename(out_dir)
        shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir / name for name in [*ARTEFACTS, *extra_names, MANIFEST, LOCATIONS]]


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

    return built, write(built, out_dir, progress, qc_report, review_rows(built.graph, ontology_dir))


def summary(built: Built) -> str:
    def show(value: object) -> str:
        return ", ".join(f"{k} {v}" for k, v in value.items()).join("()") if isinstance(value, dict) else str(value)

    return ", ".join(f"{key.replace('_', ' ')} {show(value)}" for key, value in built.counts.items())


__all__ = ["BUILD_DIR", "ONTOLOGY_DIR", "Built", "QCFailed", "ReleaseError", "ValidationFailed", "build", "build_graph", "check", "qc", "write",
           "summary", "graph_hash"]
