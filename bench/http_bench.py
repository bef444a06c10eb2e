"""The served API under load, next to a naive baseline, on 127.0.0.1 only.

Starts the API exactly as users do — ``python -m kg.cli serve --host 127.0.0.1 --port P
--workers 2 --out BUILD`` (granian, WSGI) — and the baseline, a Flask hello route under
``gunicorn -w 2`` sync workers (``bench/baseline_app.py``). Waits (bounded) until both answer,
probes every endpoint once (status, size, first-request time), then loads each endpoint with
``wrk -t2 -c16 -d10s --latency`` (or, without wrk, a Python keep-alive client in 2 processes
with 8 connections each). Reports requests/s, p50 and p99 latency, each endpoint's req/s as a
ratio to our own ``/health`` in the same run, and the entity lookup against the baseline.
Both servers are stopped at the end, also on errors.

    python bench/http_bench.py [--build DIR] [--duration 10] [--rounds 1] [--out bench/results/http.md]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg import queries  # after the path above (run as a script from anywhere)

HOST = "127.0.0.1"
SPARQL_JSON = "application/sparql-results+json"
COMPETENCY = "competency/causes-of-osteonecrosis"  # a named query of kg.queries


def endpoints() -> list[dict]:
    query = urllib.parse.quote(queries.text(COMPETENCY), safe="")
    return [
        {"name": "/health", "server": "api", "path": "/health", "accept": "application/json"},
        {"name": "entity lookup /entities/OSTEOKG:0000106", "server": "api", "path": "/entities/OSTEOKG:0000106",
         "accept": "application/json"},
        {"name": "search /search?q=botnec", "server": "api", "path": "/search?q=botnec", "accept": "application/json"},
        {"name": "relations /entities/OSTEOKG:0000106/relations", "server": "api",
         "path": "/entities/OSTEOKG:0000106/relations", "accept": "application/json"},
        {"name": "SPARQL GET /sparql (causes-of-osteonecrosis.rq)", "server": "api", "path": f"/sparql?query={query}",
         "accept": SPARQL_JSON},
        {"name": "baseline: Flask hello / (gunicorn -w 2 sync)", "server": "baseline", "path": "/", "accept": None},
    ]


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _dies_with_bench() -> None:
    """``preexec_fn`` of every server: the kernel sends it SIGTERM when the bench process ends, even by SIGKILL
    (Linux ``PR_SET_PDEATHSIG``; elsewhere a no-op), so a killed bench leaves no server behind."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


class Server:
    """A server process started in its own process group (its workers are stopped with it)."""

    def __init__(self, name: str, cmd: list[str], port: int, probe: str, log_dir: Path,
                 env: dict[str, str | None] | None = None) -> None:
        """Start ``cmd``; ``env`` overrides the environment (a value of None removes the variable)."""
        self.name, self.cmd, self.port, self.probe = name, cmd, port, probe
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("w")
        environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env=environ, preexec_fn=_dies_with_bench)  # noqa: PLW1509 - started before any thread
        self.ready_after: float | None = None

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            conn.request("GET", self.probe)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to the group of the process we started, then SIGKILL after 15 s."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        # workers of the group that outlived the master
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()


def wait_ready(servers: list[Server], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(servers)
    while pending and time.monotonic() < deadline:
        for server in list(pending):
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.output()[-3000:]}")
            if server.answers():
                server.ready_after = time.monotonic() - server.started
                pending.remove(server)
        if pending:
            time.sleep(0.5)
    if pending:
        names = ", ".join(s.name for s in pending)
        raise RuntimeError(f"{names} did not answer within {timeout:.0f} s:\n" +
                           "\n".join(s.output()[-2000:] for s in pending))


# ---------------------------------------------------------------- one request (probe)


def probe(port: int, path: str, accept: str | None) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Accept": accept} if accept else {}
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return {"status": response.status, "bytes": len(body), "ms": elapsed * 1000,
            "type": response.getheader("Content-Type", ""), "head": body[:300].decode("utf-8", "replace")}


# ---------------------------------------------------------------- load: wrk


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"cannot read a wrk latency: {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def load_wrk(port: int, path: str, accept: str | None, duration: float, connections: int, threads: int,
             script: Path | None = None) -> dict:
    """``wrk`` on ``path`` (or, with ``script``, on the paths that Lua script sends, ``path`` only naming the
    server); its requests/s, p50 and p99 in ms, requests, non-2xx answers and socket errors."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "10s"]
    if accept:
        cmd += ["-H", f"Accept: {accept}"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(f"http://{HOST}:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """The figures of one ``wrk --latency`` report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.MULTILINE))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": _ms(latency["50"]), "p99": _ms(latency["99"]), "requests": total,
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else "",
            "tool": "wrk"}


# ---------------------------------------------------------------- load: Python fallback


def _client(port: int, path: str, accept: str | None, connections: int, until: float, queue) -> None:
    """One process: ``connections`` keep-alive connections served round-robin (sequential requests)."""
    headers = {"Accept": accept} if accept else {}
    conns = [http.client.HTTPConnection(HOST, port, timeout=10) for _ in range(connections)]
    latencies, errors, non2xx = [], 0, 0
    i = 0
    while time.monotonic() < until and len(latencies) < 5_000_000:
        conn = conns[i % connections]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status >= 400:
                non2xx += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            continue
        latencies.append(time.perf_counter() - t0)
    for conn in conns:
        conn.close()
    queue.put((latencies, errors, non2xx))


def load_python(port: int, path: str, accept: str | None, duration: float, connections: int, threads: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start = time.monotonic()
    until = start + duration
    procs = [ctx.Process(target=_client, args=(port, path, accept, max(1, connections // threads), until, queue))
             for _ in range(threads)]
    for proc in procs:
        proc.start()
    parts = [queue.get(timeout=duration + 60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    elapsed = time.monotonic() - start
    latencies = sorted(x for part in parts for x in part[0])
    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")
    return {"rps": len(latencies) / elapsed, "p50": pct(0.5), "p99": pct(0.99), "requests": len(latencies),
            "non2xx": sum(p[2] for p in parts), "socket_errors": str(sum(p[1] for p in parts) or ""),
            "tool": "python"}


# ---------------------------------------------------------------- report


def fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def report(results: list[dict], info: dict) -> str:
    by_name = {r["name"]: r for r in results}
    health = by_name["/health"].get("rps")
    baseline_name = next(r["name"] for r in results if r["server"] == "baseline")
    baseline = by_name[baseline_name].get("rps")
    entity = by_name["entity lookup /entities/OSTEOKG:0000106"].get("rps")
    rounds = "" if info["rounds"] == 1 else f" × {info['rounds']} rounds (median req/s, range in brackets; latency of the median round)"
    lines = ["# HTTP benchmark: the served API vs a naive Flask baseline", "",
             (f"Load: {info['tool']} with {info['connections']} connections, {info['threads']} threads, "
             f"{info['duration']:g} s per endpoint{rounds}, "
             f"on {HOST}, {os.cpu_count()} cores shared by servers and load generator. "
             f"API: `python -m kg.cli serve --workers 2` (granian WSGI), ready after {info['api_ready']:.1f} s; "
             f"baseline: `gunicorn -w 2` sync, ready after {info['baseline_ready']:.1f} s. "
             f"Load average before / after: {info['load_before']} / {info['load_after']}. "
             f"Ratios compare endpoints within this run only."), "",
             "| endpoint | status | bytes | first request ms | req/s | p50 ms | p99 ms | ratio to /health |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        p = r["probe"]
        if "rps" not in r:
            lines.append(f"| {r['name']} | {p['status']} | {p['bytes']} | {fmt(p['ms'])} | not measured: {r['skipped']} | | | |")
            continue
        ratio = f"{r['rps'] / health:.3f}" if health and r["server"] == "api" else "—"
        note = ""
        if r["non2xx"] or r["socket_errors"]:
            note = f" ({r['non2xx']} non-2xx, socket errors {r['socket_errors'] or 0})"
        spread = ""
        if len(r.get("rounds", [])) > 1:
            spread = f" ({min(r['rounds']):,.0f}–{max(r['rounds']):,.0f})"
        lines.append(f"| {r['name']} | {p['status']} | {p['bytes']} | {fmt(p['ms'])} | {r['rps']:,.0f}{spread}{note} | "
                     f"{fmt(r['p50'])} | {fmt(r['p99'])} | {ratio} |")
    lines.append("")
    if health and entity:
        lines.append(f"- Entity lookup / our /health: **{entity / health:.3f}** (goal ≥ 0.75: "
                     f"{'met' if entity / health >= 0.75 else 'NOT met'}).")
    if baseline and entity:
        lines.append(f"- Entity lookup / baseline hello (Flask + gunicorn 2 sync): **{entity / baseline:.3f}** "
                     f"(goal > 1: {'met' if entity > baseline else 'NOT met'}).")
    if baseline and health:
        lines.append(f"- Our /health / baseline hello: {health / baseline:.3f}.")
    lines += ["", ("First request ms: one request before the load, from a fresh connection (the API caches rendered GET "
              "answers per URL per worker, so this is the only uncached figure, for one of the two workers; for "
              "/sparql it includes starting that worker's query processes). The endpoint order is rotated each "
              "round."), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=Path("/tmp/bench-build"))
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint (default 10)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of unrecorded load per endpoint first (default 2)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the whole endpoint sequence (default 1)")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ready-timeout", type=float, default=180.0,
                    help="seconds to wait for the servers (serve rebuilds first when the build is stale)")
    ap.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "http.md")
    args = ap.parse_args(argv)
    if not 1 <= args.rounds <= 5 or not 1 <= args.duration <= 60:
        ap.error("--rounds must be 1..5 and --duration 1..60")

    started = time.perf_counter()
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load = load_wrk if tool == "wrk" else load_python
    api_port, baseline_port = free_port(), free_port()
    logs = Path(tempfile.mkdtemp(prefix="osteokg-http-bench-"))
    servers: list[Server] = []
    try:
        servers.append(Server("api", [sys.executable, "-m", "kg.cli", "serve", "--host", HOST, "--port", str(api_port),
                                      "--workers", "2", "--out", str(args.build)], api_port, "/health", logs))
        servers.append(Server("baseline", [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"{HOST}:{baseline_port}",
                                           "bench.baseline_app:app"], baseline_port, "/", logs))
        wait_ready(servers, args.ready_timeout)
        api, baseline = servers
        if "building first" in api.output():
            print("note: `serve` rebuilt the graph before serving (the build was older than the sources)", flush=True)
        ports = {"api": api_port, "baseline": baseline_port}
        load_before = Path("/proc/loadavg").read_text().split()[0:3]
        results = []
        for endpoint in endpoints():
            port = ports[endpoint["server"]]
            first = probe(port, endpoint["path"], endpoint["accept"])
            result = {**endpoint, "probe": first, "rounds": []}
            if first["status"] != 200:
                result["skipped"] = (f"answers {first['status']} ({first['type']}) — not yet available"
                                     if endpoint["path"].startswith("/sparql") else f"answers {first['status']}")
            results.append(result)
            print(f"probe {endpoint['name']}: {first['status']} {first['bytes']} B {first['ms']:.1f} ms", flush=True)
        runs: dict[str, list[dict]] = {r["name"]: [] for r in results}
        for round_no in range(args.rounds):
            # rotate the order each round, so no endpoint always follows the same neighbour
            shift = round_no % len(results)
            for result in results[shift:] + results[:shift]:
                if "skipped" in result:
                    continue
                port = ports[result["server"]]
                if round_no == 0 and args.warmup > 0:
                    load(port, result["path"], result["accept"], args.warmup, args.connections, args.threads)
                run = load(port, result["path"], result["accept"], args.duration, args.connections, args.threads)
                runs[result["name"]].append(run)
                print(f"round {round_no + 1} {result['name']}: {run['rps']:,.0f} req/s p50 {run['p50']:.2f} ms "
                      f"p99 {run['p99']:.2f} ms", flush=True)
        for result in results:
            measured = runs[result["name"]]
            if not measured:
                continue
            middle = sorted(measured, key=lambda r: r["rps"])[len(measured) // 2]
            result.update({k: middle[k] for k in ("p50", "p99", "non2xx", "socket_errors")})
            result["rps"] = statistics.median(r["rps"] for r in measured)
            result["rounds"] = [r["rps"] for r in measured]
        load_after = Path("/proc/loadavg").read_text().split()[0:3]
        if api.proc.poll() is not None or baseline.proc.poll() is not None:
            raise RuntimeError("a server died during the load:\n" + api.output()[-2000:] + baseline.output()[-2000:])
        info = {"tool": tool, "connections": args.connections, "threads": args.threads, "duration": args.duration,
                "rounds": args.rounds, "api_ready": api.ready_after, "baseline_ready": baseline.ready_after,
                "load_before": " ".join(load_before), "load_after": " ".join(load_after)}
        text = report(results, info) + f"\nBench wall time: {time.perf_counter() - started:.0f} s.\n"
    finally:
        for server in servers:
            server.stop()
        api_log = (logs / "api.log").read_text(errors="replace") if (logs / "api.log").exists() else ""
        if "Traceback" in api_log or "ERROR" in api_log:
            print("api server log (tail):\n" + api_log[-3000:], file=sys.stderr)
        shutil.rmtree(logs, ignore_errors=True)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    raw = [{k: v for k, v in r.items() if k != "path" or not v.startswith("/sparql")} for r in results]
    args.out.with_suffix(".json").write_text(json.dumps({"info": info, "results": raw}, indent=1) + "\n",
                                             encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
