"""How long each stage of ``osteokg build`` takes, on the real graph and on graphs 10 and 100 times larger.

Stages on the real sources, in the order the build runs them: compose (tables → OWL), reason (HermiT
through owlready2), materialize, SHACL (the fast engine of :mod:`kg.validate`, and beside it, same
run, the reference engine: pyshacl alone, ``sh:sparql`` once per focus node), the QC queries, the review
rows, the four serializations (rdflib's, as the build writes them; pyoxigraph's beside them, same run,
for Turtle, N-Triples and RDF/XML), SSSOM, KGX, docs, the review sheet and the release id hash.

Then the graph-level stages on scaled graphs: ``--scales`` copies of the built graph (N-Triples), copy
k with every OSTEOKG_ IRI suffixed ``_k`` and every blank node relabelled, the upper categories,
sources and relations shared (``bench/store_bench.py``'s ``scale_graph(share_schema=True)``). The
copies' term IRIs no longer fit the shapes' ID pattern, so from ×10 on SHACL reports findings (their
number is in the table): the figures include writing them, as a build that fails would. Compose and
materialize read the tables, so they are timed on the real sources only; HermiT runs on the scaled
graph's class axioms (``kg.reason.reason``).

    python bench/build_bench.py [--scales 1 10 100] [--reference-up-to 10] [--out bench/results/build.md]

Writes ``build.md`` and ``build.json`` (seconds per stage per scale, one run, this machine's load noted).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


#: stages that refused the graph (e.g. KGX on a scaled copy), by stage: the first line of the error
FAILED: dict[str, str] = {}


def _timed(times: dict[str, float], name: str, run: Callable[[], Any]) -> Any:
    """Run one stage and record its seconds; a stage that raises is recorded as failed (None returned)."""
    started = time.perf_counter()
    try:
        result = run()
    except Exception as exc:  # noqa: BLE001 - a bench records what refused and goes on
        times[name] = round(time.perf_counter() - started, 3)
        FAILED[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(f"  {name:28s} failed after {times[name]:.3f} s: {FAILED[name]}", flush=True)
        return None
    times[name] = round(time.perf_counter() - started, 3)
    print(f"  {name:28s} {times[name]:8.3f} s", flush=True)
    return result


def _oxigraph_serializations(nt: Path, out: Path, times: dict[str, float]) -> None:
    import pyoxigraph as ox

    from kg.store import OxigraphStore

    loaded = _timed(times, "pyoxigraph load (nt)", lambda: OxigraphStore.from_file(nt, ox.RdfFormat.N_TRIPLES))
    for name, fmt in (("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("xml", ox.RdfFormat.RDF_XML)):
        _timed(times, f"pyoxigraph serialize {name}",
               lambda fmt=fmt, name=name: loaded.store.dump(output=str(out / f"ox.{name}"), format=fmt,
                                                            from_graph=ox.DefaultGraph()))


def graph_stages(graph, out: Path, reference: bool, times: dict[str, float], info: dict[str, Any],
                 locations: dict[str, str] | None = None, ontology: Path | None = None) -> None:
    """The stages that take the built graph, timed into ``times``."""
    from kg.docs import write_docs
    from kg.export import write_kgx, write_sssom
    from kg.reason import reason
    from kg.releases import ARTEFACTS, canonical_hash, release_id
    from kg.report import run_report, write_tsv
    from kg.review import review_rows, write_review
    from kg.validate import findings, load_shapes, run_shacl, shape_count

    shapes = load_shapes()
    info["triples"] = len(graph)
    if ontology is None:  # the scaled graph: HermiT on its class axioms (compose and materialize need the tables)
        _timed(times, "reason (HermiT)", lambda: reason(graph))
    _conforms, results = _timed(times, "SHACL (fast)", lambda: run_shacl(graph, shapes, engine="fast"))
    found = findings(results, graph, shapes, locations)
    info["findings"] = len(found)
    if reference:
        _, ref = _timed(times, "SHACL (reference: pyshacl)", lambda: run_shacl(graph, shapes, engine="reference"))
        info["reference_findings_equal"] = findings(ref, graph, shapes, locations) == found
    _ = shape_count(shapes)
    qc = _timed(times, "QC queries", lambda: run_report(graph, locations or {}))
    rows = _timed(times, "review rows", lambda: review_rows(graph, ontology)) if ontology is not None else None
    for name, fmt in ARTEFACTS.items():
        kwargs: dict[str, Any] = {"auto_compact": True} if fmt == "json-ld" else {}
        _timed(times, f"serialize {fmt} (rdflib)",
               lambda name=name, fmt=fmt, kwargs=kwargs: graph.serialize(out / name, format=fmt, encoding="utf-8", **kwargs))
    _oxigraph_serializations(out / "osteokg.nt", out, times)
    _timed(times, "SSSOM", lambda: write_sssom(graph, out / "osteokg.sssom.tsv"))
    _timed(times, "KGX", lambda: write_kgx(graph, out / "kgx"))
    _timed(times, "docs", lambda: write_docs(graph, out / "docs"))
    _timed(times, "QC TSV", lambda: write_tsv(qc, out / "qc-report.tsv"))
    if rows is not None:
        _timed(times, "review sheet", lambda: write_review(rows, out))
    for extra in out.glob("ox.*"):
        extra.unlink()
    _timed(times, "release id (canonical hash)", lambda: canonical_hash(out / "osteokg.nt"))
    _timed(times, "release id (whole)", lambda: release_id(out))


def real(reference: bool) -> tuple[dict[str, float], dict[str, Any], Path]:
    from kg.build import PREFIXES, Built, counts
    from kg.compose import compose
    from kg.materialize import materialize
    from kg.reason import reason
    from kg.settings import ONTOLOGY_DIR

    times: dict[str, float] = {}
    info: dict[str, Any] = {}
    composition = _timed(times, "compose", lambda: compose(ONTOLOGY_DIR))
    inference = _timed(times, "reason (HermiT)", lambda: reason(composition.graph))
    materialization = _timed(times, "materialize",
                             lambda: materialize(composition.graph, inference.subclass_links))
    graph = composition.graph
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    Built(graph, composition.locations, counts(graph, materialization))
    out = Path(tempfile.mkdtemp(prefix="build-bench-"))
    graph_stages(graph, out, reference, times, info, composition.locations, ONTOLOGY_DIR)
    return times, info, out / "osteokg.nt"


def whole_build() -> dict[str, Any]:
    """``python -m kg.cli build`` into a fresh folder: its wall time (interpreter start and imports included,
    what a user waits for) and the seconds per stage the build itself records (manifest ``timings``)."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="build-bench-") as folder:
        out = Path(folder) / "build"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=900, check=False)
        wall = round(time.perf_counter() - started, 3)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8")) if done.returncode == 0 else {}
    print(f"  osteokg build (wall)         {wall:8.3f} s (exit {done.returncode})", flush=True)
    return {"wall": wall, "exit": done.returncode, "timings": manifest.get("timings", {})}


def scaled(nt: Path, copies: int, reference: bool) -> tuple[dict[str, float], dict[str, Any]]:
    """The graph-level stages on ``copies`` copies of the built graph (written to a temporary file, removed)."""
    from rdflib import Graph
    from store_bench import scale_graph

    from kg.vocab import PREFIXES

    times: dict[str, float] = {}
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="build-bench-") as folder:
        source = Path(folder) / "scaled.nt"
        scale_graph(nt, source, copies, share_schema=True)
        graph = _timed(times, "parse (rdflib, nt)", lambda: Graph().parse(source, format="nt"))
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, override=True)
        out = Path(folder) / "out"
        out.mkdir()
        graph_stages(graph, out, reference, times, info)
    return times, info


def _take_failures(info: dict[str, Any]) -> None:
    if FAILED:
        info["failed"] = dict(FAILED)
        FAILED.clear()


BUILD_STAGES = ("compose", "reason (HermiT)", "materialize", "SHACL (fast)", "QC queries", "review rows",
                "serialize turtle (rdflib)", "serialize nt (rdflib)", "serialize json-ld (rdflib)",
                "serialize xml (rdflib)", "SSSOM", "KGX", "docs", "QC TSV", "review sheet", "release id (whole)")


def markdown(runs: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    scales = list(runs)
    stages: list[str] = []
    for run in runs.values():
        stages.extend(s for s in run["seconds"] if s not in stages)
    lines = ["# Build stages: seconds per stage, real graph and scaled copies", "",
             (f"One run of `python bench/build_bench.py {meta['args']}` on {meta['when']} "
             f"({meta['machine']}; load average at the start {meta['load']}; other engineers' jobs share the 2 cores, "
             "so compare figures within a column, not across runs)."), "",
             ("×1 is the real build, stage by stage, as kg.build runs them; ×k is the built graph copied k times "
             "(bench/store_bench.py's generator, schema shared). Compose and materialize read the tables: real "
             "graph only. A stage not run at a scale is blank; one under *failed* refused the graph (the first line of its error; "
              "its seconds are until it refused)."), "",
             "| stage | " + " | ".join(f"×{s}" for s in scales) + " |",
             "| --- | " + " | ".join("---:" for _ in scales) + " |"]
    for stage in stages:
        cells = [f"{runs[s]['seconds'][stage]:.3f}" if stage in runs[s]["seconds"] else "" for s in scales]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    for key in ("triples", "findings", "reference_findings_equal", "failed"):
        lines.append(f"| *{key.replace('_', ' ')}* | " + " | ".join(str(runs[s]["info"].get(key, "")) for s in scales) + " |")
    whole = meta.get("whole_build")
    if whole:
        lines += ["", (f"`python -m kg.cli build` (a fresh folder, same run): **{whole['wall']:.2f} s** wall, exit "
                      f"{whole['exit']}; the build's own stage timings (manifest `timings`):"), "",
                  "| stage | seconds |", "| --- | ---: |"]
        lines += [f"| {name} | {seconds:.3f} |" for name, seconds in whole["timings"].items()]
    one = runs.get("1")
    if one:
        sec = one["seconds"]
        total = sum(sec.get(s, 0.0) for s in BUILD_STAGES)
        lines += ["", (f"Sum of the build's stages at ×1 (fast SHACL; rdflib serializations, as kg.build writes them): "
                      f"**{total:.2f} s**.")]
        if "SHACL (reference: pyshacl)" in sec:
            lines.append(f"SHACL: fast {sec['SHACL (fast)']:.2f} s vs reference {sec['SHACL (reference: pyshacl)']:.2f} s "
                         f"(×{sec['SHACL (reference: pyshacl)'] / max(sec['SHACL (fast)'], 1e-9):.1f}), same findings: "
                         f"{one['info'].get('reference_findings_equal')}.")
        rdflib_ser = sum(sec.get(f"serialize {f} (rdflib)", 0.0) for f in ("turtle", "nt", "xml"))
        ox_ser = sum(sec.get(f"pyoxigraph serialize {f}", 0.0) for f in ("turtle", "nt", "xml")) + sec.get(
            "pyoxigraph load (nt)", 0.0)
        if ox_ser:
            lines.append(f"Turtle + N-Triples + RDF/XML: rdflib {rdflib_ser:.2f} s, pyoxigraph {ox_ser:.2f} s "
                         "(its load of the N-Triples included).")
        for scale in scales[1:]:
            big = runs[scale]
            growth = big["info"]["triples"] / max(one["info"]["triples"], 1)
            parts = [f"{stage} ×{big['seconds'][stage] / max(sec[stage], 1e-9):.1f}" for stage in
                     ("SHACL (fast)", "SHACL (reference: pyshacl)", "QC queries", "reason (HermiT)")
                     if stage in big["seconds"] and stage in sec]
            lines.append(f"Growth ×1 → ×{scale} ({growth:.1f}× the triples): " + ", ".join(parts) + ".")
            if "SHACL (reference: pyshacl)" in big["seconds"]:
                lines.append(f"SHACL at ×{scale}: fast {big['seconds']['SHACL (fast)']:.2f} s vs reference "
                             f"{big['seconds']['SHACL (reference: pyshacl)']:.2f} s (×"
                             f"{big['seconds']['SHACL (reference: pyshacl)'] / max(big['seconds']['SHACL (fast)'], 1e-9):.1f}),"
                             f" same findings: {big['info'].get('reference_findings_equal')}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--reference-up-to", type=int, default=10,
                        help="run the reference engine (pyshacl alone) at scales up to this one (default %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "build.md")
    parser.add_argument("--from-json", action="store_true", help="write the Markdown again from OUT's .json (no run)")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        args.out.write_text(markdown(saved["runs"], saved["meta"]), encoding="utf-8")
        return 0
    meta = {"args": " ".join(argv if argv is not None else sys.argv[1:]) or "(defaults)",
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{os.cpu_count()} cores, "
            f"Python {platform.python_version()}", "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    runs: dict[str, dict[str, Any]] = {}
    print("osteokg build", flush=True)
    meta["whole_build"] = whole_build()
    print("×1 (the real build, stage by stage)", flush=True)
    times, info, nt = real(args.reference_up_to >= 1)
    _take_failures(info)
    runs["1"] = {"seconds": times, "info": info}
    for scale in args.scales:
        if scale == 1:
            continue
        print(f"×{scale}", flush=True)
        times, info = scaled(nt, scale, scale <= args.reference_up_to)
        _take_failures(info)
        runs[str(scale)] = {"seconds": times, "info": info}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(runs, meta), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
