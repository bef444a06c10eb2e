"""What the SPARQL query-cost guard (kg/sparql/cost.py) costs and saves, in one run, on a real build.

Three measurements, each through a real query pool (kg.sparql.pool.QueryPool, one query process over the
release's on-disk store, as the endpoint runs it), the guard on (``max_cost`` 3) beside the guard off (0):

1. **Its cost on queries that finish** — the competency questions (each with a LIMIT that differs per round, so
   every text is new to the per-text cache: the guard's worst case) and the same texts again (cached): the median
   and p90 milliseconds per query, guard on / off, as ratios.
2. **What it saves on a runaway** — the issue's cross product with ORDER BY, and a COUNT over a three-way cross
   product: seconds until the answer with the guard (422) and without (504 at the time limit, the query process
   killed and replaced), the time limit 10 s as served.
3. **Its constants checked** — seconds per produced row (a COUNT over a cross product) and per sorted row (ORDER BY
   over a cross product of rdfs:subClassOf), measured now on this engine, beside PRODUCE_SECONDS and
   SORT_SECONDS.

    python bench/sparql_cost_bench.py [--build DIR] [--rounds 5] [--out bench/results/sparql_cost.md]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg import queries
from kg.build import build
from kg.releases import release_dir
from kg.sparql import cost
from kg.sparql.pool import PoolError, PoolSettings, QueryPool
from kg.store import DISK_STORE, OxigraphStore

RUNAWAYS = {
    "cross product, ORDER BY": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
    "COUNT over a 3-way product": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
}
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"


def pool_of(folder: Path, max_cost: float, timeout: float = 10.0) -> QueryPool:
    pool = QueryPool(PoolSettings(nt_path=str(folder / "osteokg.nt"), store_dir=str(folder / DISK_STORE), workers=1,
                                  timeout=timeout, max_rows=10_000, memory=None, max_cost=max_cost))
    pool.start()
    pool.warm()
    return pool


def timed(pool: QueryPool, text: str) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        status = pool.run(text, "json", None)["status"]
    except PoolError as error:
        status = error.status
    return time.perf_counter() - started, status


def questions() -> list[str]:
    folder = ROOT / "kg" / "queries" / "competency"
    texts = []
    for path in sorted(folder.glob("*.rq")):
        name = path.stem
        terms = {"lang": queries.literal("en")} if "lang" in queries.parameters(f"competency/{name}") else {}
        texts.append(queries.bind(f"competency/{name}", **terms))
    return texts


def with_limit(text: str, n: int) -> str:
    """The text made new (a per-round comment), so the per-text caches miss."""
    return f"# round {n}\n{text}"


def finishing(folder: Path, rounds: int) -> dict:
    texts = questions()
    out = {}
    for label, cost_bound in (("on", 3.0), ("off", 0.0)):
        pool = pool_of(folder, cost_bound)
        try:
            new, cached = [], []
            for n in range(rounds):
                for text in texts:
                    fresh = with_limit(text, n)
                    seconds, status = timed(pool, fresh)
                    assert status == 200, (status, text[:80])
                    new.append(seconds)
                    cached.append(timed(pool, fresh)[0])
        finally:
            pool.close()
        out[label] = {"new_median_ms": statistics.median(new) * 1000,
                      "new_p90_ms": statistics.quantiles(new, n=10)[-1] * 1000,
                      "cached_median_ms": statistics.median(cached) * 1000, "queries": len(new)}
    return out


def runaways(folder: Path) -> dict:
    out = {}
    for label, cost_bound in (("on", 3.0), ("off", 0.0)):
        pool = pool_of(folder, cost_bound)
        try:
            out[label] = {name: dict(zip(("seconds", "status"), timed(pool, text))) for name, text in RUNAWAYS.items()}
        finally:
            pool.close()
    return out


def constants(folder: Path) -> dict:
    store = OxigraphStore.read_only(folder / DISK_STORE)  # as the query processes open it

    def seconds(text: str) -> float:
        started = time.perf_counter()
        list(store.run(text))  # type: ignore[arg-type]
        return time.perf_counter() - started

    def count(text: str) -> int:
        return int(next(iter(store.run(text)))[0].value)  # type: ignore[arg-type]

    triples = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    subclass = count(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {SUBCLASS} ?o }}")
    produced = seconds(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d {SUBCLASS} ?f }}") / (triples * subclass)
    sorted_rows = subclass * subclass
    sorting = seconds(f"SELECT * WHERE {{ ?a {SUBCLASS} ?b . ?c {SUBCLASS} ?d }} ORDER BY ?b ?d LIMIT 1") / sorted_rows
    return {"produce_seconds_per_row": produced, "sort_seconds_per_row": sorting,
            "model_produce": cost.PRODUCE_SECONDS, "model_sort": cost.SORT_SECONDS,
            "produced_rows": triples * subclass, "sorted_rows": sorted_rows}


def report(found: dict) -> str:
    on, off = found["finishing"]["on"], found["finishing"]["off"]
    lines = ["# The SPARQL query-cost guard: its cost and what it saves", "",
             (f"`python bench/sparql_cost_bench.py` — {found['when']}, one query process over the release's on-disk "
             f"store, guard on (`max_cost` 3) beside off (0), in one run."), "",
             "## Queries that finish (the competency questions)", "",
             "| | guard on | guard off | on / off |", "| --- | --- | --- | --- |"]
    for key, label in (("new_median_ms", "median, a text seen for the first time (ms)"),
                       ("new_p90_ms", "p90, a text seen for the first time (ms)"),
                       ("cached_median_ms", "median, the same text again (ms)")):
        lines.append(f"| {label} | {on[key]:.2f} | {off[key]:.2f} | ×{on[key] / off[key]:.2f} |")
    lines += ["", f"{on['queries']} queries each way.", "", "## Runaways (time limit 10 s)", "",
              "| query | guard on | guard off | off / on |", "| --- | --- | --- | --- |"]
    for name in RUNAWAYS:
        a, b = found["runaways"]["on"][name], found["runaways"]["off"][name]
        lines.append(f"| {name} | {a['status']} in {a['seconds']:.2f} s | {b['status']} in {b['seconds']:.2f} s | "
                     f"×{b['seconds'] / a['seconds']:.0f} |")
    c = found["constants"]
    lines += ["", "## The model's constants, measured now", "",
              "| per row | measured | the model | measured / model |", "| --- | --- | --- | --- |",
              (f"| produce (COUNT over {c['produced_rows']:,} rows) | {c['produce_seconds_per_row']:.2e} s | "
              f"{c['model_produce']:.0e} s | ×{c['produce_seconds_per_row'] / c['model_produce']:.2f} |"),
              (f"| sort (ORDER BY over {c['sorted_rows']:,} rows) | {c['sort_seconds_per_row']:.2e} s | "
              f"{c['model_sort']:.0e} s | ×{c['sort_seconds_per_row'] / c['model_sort']:.2f} |"), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=Path, help="a build folder (default: build one into a temporary folder)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sparql_cost.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="osteokg-cost-") as scratch:
        out_dir = args.build or Path(scratch) / "build"
        if args.build is None:
            build(out_dir=out_dir)
        folder = release_dir(out_dir)
        found = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "finishing": finishing(folder, args.rounds),
                 "runaways": runaways(folder), "constants": constants(folder)}
    text = report(found)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
