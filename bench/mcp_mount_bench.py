"""What serving /mcp costs each worker process of the served API (api/wsgi.py mounts it), on the real build.

Starts the served app under granian twice, one after the other, with the options ``osteokg serve`` gives it (WSGI
interface, ``--workers`` worker processes, no access log), each on a free port of 127.0.0.1:

- mounted: ``api.wsgi:app``, what ``osteokg serve`` runs (REST, SPARQL and /mcp);
- baseline: ``bench.rest_only_wsgi:app``, the same app without the mount (and without importing the ``mcp``
  package), a module only this bench serves.

For each, once every worker answers: a warm-up (``--warmup`` REST requests: /health, one entity, its relations, a
search, a SPARQL ASK, in turn, each on a new connection so that every worker takes some), then the figures *idle*; then the load: ``--lookups`` REST entity lookups
(``/entities/{CURIE}``, every entity of the release in turn) and ``--calls`` questions spread over many entities
and codes (get_entity, list_edges, walk_hierarchy, search, lookup_code in turn), asked of the mounted server as
MCP tool calls over /mcp (the ``mcp`` package's streamable-HTTP client, ``--sessions`` sessions, each a new
connection) and of the baseline as the REST routes that answer the same questions (``/entities/X``,
``/entities/X/relations``, ``/entities/X/{walk}``, ``/search?q=``, ``/xrefs/CODE``), so that both servers answer
the same questions about the same entities; then the figures *after load*.

The figures, per API worker process (granian's workers; not its master, not the SPARQL query processes, which the
mount does not change): ``VmRSS`` (``/proc/PID/status``), PSS and anonymous PSS (``/proc/PID/smaps_rollup``: a
page shared with other processes counted by its share; the anonymous part is the heap and stacks) and the thread
count. Printed as a table with the ratio mounted / baseline and the difference, and written to
``bench/results/mcp_mount.json`` (gitignored). Every wait is bounded and both servers are stopped, also on errors.

    python -m kg.cli build --out /tmp/bench-build
    python bench/mcp_mount_bench.py --build /tmp/bench-build [--workers 2] [--calls 200] [--lookups 200]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_bench import HOST, Server, free_port, wait_ready  # after the path above
from bench.scale_bench import _kib, process_tree

MOUNTED = "api.wsgi:app"
BASELINE = "bench.rest_only_wsgi:app"
JSON = "application/json"
TOOLS = ("get_entity", "list_edges", "walk_hierarchy", "search", "lookup_code")
WALKS = ("parents", "children", "ancestors", "descendants")
RESULTS = ROOT / "bench" / "results" / "mcp_mount.json"
#: the warm-up: each kind of REST request once per round (the load's entities are left for the load)
WARMUP = ("/health", "/entities/OSTEOKG:0000106", "/entities/OSTEOKG:0000106/relations", "/search?q=bot",
          "/sparql?query=" + urllib.parse.quote("ASK {}"))
WAIT = 120.0  # seconds a server may take to answer, and one MCP session to end


# ---------------------------------------------------------------- the questions (pure: tests/bench/)


def plan(entities: list[str], codes: list[str], labels: dict[str, str], calls: int) -> list[tuple[str, dict]]:
    """``calls`` tool calls (name, arguments): the tools in turn, each call that names an entity naming the next
    entity in turn (and each code lookup the next code), so that the calls spread over many different entities."""
    if not entities or not codes:
        raise ValueError("the release has no entities or no codes")
    out: list[tuple[str, dict]] = []
    named = looked_up = 0
    for i in range(calls):
        tool = TOOLS[i % len(TOOLS)]
        if tool == "lookup_code":
            out.append((tool, {"code": codes[looked_up % len(codes)]}))
            looked_up += 1
            continue
        entity = entities[named % len(entities)]
        named += 1
        if tool == "walk_hierarchy":
            out.append((tool, {"id": entity, "walk": WALKS[(i // len(TOOLS)) % len(WALKS)]}))
        elif tool == "search":
            out.append((tool, {"q": labels.get(entity) or entity}))
        else:
            out.append((tool, {"id": entity}))
    return out


def rest_path(tool: str, arguments: dict) -> str:
    """The REST route that answers the same question as the tool call."""
    if tool == "get_entity":
        return f"/entities/{arguments['id']}"
    if tool == "list_edges":
        return f"/entities/{arguments['id']}/relations"
    if tool == "walk_hierarchy":
        return f"/entities/{arguments['id']}/{arguments['walk']}"
    if tool == "search":
        return "/search?q=" + urllib.parse.quote(arguments["q"])
    if tool == "lookup_code":
        return f"/xrefs/{arguments['code']}"
    raise ValueError(tool)


def lookups(entities: list[str], count: int) -> list[str]:
    return [f"/entities/{entities[i % len(entities)]}" for i in range(count)]


def the_release(build: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """The release's entities (CURIEs), the codes that map to one of them, and each entity's English label."""
    from kg.service import open_release
    from kg.vocab import shorten

    release = open_release(build)
    try:
        entities = [shorten(iri) for iri in release.entries if shorten(iri).startswith("OSTEOKG:")]
        codes = sorted(shorten(iri) for iri in release.by_code)
        labels = {shorten(iri): release.label(iri, "en") or "" for iri in release.entries}
    finally:
        release.close()
    return entities, codes, labels


# ---------------------------------------------------------------- the servers and their workers


def workers_of(server: Server) -> list[int]:
    """The API worker processes of a granian server: below its master, not SPARQL query processes."""
    out = []
    for pid in process_tree(server.proc.pid):
        if pid == server.proc.pid:
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "kg.sparql.worker" in cmd or "resource_tracker" in cmd:
            continue
        out.append(pid)
    return out


def figures(pids: list[int]) -> list[dict]:
    out = []
    for pid in pids:
        status, rollup = Path(f"/proc/{pid}/status"), Path(f"/proc/{pid}/smaps_rollup")
        rss = _kib(status, "VmRSS")
        if rss is None:
            continue
        pss, anon, threads = _kib(rollup, "Pss"), _kib(rollup, "Pss_Anon"), _kib(status, "Threads")
        out.append({"pid": pid, "rss_mb": rss / 1024, "pss_mb": None if pss is None else pss / 1024,
                    "pss_anon_mb": None if anon is None else anon / 1024, "threads": threads})
    return out


def get(port: int, path: str) -> int:
    """One GET on a new connection (so that any worker may take it); its status."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": JSON})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def rest_load(port: int, paths: list[str]) -> dict:
    statuses: dict[int, int] = {}
    times = []
    for path in paths:
        started = time.perf_counter()
        status = get(port, path)
        times.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
    return {"requests": len(paths), "statuses": statuses, "median_ms": 1000 * statistics.median(times),
            "seconds": sum(times)}


def mcp_load(port: int, calls: list[tuple[str, dict]], sessions: int) -> dict:
    """The tool calls over /mcp, in ``sessions`` client sessions one after another (each a new connection);
    answered in a thread of its own (an event loop of its own), bounded."""
    import anyio
    from mcp import Client

    url = f"http://{HOST}:{port}/mcp"
    found: dict[str, Any] = {}
    per = max(1, -(-len(calls) // sessions))

    async def main() -> None:
        errors, times = 0, []
        for start in range(0, len(calls), per):
            with anyio.fail_after(WAIT):
                async with Client(url) as client:
                    for name, arguments in calls[start:start + per]:
                        started = time.perf_counter()
                        result = await client.call_tool(name, arguments)
                        times.append(time.perf_counter() - started)
                        errors += bool(result.is_error)
        found.update(calls=len(times), tool_errors=errors, median_ms=1000 * statistics.median(times),
                     seconds=sum(times))

    def target() -> None:
        try:
            anyio.run(main)
        except BaseException as error:  # noqa: BLE001 - re-raised below
            found["error"] = error

    thread = threading.Thread(target=target, name="mcp-bench-client", daemon=True)
    thread.start()
    thread.join(WAIT * (sessions + 1))
    if thread.is_alive():
        raise RuntimeError("the MCP client sessions did not end in time")
    if "error" in found:
        raise found.pop("error")
    return found


def measure(name: str, target: str, args, questions: list[tuple[str, dict]], paths: list[str], logs: Path) -> dict:
    port = free_port()
    cmd = [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", str(args.workers), "--host", HOST,
           "--port", str(port), "--no-ws", target]
    env = {"OSTEOKG_BUILD_DIR": str(args.build.resolve()), "PYTHONPATH": str(ROOT), "OSTEOKG_WATCH": None}
    server = Server(name, cmd, port, "/health", logs, env=env)
    try:
        wait_ready([server], WAIT)
        deadline = time.monotonic() + WAIT
        while len(workers_of(server)) < args.workers:  # every worker up (granian starts them one by one)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: {args.workers} workers did not start:\n{server.output()[-2000:]}")
            time.sleep(0.2)
        warm = rest_load(port, [WARMUP[i % len(WARMUP)] for i in range(args.warmup)])
        time.sleep(args.settle)
        pids = workers_of(server)
        idle = figures(pids)
        rest = rest_load(port, paths)
        if target == MOUNTED:
            asked = mcp_load(port, questions, args.sessions)
        else:
            asked = rest_load(port, [rest_path(tool, arguments) for tool, arguments in questions])
        time.sleep(args.settle)
        after = figures(pids)
        failed = {k: v for k, v in {**rest["statuses"], **asked.get("statuses", {})}.items() if k != 200}
        if failed or asked.get("tool_errors"):
            raise RuntimeError(f"{name}: not every request was answered: statuses {failed}, "
                               f"{asked.get('tool_errors', 0)} tool errors:\n{server.output()[-2000:]}")
        return {"name": name, "target": target, "ready_s": server.ready_after, "warmup": warm, "idle": idle,
                "lookups": rest, "questions": asked, "after": after}
    finally:
        server.stop()


# ---------------------------------------------------------------- the table


def mean(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.fmean(values) if values else None


def table(baseline: dict, mounted: dict) -> list[dict]:
    """Per phase and figure: the mean over the workers, baseline and mounted, their ratio and difference."""
    rows = []
    for phase, label in (("idle", "idle, after warm-up"), ("after", "after the load")):
        for key, what in (("rss_mb", "RSS MB"), ("pss_mb", "PSS MB"), ("pss_anon_mb", "anonymous PSS MB"),
                          ("threads", "threads")):
            base, ours = mean(baseline[phase], key), mean(mounted[phase], key)
            rows.append({"phase": label, "figure": what, "baseline": base, "mounted": ours,
                         "ratio": ours / base if base and ours is not None else None,
                         "difference": ours - base if base is not None and ours is not None else None})
    return rows


def fmt(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def render(result: dict) -> str:
    lines = [f"per API worker process (mean of {result['workers']}), baseline = {BASELINE}, mounted = {MOUNTED}",
             f"{'phase':<22} {'figure':<18} {'baseline':>10} {'mounted':>10} {'ratio':>7} {'difference':>11}"]
    for row in result["table"]:
        lines.append(f"{row['phase']:<22} {row['figure']:<18} {fmt(row['baseline']):>10} {fmt(row['mounted']):>10} "
                     f"{fmt(row['ratio'], 2):>7} {fmt(row['difference']):>11}")
    for run in (result["baseline"], result["mounted"]):
        each = ", ".join(f"{w['rss_mb']:.1f} → {a['rss_mb']:.1f}" for w, a in zip(run["idle"], run["after"]))
        lines.append(f"{run['name']}: ready after {run['ready_s']:.1f} s; worker RSS MB idle → after: {each}; "
                     f"lookups {run['lookups']['statuses']} (median {run['lookups']['median_ms']:.1f} ms); questions "
                     + (f"{run['questions']['calls']} MCP calls, {run['questions']['tool_errors']} tool errors"
                        if "calls" in run["questions"] else f"{run['questions']['statuses']} by REST")
                     + f" (median {run['questions']['median_ms']:.1f} ms)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True, help="a build folder (python -m kg.cli build --out DIR)")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes (default: %(default)s)")
    parser.add_argument("--calls", type=int, default=200, help="MCP tool calls (default: %(default)s)")
    parser.add_argument("--lookups", type=int, default=200, help="REST entity lookups (default: %(default)s)")
    parser.add_argument("--sessions", type=int, default=20, help="MCP client sessions (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=40, help="REST requests before idle (default: %(default)s)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before each reading (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON results (default: %(default)s)")
    args = parser.parse_args(argv)
    if not (args.build / "manifest.json").is_file():
        parser.error(f"{args.build} holds no build (python -m kg.cli build --out {args.build})")
    entities, codes, labels = the_release(args.build)
    questions = plan(entities, codes, labels, args.calls)
    paths = lookups(entities, args.lookups)
    with tempfile.TemporaryDirectory(prefix="mcp-mount-bench-") as logs:
        baseline = measure("baseline", BASELINE, args, questions, paths, Path(logs))
        mounted = measure("mounted", MOUNTED, args, questions, paths, Path(logs))
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "build": str(args.build), "workers": args.workers, "calls": args.calls,
              "lookups": args.lookups, "entities": len(entities), "codes": len(codes),
              "command": "python bench/mcp_mount_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "baseline": baseline, "mounted": mounted, "table": table(baseline, mounted)}
    print(render(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
