"""Which embedded store: rdflib's in-memory graph vs pyoxigraph, on the API's own named queries.

Runs every named query of ``kg/queries/*.rq`` (with realistic parameters) plus two competency
questions (raw text, ``run()``: the engine's own result objects) through ``kg.store.RdflibStore`` /
``kg.store.OxigraphStore``, opened by ``kg.store.open_store`` as the API opens them — the same
``select()`` the API calls, so binding and result conversion are included — over

  (a) the built graph (``--build DIR``/osteokg.nt), and
  (b) a synthetic graph ``--scale`` times larger: ``--scale`` copies of every triple, copy 0 as
      built and copy k with every OSTEOKG_ IRI suffixed ``_k`` and every blank node relabelled,
      so each copy has the same structure and the queries keep their selectivity (shared
      vocabulary — rdfs:, owl:, okg: vocab, external mappings — stays shared, as it would in a
      bigger real graph). Written as N-Triples into a temporary folder, removed afterwards.

Each (graph, store) pair runs in its own subprocess, for clean load-time and memory figures
(VmRSS after load, VmHWM peak). Per query: one warm-up, then up to ``--reps`` timed repetitions
within ``--budget`` seconds; median and p90 are reported. A query that runs longer than
``--timeout`` seconds is recorded as "> T s" (SIGALRM in the worker; the parent kills and
restarts a worker that stops answering, as a backstop).

    python bench/store_bench.py [--build DIR] [--scale 100] [--out bench/results/store.md]
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NS = "https://w3id.org/osteokg/OSTEOKG_"
OSTEONECROSIS = NS + "0000106"
DISORDER = NS + "0000010"

# name -> (kind, query name or competency file, parameters as IRIs)
QUERIES: list[tuple[str, str, str, dict[str, str]]] = [
    ("entity-properties", "named", "entity-properties", {"entity": OSTEONECROSIS}),
    ("entity-exists", "named", "entity-exists", {"entity": OSTEONECROSIS}),
    ("relations-out", "named", "relations-out", {"entity": OSTEONECROSIS}),
    ("relations-in", "named", "relations-in", {"entity": OSTEONECROSIS}),
    ("parents", "named", "parents", {"entity": OSTEONECROSIS}),
    ("children", "named", "children", {"entity": OSTEONECROSIS}),
    ("ancestors", "named", "ancestors", {"entity": OSTEONECROSIS}),
    ("descendants (disorder)", "named", "descendants", {"entity": DISORDER}),
    ("category-members (disorder)", "named", "category-members", {"category": DISORDER}),
    ("entity-graph", "named", "entity-graph", {"entity": OSTEONECROSIS}),
    ("relation-properties", "named", "relation-properties", {}),
    ("index (start-up)", "named", "index", {}),
    ("categories (start-up)", "named", "categories", {}),
    ("statements", "named", "statements", {}),
    ("CQ causes-of-osteonecrosis", "raw", "causes-of-osteonecrosis.rq", {}),
    ("CQ bones-affected-by-osteonecrosis", "raw", "bones-affected-by-osteonecrosis.rq", {}),
]


# ---------------------------------------------------------------- memory


def _status(field: str) -> float:
    """A /proc/self/status figure in MB (VmRSS, VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- the worker (one store, one graph)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def worker(engine: str, nt: Path, skip: set[str], reps: int, budget: float, timeout: float) -> None:
    from kg import queries
    from kg.store import open_store

    rss_before = _status("VmRSS")
    started = time.perf_counter()
    store = open_store(f"{engine}:{nt}")  # kg.store.OxigraphStore or RdflibStore, as the API opens them
    load_s = time.perf_counter() - started
    _emit(event="loaded", load_s=load_s, rss_mb=_status("VmRSS"), rss_before_mb=rss_before,
          hwm_mb=_status("VmHWM"), triples=store.triples())

    def runner(kind: str, target: str, params: dict[str, str]):
        if kind == "named":
            terms = {k: queries.iri(v) for k, v in params.items()}
            return lambda: len(store.select(target, **terms))
        # a competency question as raw text: the store's run(), the engine's own result objects (no conversion)
        text = queries.text(f"competency/{target.removesuffix('.rq')}")
        return lambda: sum(1 for _ in store.run(text))

    signal.signal(signal.SIGALRM, _alarm)
    for label, kind, target, params in QUERIES:
        if label in skip:
            continue
        _emit(event="start", query=label)
        run = runner(kind, target, params)
        times: list[float] = []
        rows = None
        query_started = time.perf_counter()
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            t0 = time.perf_counter()
            rows = run()  # warm-up
            warm = time.perf_counter() - t0
            if warm > budget / 2:
                times.append(warm)  # too slow to repeat: the warm-up is the one measurement
            else:
                while len(times) < reps and (time.perf_counter() - query_started) < budget:
                    t0 = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - t0)
            signal.setitimer(signal.ITIMER_REAL, 0)
        except _Timeout:
            _emit(event="result", query=label, timeout=True, rows=rows, times=times)
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        _emit(event="result", query=label, timeout=False, rows=rows, times=times)
    _emit(event="done", rss_end_mb=_status("VmRSS"))


# ---------------------------------------------------------------- the parent


def run_store(engine: str, nt: Path, args) -> dict:
    """Run one worker (restarting it past a query that hangs); its load figures and per-query results."""
    results: dict[str, dict] = {}
    load: dict | None = None
    restarts = 0
    while True:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--nt", str(nt),
               "--reps", str(args.reps), "--budget", str(args.budget), "--timeout", str(args.timeout),
               "--skip", json.dumps(sorted(results))]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        current = None
        deadline = time.monotonic() + args.load_timeout
        buffer = ""
        finished = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                ready, _, _ = select.select([proc.stdout], [], [], min(remaining, 1.0))
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                line = proc.stdout.readline()
                if not line:
                    break
                buffer = line
                event = json.loads(line)
                if event["event"] == "loaded":
                    if load is None:
                        load = event
                    deadline = time.monotonic() + args.timeout + 10
                elif event["event"] == "start":
                    current = event["query"]
                    deadline = time.monotonic() + args.timeout + 10
                elif event["event"] == "result":
                    results[event["query"]] = event
                    current = None
                    deadline = time.monotonic() + args.timeout + 10
                elif event["event"] == "done":
                    finished = True
                    break
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
            stderr = proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
        if finished:
            return {"load": load, "results": results}
        if current is None:  # died or hung while loading / between queries
            raise RuntimeError(f"{engine} worker failed on {nt.name} (last output {buffer!r}):\n{stderr[-2000:]}")
        # hung inside a query that the in-process alarm could not interrupt: record it and go on
        results[current] = {"query": current, "timeout": True, "rows": None, "times": [], "killed": True}
        restarts += 1
        if restarts > len(QUERIES):
            raise RuntimeError("too many worker restarts")


def summarize(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p90 * 1000


def cell(result: dict | None, timeout: float) -> tuple[str, float | None]:
    if result is None:
        return "—", None
    if result["timeout"]:
        return f"> {timeout:g} s", None
    median, p90 = summarize(result["times"])
    return f"{fmt_ms(median)} (p90 {fmt_ms(p90)}, n={len(result['times'])})", median


def fmt_ms(ms: float) -> str:
    if ms >= 100:
        return f"{ms:,.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    return f"{ms:.2f}"


def table(title: str, runs: dict[str, dict], timeout: float) -> list[str]:
    rd, ox = runs["rdflib"], runs["oxigraph"]
    lines = [f"### {title}", "",
             f"{ox['load']['triples']:,} triples (pyoxigraph count; rdflib {rd['load']['triples']:,}).", "",
             "| query | rows | rdflib ms | pyoxigraph ms | ratio (rdflib/pyoxigraph) |",
             "|---|---:|---:|---:|---:|"]
    for label, *_ in QUERIES:
        r, o = rd["results"].get(label), ox["results"].get(label)
        rc, rm = cell(r, timeout)
        oc, om = cell(o, timeout)
        rows_r = r.get("rows") if r else None
        rows_o = o.get("rows") if o else None
        if rows_r is None or rows_o is None or rows_r == rows_o:
            rows = str(rows_o if rows_o is not None else rows_r if rows_r is not None else "—")
        else:
            rows = f"**{rows_r} vs {rows_o}**"
        if rm is not None and om:
            ratio = f"{rm / om:,.1f}×"
        elif r and r["timeout"] and om:
            ratio = f"> {timeout * 1000 / om:,.0f}×"
        else:
            ratio = "—"
        lines.append(f"| {label} | {rows} | {rc} | {oc} | {ratio} |")
    lines += ["", "| load | rdflib | pyoxigraph | ratio |", "|---|---:|---:|---:|"]
    rl, ol = rd["load"], ox["load"]
    lines.append(f"| load time s | {rl['load_s']:.2f} | {ol['load_s']:.2f} | {rl['load_s'] / ol['load_s']:.1f}× |")
    lines.append(f"| RSS after load MB | {rl['rss_mb']:.0f} | {ol['rss_mb']:.0f} | {rl['rss_mb'] / ol['rss_mb']:.1f}× |")
    rdelta, odelta = rl["rss_mb"] - rl["rss_before_mb"], ol["rss_mb"] - ol["rss_before_mb"]
    lines.append(f"| RSS growth by the load MB | {rdelta:.0f} | {odelta:.0f} | "
                 f"{(rdelta / odelta) if odelta > 0 else float('nan'):.1f}× |")
    lines.append(f"| peak RSS (VmHWM) MB | {rl['hwm_mb']:.0f} | {ol['hwm_mb']:.0f} | {rl['hwm_mb'] / ol['hwm_mb']:.1f}× |")
    lines.append("")
    return lines


IRI_ID = re.compile(r"<(https://w3id\.org/osteokg/OSTEOKG_([0-9]+))>")
LITERAL = re.compile(r'^"(.*)"((?:@[A-Za-z0-9-]+)|(?:\^\^<[^>]*>))? \.$')
ANNOTATED_SOURCE = "<http://www.w3.org/2002/07/owl#annotatedSource>"
ANNOTATED_TARGET = "<http://www.w3.org/2002/07/owl#annotatedTarget>"
#: the schema's ID ranges, shared by every copy with ``share_schema`` (a bigger real graph has more terms, not
#: more upper categories, sources or relations)
SCHEMA_RANGES = ("category", "source", "relation")
#: syllables of the word each copy adds to its labels and synonyms (``relabel``): letters no search word of
#: bench/scale_bench.py starts with or contains, so a copy's word never makes a match by itself
_SYLLABLES = [c + v for c in "qxzjy" for v in "aiu"]


def copy_word(k: int) -> str:
    """The word copy ``k`` (> 0) appends to its labels and synonyms: distinct per copy, two syllables at least."""
    if k < 1:
        raise ValueError("copy 0 is the graph as built")
    digits = []
    while k:
        k, digit = divmod(k, len(_SYLLABLES))
        digits.append(_SYLLABLES[digit])
    while len(digits) < 2:
        digits.append(_SYLLABLES[0])
    return "".join(reversed(digits))


def _label_predicates() -> set[str]:
    from kg import vocab

    return {f"<{vocab.RDFS.label}>"} | {f"<{p}>" for p in vocab.SYNONYM_PROPERTIES.values()}


@functools.cache
def _schema_number(number: str) -> bool:
    from kg import vocab

    return any(int(number) in vocab.RANGES[name] for name in SCHEMA_RANGES)


def _shared_blank_nodes(triples: list[tuple[str, str, str]], shared_iri) -> set[str]:
    """Blank nodes that belong to the schema: axioms about a shared IRI, and what hangs off a shared subject."""
    shared = {s for s, p, o in triples if s.startswith("_:") and p == ANNOTATED_SOURCE and shared_iri(o.split(" ", 1)[0])}
    links = [(s, o.split(" ", 1)[0]) for s, _, o in triples if o.startswith("_:")]
    grew = True
    while grew:  # to the closure: lists and restrictions nest
        grew = False
        for s, o in links:
            if o not in shared and (s in shared or shared_iri(s)):
                shared.add(o)
                grew = True
    return shared


#: with ``renumber``, copy k's ID n becomes n + k × RENUMBER_STEP: seven digits still, above every ID range
RENUMBER_STEP = 10_000


def copy_id(number: str, k: int, renumber: bool) -> str:
    """The local part of ID ``number`` (seven digits) in copy ``k``: ``nnnnnnn_k``, or with ``renumber`` another
    seven-digit ID (the API serves only IDs of seven digits)."""
    if not renumber:
        return f"{number}_{k}"
    renumbered = int(number) + k * RENUMBER_STEP
    if renumbered >= 10_000_000:
        raise ValueError(f"copy {k} has no seven-digit IDs left")
    return f"{renumbered:07d}"


def _rename(match: re.Match, k: int, renumber: bool, shared_iri) -> str:
    if shared_iri(match.group(0)):
        return match.group(0)
    namespace = match.group(1)[:-len(match.group(2))]
    return f"<{namespace}{copy_id(match.group(2), k, renumber)}>"


def _blank(label: str, suffix: str, shared: set[str]) -> str:
    return label if label in shared else f"{label}{suffix}"


def scale_graph(source: Path, target: Path, copies: int, *, relabel: bool = False, share_schema: bool = False,
                renumber: bool = False) -> int:
    """``copies`` renamed copies of ``source`` (N-Triples) into ``target``; lines written.

    Copy 0 is ``source`` as it is. Copy k > 0 has every ``OSTEOKG_nnnnnnn`` IRI suffixed ``_k`` (with ``renumber``:
    renamed to the seven-digit ID n + k × :data:`RENUMBER_STEP`, which the API serves) and every blank node
    relabelled, so each copy keeps the structure. With ``relabel``, copy k's labels and synonyms (and the
    axioms that annotate a synonym) end in :func:`copy_word` (k), so that they differ from copy 0's while a search
    word still finds every copy. With ``share_schema``, the upper categories, sources and relations (and the blank
    nodes hanging off them) stay copy 0's: every copy's terms use the same relations and categories, and a line a
    copy would write unchanged is written once."""
    source_lines = [line.strip() for line in source.read_text(encoding="utf-8").splitlines()]
    triples = [tuple(line.split(" ", 2)) for line in source_lines if line and not line.startswith("#")]

    def shared_iri(term: str) -> bool:
        match = IRI_ID.match(term)
        return bool(share_schema and match and _schema_number(match.group(2)))

    shared_blank = _shared_blank_nodes(triples, shared_iri) if share_schema else set()
    label_predicates = _label_predicates() if relabel else set()
    label_texts = {o for _, p, o in triples if p in label_predicates}
    written = 0

    with target.open("w", encoding="utf-8") as out:
        for k in range(copies):
            rename = functools.partial(_rename, k=k, renumber=renumber, shared_iri=shared_iri)
            blank = functools.partial(_blank, suffix=f"c{k}", shared=shared_blank)
            word = copy_word(k) if k and relabel else ""
            for subject, predicate, rest in triples:
                line = f"{subject} {predicate} {rest}"
                if k:
                    subject = blank(subject) if subject.startswith("_:") else IRI_ID.sub(rename, subject)
                    predicate = IRI_ID.sub(rename, predicate)
                    renamed_subject = subject != line.split(" ", 1)[0]
                    if rest.startswith("_:"):
                        label, tail = rest.split(" ", 1)
                        rest = f"{blank(label)} {tail}"
                    elif rest.startswith("<"):
                        # IRIs only in the subject, predicate and IRI objects (never inside literals)
                        rest = IRI_ID.sub(rename, rest, count=1)
                    elif word and renamed_subject and (predicate in label_predicates
                                                       or (predicate == ANNOTATED_TARGET and rest in label_texts)):
                        literal = LITERAL.match(rest)
                        if literal:
                            rest = f'"{literal.group(1)} {word}"{literal.group(2) or ""} .'
                    renamed = f"{subject} {predicate} {rest}"
                    if share_schema and renamed == line:
                        continue  # copy 0 wrote it already
                    line = renamed
                out.write(line + "\n")
                written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=Path("/tmp/bench-build"), help="built graph folder (osteokg.nt)")
    ap.add_argument("--scale", type=int, default=100, help="copies in the synthetic graph (default 100)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "store.md")
    ap.add_argument("--reps", type=int, default=20, help="timed repetitions per query at most (default 20)")
    ap.add_argument("--budget", type=float, default=5.0, help="seconds per query at most, warm-up included (default 5)")
    ap.add_argument("--timeout", type=float, default=30.0, help="a query slower than this is '> T s' (default 30)")
    ap.add_argument("--load-timeout", type=float, default=180.0, help=argparse.SUPPRESS)
    ap.add_argument("--worker", choices=("rdflib", "oxigraph"), help=argparse.SUPPRESS)
    ap.add_argument("--nt", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--skip", default="[]", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.worker, args.nt, set(json.loads(args.skip)), args.reps, args.budget, args.timeout)
        return 0

    started = time.perf_counter()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    nt = args.build / "osteokg.nt"
    if not nt.exists():
        print(f"{nt} is missing: run 'python -m kg.cli build --out {args.build}' first", file=sys.stderr)
        return 2
    manifest = args.build / "manifest.json"
    version = json.loads(manifest.read_text())["built_at"] if manifest.exists() else "?"
    tmp = Path(tempfile.mkdtemp(prefix="osteokg-store-bench-"))
    out_lines = ["# Store benchmark: rdflib vs pyoxigraph", "",
                 (f"Graph built at {version} from {nt}; python {sys.version.split()[0]}, "
                 f"{os.cpu_count()} cores. Each cell: median ms (p90, repetitions after one warm-up; "
                 f"at most {args.reps} repetitions or {args.budget:g} s per query; n=1 means the warm-up itself "
                 f"was the measurement). Queries go through the API's `Store.select()` (binding and "
                 f"row conversion included); competency questions run as raw text. "
                 f"Ratios compare the two engines within this run only."), ""]
    try:
        sizes = [("real graph", nt)]
        if args.scale > 1:
            big = tmp / f"osteokg-x{args.scale}.nt"
            t0 = time.perf_counter()
            count = scale_graph(nt, big, args.scale)
            print(f"wrote {count:,} lines to {big} in {time.perf_counter() - t0:.1f} s", flush=True)
            sizes.append((f"synthetic graph ×{args.scale}", big))
        for title, path in sizes:
            runs = {}
            for engine in ("oxigraph", "rdflib"):
                t0 = time.perf_counter()
                runs[engine] = run_store(engine, path, args)
                print(f"{title}: {engine} done in {time.perf_counter() - t0:.1f} s "
                      f"(load {runs[engine]['load']['load_s']:.2f} s)", flush=True)
            out_lines += table(title, runs, args.timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    out_lines.append(f"Load average before / after: {load_before} / {load_after} (2 cores; the engines run one "
                     f"after the other, so other work on the machine can tilt a ratio). Bench wall time: {elapsed:.0f} s.")
    text = "\n".join(out_lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
