"""How each cost of the served API grows with the graph: bench/results/scale.png from the benches' JSON.

Reads ``scale.json`` (bench/scale_bench.py) and, when they are there, ``build.json`` (bench/build_bench.py:
build seconds per stage per scale) and ``sparql.json`` (bench/sparql_bench.py: /sparql against the
Oxigraph server and others), and draws, with the triples on a log x axis: req/s and p50 per route with
the response cache on and off, memory of all the server's processes beside the Oxigraph server's, time
to the first answer of each route, build seconds per stage, and SPARQL ratios. A file that is missing
gets no panel; a file whose layout this script does not know gets a panel saying so, not a crash.

    python bench/plot.py [--results bench/results] [--out bench/results/scale.png]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTES = ("health", "entity", "relations", "search", "prefix")
READY = ("health", "entity", "relations", "search", "sparql ASK")


def _read(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        print(f"{path}: cannot be read ({exc}); left out of the plot", file=sys.stderr)
        return None


def scale_series(scale: dict) -> dict[str, list[tuple[int, float]]]:
    """Lines of scale.json: name → [(triples, value)], sorted by triples."""
    lines: dict[str, list[tuple[int, float]]] = {}

    def put(name: str, x: int, y: float | None) -> None:
        if y is not None and y > 0:
            lines.setdefault(name, []).append((x, y))

    for s in sorted(scale.get("scales", []), key=lambda s: s["triples"]):
        x = s["triples"]
        for key, config in s.get("configs", {}).items():
            for route in ROUTES:
                run = config.get("loads", {}).get(route)
                if run:
                    put(f"rps {route} cache {key}", x, run.get("rps"))
                    put(f"p50 {route} cache {key}", x, run.get("p50"))
            mem = config.get("memory_after_load", {})
            put(f"memory PSS cache {key}", x, mem.get("pss_mb"))
            put(f"memory RSS cache {key}", x, mem.get("rss_mb"))
            for route in READY:
                put(f"ready {route} cache {key}", x, config.get("ready", {}).get(route, {}).get("seconds"))
        oxi = s.get("oxigraph") or {}
        put("memory Oxigraph server", x, oxi.get("pss_mb") or oxi.get("rss_mb"))
    return lines


def _numbers(mapping: dict) -> dict[str, float]:
    return {k: float(v) for k, v in mapping.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def triples_of(scale: dict):
    """copies → triples, from scale.json's scales (exact where measured, else one copy's increment on top of ×1:
    every generator run shares the schema, so each copy adds the same triples), or None without two scales."""
    known = {s["copies"]: s["triples"] for s in scale.get("scales", []) if "copies" in s and "triples" in s}
    if 1 not in known or len(known) < 2:
        return None
    k, n = max(known.items())
    per_copy = (n - known[1]) / (k - 1)
    return lambda copies: known.get(copies, round(known[1] + (copies - 1) * per_copy))


def build_series(build: dict | list, triples=None) -> dict[str, list[tuple[int, float]]] | None:
    """Build seconds per stage per scale from build.json: bench/build_bench.py's ``runs`` = {copies: {"seconds":
    {stage: s}, "info": {...}}} (x: ``info["triples"]``, else ``triples(copies)``), or a list of scales each with
    its triples and a mapping of stage → seconds (``stages`` / ``seconds``). None when the layout is unknown."""
    if isinstance(build, dict) and isinstance(build.get("runs"), dict):
        lines: dict[str, list[tuple[int, float]]] = {}
        for copies, run in build["runs"].items():
            if not isinstance(run, dict) or not isinstance(run.get("seconds"), dict) or not str(copies).isdigit():
                return None
            info = run.get("info") if isinstance(run.get("info"), dict) else {}
            x = info.get("triples") if isinstance(info.get("triples"), int) else (triples(int(copies)) if triples else None)
            if x is None:
                return None
            for stage, seconds in _numbers(run["seconds"]).items():
                if seconds > 0:
                    lines.setdefault(str(stage), []).append((int(x), seconds))
        return {k: sorted(v) for k, v in lines.items()} or None
    items = build.get("scales", build.get("results")) if isinstance(build, dict) else build
    if not isinstance(items, list):
        return None
    lines: dict[str, list[tuple[int, float]]] = {}
    for item in items:
        if not isinstance(item, dict):
            return None
        x = item.get("triples")
        stages = item.get("stages", item.get("seconds"))
        if isinstance(stages, list):  # [{"stage": name, "seconds": s}, …]
            stages = {st.get("stage", st.get("name")): st.get("seconds") for st in stages if isinstance(st, dict)}
        if not isinstance(x, int | float) or not isinstance(stages, dict):
            return None
        for stage, seconds in _numbers(stages).items():
            if seconds > 0:
                lines.setdefault(str(stage), []).append((int(x), seconds))
    return {k: sorted(v) for k, v in lines.items()} or None


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def sparql_runs(runs: dict) -> dict[str, list[tuple[int, float]]] | None:
    """bench/sparql_bench.py's layout: ``runs`` = {scale: {"triples", "servers": {server: {"queries": {name:
    {"rps", "status"}}}}}}; lines: ours ÷ each other server's req/s, the median and the lowest over the queries."""
    lines: dict[str, list[tuple[int, float]]] = {}
    for run in runs.values():
        if not isinstance(run, dict) or not isinstance(run.get("servers"), dict):
            return None
        servers, x = run["servers"], run.get("triples")
        ours = servers.get("ours", {}).get("queries", {})
        for other, entry in servers.items():
            if other == "ours" or not isinstance(x, int | float):
                continue
            ratios = [ours[name]["rps"] / theirs["rps"] for name, theirs in entry.get("queries", {}).items()
                      if name in ours and ours[name].get("status") == 200 and theirs.get("status") == 200
                      and ours[name].get("rps") and theirs.get("rps")]
            if ratios:
                lines.setdefault(f"ours / {other}, median", []).append((int(x), _median(ratios)))
                lines.setdefault(f"ours / {other}, lowest", []).append((int(x), min(ratios)))
    return {k: sorted(v) for k, v in lines.items()} or None


def sparql_series(sparql: dict | list) -> dict[str, list[tuple[int, float]]] | None:
    """SPARQL ratios per scale from sparql.json: bench/sparql_bench.py's ``runs`` (:func:`sparql_runs`), or entries
    with ``triples`` and a ``ratio`` (or a mapping of ``ratios``). None when the layout is unknown."""
    if isinstance(sparql, dict) and isinstance(sparql.get("runs"), dict):
        return sparql_runs(sparql["runs"])
    items = sparql.get("scales", sparql.get("results")) if isinstance(sparql, dict) else sparql
    if not isinstance(items, list):
        return None
    lines: dict[str, list[tuple[int, float]]] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("triples"), int | float):
            continue
        x = int(item["triples"])
        if isinstance(item.get("ratios"), dict):
            for name, ratio in _numbers(item["ratios"]).items():
                lines.setdefault(name, []).append((x, ratio))
        elif isinstance(item.get("ratio"), int | float):
            name = " vs ".join(str(item[k]) for k in ("query", "name", "against") if k in item) or "ratio"
            lines.setdefault(name, []).append((x, float(item["ratio"])))
        for sub in item.get("queries", []) if isinstance(item.get("queries"), list) else []:
            if isinstance(sub, dict) and isinstance(sub.get("ratio"), int | float):
                lines.setdefault(str(sub.get("name", sub.get("query", "?"))), []).append((x, float(sub["ratio"])))
    return {k: sorted(v) for k, v in lines.items() if v} or None


def draw(results: Path, out: Path) -> list[str]:
    """Write the PNG; return the panels drawn (a panel per source file with data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale = _read(results / "scale.json")
    if not isinstance(scale, dict):
        raise FileNotFoundError(f"{results / 'scale.json'} is missing: run bench/scale_bench.py first")
    lines = scale_series(scale)
    panels: list[tuple[str, str, dict[str, list[tuple[int, float]]] | str]] = [
        ("requests/s per route (wrk, 16 connections)", "req/s", {k[4:]: v for k, v in lines.items() if k.startswith("rps ")}),
        ("p50 latency per route", "ms", {k[4:]: v for k, v in lines.items() if k.startswith("p50 ")}),
        ("memory of all the server's processes, after the load", "MB",
         {k[7:]: v for k, v in lines.items() if k.startswith("memory ")}),
        ("first 200 after the process start", "s", {k[6:]: v for k, v in lines.items() if k.startswith("ready ")}),
    ]
    for name, label, reader, ylabel in (("build.json", "build seconds per stage (bench/build_bench.py)", build_series, "s"),
                                        ("sparql.json", "SPARQL ratios (bench/sparql_bench.py)", sparql_series, "ratio")):
        data = _read(results / name)
        if data is not None:
            series = reader(data, triples_of(scale)) if reader is build_series else reader(data)
            panels.append((label, ylabel, series if series else f"{name}: layout not understood by bench/plot.py"))
    columns = 2
    rows = (len(panels) + 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(15, 5 * rows), squeeze=False)
    drawn = []
    for ax, (title, ylabel, series) in zip(axes.flat, panels):
        ax.set_title(title, fontsize=10)
        if isinstance(series, str) or not series:
            ax.text(0.5, 0.5, series or "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        colours: dict[str, str] = {}
        for name, points in sorted(series.items()):
            xs, ys = zip(*sorted(points))
            # one colour per route (or stage, server), solid with the cache off, dashed with it on
            what = name.replace(" cache on", "").replace(" cache off", "")
            colour = colours.setdefault(what, f"C{len(colours) % 10}")
            style = "--" if "cache on" in name else "-"
            ax.plot(xs, ys, style, color=colour, marker="o", label=name, linewidth=1.2, markersize=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("triples")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
        drawn.append(title)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    info = scale.get("info", {})
    fig.suptitle(f"osteokg served API by graph size — run of {info.get('started', '?')} "
                 f"({info.get('cores', '?')} shared cores; compare ratios within one run)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return drawn


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results", help="folder of the JSON files")
    ap.add_argument("--out", type=Path, help="the PNG (default: scale.png in --results)")
    args = ap.parse_args(argv)
    out = args.out or args.results / "scale.png"
    drawn = draw(args.results, out)
    print(f"wrote {out} ({len(drawn)} panels: {'; '.join(drawn)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
