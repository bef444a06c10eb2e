"""What a random ``Accept-Language`` per request costs the served API, with the response cache keyed on the answer's
language (api/cache.py today) and keyed on the raw header (as it was), in one run, on 127.0.0.1 only.

Two servers, each as users start it (granian WSGI, 2 workers, the real build):

- ``normalised``: ``python -m kg.cli serve`` — the cache keys on the language the answer gets (nl or en,
  :func:`api.http.header_language`) and on the Accept header as parsed (:func:`api.http.accept_key`);
- ``raw key``: the same app (``api.wsgi:app``) with :func:`api.cache.key_of` swapped for the key it had before,
  the raw ``Accept`` and ``Accept-Language`` headers (:func:`raw_key`), served by ``granian`` with this module's
  :func:`raw_key_app` as the factory — the baseline, nothing else changed.

Each is loaded with ``wrk`` (http_bench's :func:`~bench.http_bench.load_wrk`, a Lua script setting the headers)
on routes the response cache keeps (a view's JSON, not the lean entity path, which the cache does not keep):
once with one fixed Accept-Language, once with a new random one on every request (a tag, a random subtag, a
second tag with a random weight: as many spellings as requests, each meaning nl or en; the fixed load's script
makes the same random header and does not send it, so wrk's own work is the same). Reported: req/s, p50,
p99, and the ratio random / fixed per server and route, plus each server's random req/s against the normalised
server's fixed. The order of the loads rotates each round.

    python bench/cache_language_bench.py [--build /tmp/bench-build] [--duration 10] [--rounds 1]
                                         [--out bench/results/cache_language.md]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_bench import HOST, Server, free_port, load_wrk, probe, wait_ready

ROUTES = ("/search?q=botnec", "/entities/OSTEOKG:0000106/relations?limit=5")
FIXED = "nl-BE,nl;q=0.9,en;q=0.8"
ACCEPT = "application/json"
#: wrk's Lua: both make a random header per request (so wrk does the same work for each), one sends it, the other
#: sends one fixed header (tags from both languages and others: each random header means nl or en)
_RANDOM_HEADER = """local tags = {"nl", "en", "fr", "de", "nl-BE", "en-GB", "es", "it", "nl-NL", "en-US"}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
local function random_header()
  return tags[math.random(#tags)] .. "-x" .. math.random(1, 100000000) .. ", " ..
         tags[math.random(#tags)] .. ";q=0." .. math.random(1, 9)
end
"""
SCRIPTS = {
    "fixed": _RANDOM_HEADER + f"""request = function()
  local unused = random_header()
  return wrk.format("GET", wrk.path, {{["Accept"] = "{ACCEPT}", ["Accept-Language"] = "{FIXED}"}})
end
""",
    "random": _RANDOM_HEADER + f"""request = function()
  return wrk.format("GET", wrk.path, {{["Accept"] = "{ACCEPT}", ["Accept-Language"] = random_header()}})
end
""",
}


def raw_key(environ: dict) -> tuple:
    """The response cache's key before it was normalised: the raw Accept and Accept-Language headers."""
    from api.cache import cookie_language
    from api.graph import ENVIRON

    served = environ.get(ENVIRON)
    return (served.release.id if served is not None else "", environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            cookie_language(environ))


def raw_key_app():
    """granian's factory for the baseline: the served app (api.wsgi) with the cache keyed on the raw headers."""
    import api.cache
    from api.wsgi import app

    api.cache.key_of = raw_key  # ResponseCache.__call__ looks the name up on every request
    return app


def report(results: list[dict], info: dict) -> str:
    rounds = "" if info["rounds"] == 1 else f" × {info['rounds']} rounds (median)"
    lines = ["# The response cache and a random Accept-Language per request", "",
             (f"Load: wrk with {info['connections']} connections, {info['threads']} threads, {info['duration']:g} s "
              f"per load{rounds}, "
              f"on {HOST}, {os.cpu_count()} cores shared by the servers and wrk. Both servers: granian WSGI, 2 workers, "
              f"the same build and code but for the cache's key. Fixed header: `{FIXED}`; random: a new spelling per "
              f"request. Load average before / after: {info['load_before']} / {info['load_after']}."), "",
             "| route | cache key | Accept-Language | req/s | p50 ms | p99 ms | random / fixed | ÷ normalised fixed |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    by = {(r["route"], r["server"], r["header"]): r for r in results}
    for route in ROUTES:
        reference = by[(route, "normalised", "fixed")]["rps"]
        for server in ("normalised", "raw key"):
            fixed = by[(route, server, "fixed")]["rps"]
            for header in ("fixed", "random"):
                r = by[(route, server, header)]
                ratio = f"**{r['rps'] / fixed:.3f}**" if header == "random" else ""
                note = f" ({r['non2xx']} non-2xx)" if r["non2xx"] else ""
                lines.append(f"| `{route}` | {server} | {header} | {r['rps']:,.0f}{note} | {r['p50']:.2f} | "
                             f"{r['p99']:.2f} | {ratio} | {r['rps'] / reference:.3f} |")
    lines += ["", ("random / fixed: the same server's throughput with a random header over a fixed one (1 means the "
                   "header's spelling costs nothing). ÷ normalised fixed: each load against the normalised server "
                   "with the fixed header, in the same run."), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=Path("/tmp/bench-build"))
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load each (default 10)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of unrecorded load before each (default 2)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every load (default 1)")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ready-timeout", type=float, default=180.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cache_language.md")
    args = ap.parse_args(argv)
    if not 1 <= args.rounds <= 5 or not 1 <= args.duration <= 60:
        ap.error("--rounds must be 1..5 and --duration 1..60")
    if not shutil.which("wrk"):
        ap.error("wrk is not on the PATH: apt-get install wrk")
    if not (args.build / "manifest.json").is_file():
        ap.error(f"no build at {args.build}: python -m kg.cli build --out {args.build}")

    started = time.perf_counter()
    logs = Path(tempfile.mkdtemp(prefix="osteokg-cache-language-bench-"))
    scripts = {}
    for name, text in SCRIPTS.items():
        scripts[name] = logs / f"{name}.lua"
        scripts[name].write_text(text, encoding="utf-8")
    ports = {"normalised": free_port(), "raw key": free_port()}
    env = {"OSTEOKG_BUILD_DIR": str(args.build), "PYTHONPATH": str(ROOT)}
    servers: list[Server] = []
    try:
        servers.append(Server("normalised", [sys.executable, "-m", "kg.cli", "serve", "--host", HOST, "--port",
                                             str(ports["normalised"]), "--workers", "2", "--out", str(args.build)],
                              ports["normalised"], "/health", logs, env))
        servers.append(Server("raw-key", [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory",
                                          "--host", HOST, "--port", str(ports["raw key"]), "--workers", "2",
                                          "bench.cache_language_bench:raw_key_app"],
                              ports["raw key"], "/health", logs, env))
        wait_ready(servers, args.ready_timeout)
        for server, port in ports.items():
            for route in ROUTES:
                first = probe(port, route, ACCEPT)
                if first["status"] != 200:
                    raise RuntimeError(f"{server} {route} answered {first['status']}: {first['head']}")
        loads = [(route, server, header) for route in ROUTES for server in ports for header in SCRIPTS]
        runs: dict[tuple, list[dict]] = {load: [] for load in loads}
        load_before = " ".join(Path("/proc/loadavg").read_text().split()[0:3])
        for round_no in range(args.rounds):
            shift = round_no % len(loads)
            for route, server, header in loads[shift:] + loads[:shift]:
                port = ports[server]
                if round_no == 0 and args.warmup > 0:
                    load_wrk(port, route, None, args.warmup, args.connections, args.threads, scripts[header])
                run = load_wrk(port, route, None, args.duration, args.connections, args.threads, scripts[header])
                runs[(route, server, header)].append(run)
                print(f"round {round_no + 1} {route} {server} {header}: {run['rps']:,.0f} req/s "
                      f"p50 {run['p50']:.2f} ms p99 {run['p99']:.2f} ms", flush=True)
        load_after = " ".join(Path("/proc/loadavg").read_text().split()[0:3])
        for server in servers:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.name} died during the load:\n{server.output()[-2000:]}")
        results = []
        for (route, server, header), measured in runs.items():
            middle = sorted(measured, key=lambda r: r["rps"])[len(measured) // 2]
            results.append({"route": route, "server": server, "header": header,
                            "rps": statistics.median(r["rps"] for r in measured), "rounds": [r["rps"] for r in measured],
                            **{k: middle[k] for k in ("p50", "p99", "non2xx", "socket_errors")}})
        info = {"connections": args.connections, "threads": args.threads, "duration": args.duration,
                "rounds": args.rounds, "load_before": load_before, "load_after": load_after}
        text = report(results, info) + f"\nBench wall time: {time.perf_counter() - started:.0f} s.\n"
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(logs, ignore_errors=True)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"info": info, "results": results}, indent=1) + "\n",
                                             encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
