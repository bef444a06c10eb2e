"""osteokg's /sparql beside the SPARQL servers it is measured against, on the same queries, on 127.0.0.1 only.

Servers — each first started alone (its start-up, one answer to every query, its memory), then all at once for
the load, each query loaded on each server in turn (the order rotated), so that each ratio compares runs seconds
apart on this shared machine; every server stopped at the end, also on errors (:class:`bench.http_bench.Server`,
whose process group is killed):

- ``ours``: ``python -m kg.cli serve --workers 2 --out FOLDER``, exactly as users serve it (granian, the
  release's on-disk store ``FOLDER/oxigraph`` opened read-only by both workers and their query processes);
- ``bare``: a bare granian + pyoxigraph WSGI app over the same store folder (``bench/bare_sparql_app.py``,
  2 workers, no policy): the floor for a Python server on this engine;
- ``oxigraph-memory``: ``oxigraph serve`` without ``--location`` (in memory), the N-Triples PUT into it;
- ``oxigraph-disk``: ``oxigraph serve-read-only --location FOLDER/oxigraph`` (the same store folder);
- ``rdflib-endpoint``: ``rdflib-endpoint serve FILE.nt`` (uvicorn), by default only at scale 1 (loading
  ~1 M triples into rdflib takes minutes and every query seconds).

Queries (the same text to every server, URL-encoded GET): ``ASK {}``, a label filter (``CONTAINS`` on
``rdfs:label``), every competency question of ``kg/queries/competency/`` and a ``CONSTRUCT``. Each is first
asked once (status, bytes, rows), then loaded with ``wrk -t2 -c16 -d5s --latency``: requests/s, p50, p99.
Memory: RSS and PSS summed over every process of the server (the process started and all its descendants —
our query processes run in sessions of their own, so a process group would miss them — read from /proc
after the load); PSS divides the on-disk store's shared pages between the processes that map them, RSS
counts them once per process. Start-up: seconds from starting the server to its first 200 on ``/sparql``
(and, for ours, on ``/health`` and an entity). Scales: 1 (the real graph) and ``--scale N`` copies of it
(``bench/store_bench.py``'s generator; 100 copies ≈ 0.9 M triples). Last, the hop to a query process is
timed in-process: the pickled tuples and dicts it used before against the bytes framing of
``kg.sparql.framing``. ``--store-memory`` adds, to the results already written, the memory of one process that
opened the on-disk store read-only against one that loaded the N-Triples, at each scale.

    python bench/sparql_bench.py [--build DIR] [--scales 1,100] [--duration 5] [--out bench/results/sparql.md]
    python bench/sparql_bench.py --store-memory [--build DIR] [--scales 1,100]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_bench import HOST, Server, free_port, load_wrk  # noqa: E402 - after the path above
from bench.store_bench import scale_graph  # noqa: E402
from kg import queries  # noqa: E402
from kg.build import graph_hash  # noqa: E402
from kg.releases import file_hash, release_dir  # noqa: E402
from kg.sparql import framing  # noqa: E402
from kg.store import DISK_STORE, write_disk_store  # noqa: E402

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
OSTEONECROSIS = "https://w3id.org/osteokg/OSTEOKG_0000106"
SERVERS = ("ours", "bare", "oxigraph-memory", "oxigraph-disk", "rdflib-endpoint")
WAIT = 300.0  # seconds a server may take to answer its first query (rdflib-endpoint parses the graph first)


def workload() -> list[dict]:
    """The queries: name, class, text, Accept."""
    found = [{"name": "ASK {}", "class": "ask", "text": "ASK {}", "accept": JSON},
             {"name": "label filter", "class": "label",
              "text": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?s ?l WHERE { ?s rdfs:label ?l "
                      'FILTER(CONTAINS(LCASE(STR(?l)), "botnec")) }', "accept": JSON}]
    folder = queries.resources.files("kg") / "queries" / "competency"
    for name in sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".rq")):
        found.append({"name": name, "class": "competency", "text": queries.text(f"competency/{name}"), "accept": JSON})
    found.append({"name": "CONSTRUCT", "class": "construct",
                  "text": f"CONSTRUCT WHERE {{ <{OSTEONECROSIS}> ?p ?o }}", "accept": NTRIPLES})
    return found


# ---------------------------------------------------------------- the served folder

def serving_folder(build: Path, scale: int, tmp: Path, serving: bool = True) -> Path:
    """A one-release folder (no ``current``: served as one release) with the graph ×``scale``, its manifest's
    graph hash, and the files the build writes for its servers, made from that graph: the on-disk store
    ``oxigraph/``, the search index and the documents (``kg.service.documents.write_serving_files``)."""
    release = release_dir(build)
    folder = tmp / f"x{scale}"
    shutil.copytree(release, folder, ignore=shutil.ignore_patterns(DISK_STORE, "*.lmdb", "*.sqlite"))
    nt = folder / "osteokg.nt"
    if scale > 1:
        nt.unlink()
        scale_graph(release / "osteokg.nt", nt, scale)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["graph_sha256"] = graph_hash(nt)
    if "nt_sha256" in manifest:  # what serve checks (kg.releases.verify), in a build that records it
        manifest["nt_sha256"] = file_hash(nt)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")  # also newer than the sources
    started = time.monotonic()
    try:  # what the build writes into a release for its servers: the disk store, the search index, the documents
        if not serving:
            raise ImportError("the disk store alone is asked for")
        from kg.service.documents import write_serving_files
    except ImportError:  # (or a checkout from before them): the disk store alone
        write_disk_store(nt, folder / DISK_STORE)
    else:
        write_serving_files(folder)
    print(f"  x{scale}: {sum(1 for _ in nt.open('rb'))} triples, serving files written in "
          f"{time.monotonic() - started:.1f} s", flush=True)
    return folder


# ---------------------------------------------------------------- processes and memory

def tree(root: int) -> list[int]:
    """``root`` and every descendant (by parent pid, from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kib(path: str, field: str) -> int:
    try:
        with open(path, encoding="ascii") as text:
            for line in text:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(root: int) -> dict:
    pids = tree(root)
    return {"processes": len(pids), "rss_mb": sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids) / 1024,
            "pss_mb": sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) / 1024}


# ---------------------------------------------------------------- one request

def ask(port: int, path: str, accept: str, timeout: float = 120) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def first_answer(server: Server, path: str, accept: str, deadline: float) -> float | None:
    """Seconds from the server's start to its first 200 on ``path``, polled every 20 ms."""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} ended:\n{server.output()[-3000:]}")
        try:
            if ask(server.port, path, accept, timeout=5)[0] == 200:
                return time.monotonic() - server.started
        except OSError:
            pass
        time.sleep(0.02)
    return None


def rows(body: bytes, accept: str) -> int | None:
    try:
        if accept == JSON:
            document = json.loads(body)
            return 1 if "boolean" in document else len(document["results"]["bindings"])
        return sum(1 for line in body.splitlines() if line.strip())
    except (ValueError, KeyError):
        return None


# ---------------------------------------------------------------- servers

def start(kind: str, folder: Path, logs: Path) -> tuple[Server, str]:
    """Start one server over ``folder``; (the server, its query path)."""
    port = free_port()
    store = folder / DISK_STORE
    nt = folder / "osteokg.nt"
    env = {"PYTHONPATH": str(ROOT)}
    if kind == "ours":
        cmd, path = [sys.executable, "-m", "kg.cli", "serve", "--host", HOST, "--port", str(port), "--workers", "2",
                     "--out", str(folder)], "/sparql"
    elif kind == "bare":
        env["BARE_SPARQL_STORE"] = str(store)
        cmd, path = [shutil.which("granian") or "granian", "--interface", "wsgi", "--workers", "2", "--host", HOST,
                     "--port", str(port), "bench.bare_sparql_app:app"], "/"
    elif kind == "oxigraph-memory":
        cmd, path = [shutil.which("oxigraph") or "oxigraph", "serve", "--bind", f"{HOST}:{port}"], "/query"
    elif kind == "oxigraph-disk":
        cmd, path = [shutil.which("oxigraph") or "oxigraph", "serve-read-only", "--location", str(store),
                     "--bind", f"{HOST}:{port}"], "/query"
    elif kind == "rdflib-endpoint":
        cmd, path = [shutil.which("rdflib-endpoint") or "rdflib-endpoint", "serve", "--host", HOST, "--port", str(port),
                     str(nt)], "/"
    else:
        raise ValueError(kind)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # Server passes this process's environment on
    try:
        server = Server(kind, cmd, port, f"{path}?query=ASK%7B%7D", logs)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return server, path


def load_into(port: int, nt: Path) -> float:
    """PUT the N-Triples into an in-memory Oxigraph server's default graph; seconds taken."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        with nt.open("rb") as body:
            conn.request("PUT", "/store?default", body=body, headers={"Content-Type": NTRIPLES,
                                                                      "Content-Length": str(nt.stat().st_size)})
            response = conn.getresponse()
            response.read()
            if response.status >= 300:
                raise RuntimeError(f"loading the Oxigraph server answered {response.status}")
    finally:
        conn.close()
    return time.monotonic() - started


def _ready(server: Server, kind: str, path: str, folder: Path) -> dict:
    """Wait for the first answers (seconds from the start) and load an in-memory Oxigraph server."""
    found: dict = {}
    deadline = time.monotonic() + WAIT
    found["first_sparql_s"] = first_answer(server, f"{path}?query=ASK%7B%7D", JSON, deadline)
    if found["first_sparql_s"] is None:
        raise RuntimeError(f"{kind} did not answer within {WAIT:g} s:\n{server.output()[-3000:]}")
    if kind == "ours":
        found["first_health_s"] = first_answer(server, "/health", "application/json", deadline)
        found["first_entity_s"] = first_answer(server, "/entities/OSTEOKG:0000106", "application/json", deadline)
    if kind == "oxigraph-memory":
        found["load_s"] = load_into(server.port, folder / "osteokg.nt")
    return found


def _target(path: str, item: dict) -> str:
    return f"{path}?query={urllib.parse.quote(item['text'], safe='')}"


def alone(kind: str, folder: Path, work: list[dict], logs: Path) -> dict:
    """One server by itself: its start-up, one answer to every query, then its memory."""
    server, path = start(kind, folder, logs)
    try:
        result = {"server": kind, **_ready(server, kind, path, folder), "queries": {}}
        for item in work:
            started = time.perf_counter()
            status, body = ask(server.port, _target(path, item), item["accept"])
            result["queries"][item["name"]] = {
                "status": status, "bytes": len(body), "rows": rows(body, item["accept"]) if status == 200 else None,
                "first_ms": (time.perf_counter() - started) * 1000,
                **({} if status == 200 else {"error": body[:300].decode("utf-8", "replace")})}
        result["memory"] = memory(server.proc.pid)
    finally:
        server.stop()
    return result


def together(kinds: list[str], folder: Path, work: list[dict], duration: float, logs: Path) -> dict:
    """Every server at once (idle but the one loaded), each query loaded on each server in turn — the order
    rotated from query to query — so that each ratio compares runs seconds apart on this shared machine."""
    servers: dict[str, tuple[Server, str]] = {}
    loads: dict[str, dict] = {kind: {} for kind in kinds}
    try:
        for kind in kinds:
            servers[kind] = start(kind, folder, logs)
            _ready(servers[kind][0], kind, servers[kind][1], folder)
        for index, item in enumerate(work):
            order = kinds[index % len(kinds):] + kinds[:index % len(kinds)]
            for kind in order:
                server, path = servers[kind]
                target = _target(path, item)
                status, _ = ask(server.port, target, item["accept"])
                loads[kind][item["name"]] = (load_wrk(server.port, target, item["accept"], duration, 16, 2)
                                             if status == 200 else {"status": status})
                loads[kind][item["name"]].setdefault("status", status)
                print(f"    {kind:16} {item['name'][:40]:40} {status} "
                      f"{loads[kind][item['name']].get('rps', 0):9.0f} req/s", flush=True)
        for kind, (server, _) in servers.items():
            loads[kind]["memory after the load"] = memory(server.proc.pid)
    finally:
        for server, _ in servers.values():
            server.stop()
    return loads


# ---------------------------------------------------------------- one process: read-only vs in memory

_OPEN = """import json, sys
from kg.store import OxigraphStore
mode, where = sys.argv[1:]
store = None if mode == "none" else OxigraphStore.read_only(where) if mode == "disk" else OxigraphStore(where)
if store is not None:
    store.select("competency/causes-of-osteonecrosis")
    store.select("count-triples")
def mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
print(json.dumps({"rss_mb": mb("VmRSS:"), "peak_mb": mb("VmHWM:")}))
"""


def process_memory(folder: Path) -> dict:
    """The RSS (and peak) of one Python process that imported kg.store and opened nothing, opened the on-disk
    store read-only, or loaded the N-Triples in memory — each after a competency question and a triple count."""
    found = {}
    for mode, where in (("none", ""), ("disk", folder / DISK_STORE), ("memory", folder / "osteokg.nt")):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", _OPEN, mode, str(where)], capture_output=True, text=True,
                              timeout=600, check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        found[mode] = {**json.loads(done.stdout), "seconds": time.monotonic() - started}
    return found


# ---------------------------------------------------------------- the hop

def hop(rounds: int = 20_000) -> dict:
    """One query's request and reply through a socket pair in one process: pickle (before) vs bytes framing."""
    from multiprocessing.connection import Connection

    ours, theirs = socket.socketpair()
    a, b = Connection(ours.detach()), Connection(theirs.detach())
    found = {}
    try:
        for label, body in (("ASK answer (26 B)", b'{"head":{},"boolean":true}'), ("50 kB answer", b"x" * 50_000)):
            reply = {"status": 200, "content_type": JSON, "body": body}
            started = time.perf_counter()
            for _ in range(rounds):
                a.send(("ASK {}", "json", None))
                b.recv()
                b.send(reply)
                a.recv()
            pickled = (time.perf_counter() - started) / rounds * 1e6
            started = time.perf_counter()
            for _ in range(rounds):
                a.send_bytes(framing.request("ASK {}", "json", None))
                framing.read_request(b.recv_bytes())
                b.send_bytes(framing.reply(reply))
                framing.read_reply(a.recv_bytes())
            framed = (time.perf_counter() - started) / rounds * 1e6
            found[label] = {"pickle_us": pickled, "bytes_us": framed}
            assert pickle.loads(pickle.dumps(reply)) == framing.read_reply(framing.reply(reply))
    finally:
        a.close()
        b.close()
    return found


# ---------------------------------------------------------------- report

def _rate(entry: dict | None) -> float | None:
    return entry.get("rps") if entry and entry.get("status") == 200 else None


def _cell(entry: dict | None) -> str:
    if not entry:
        return "—"
    if entry.get("status") != 200:
        return f"{entry.get('status')}"
    return f"{entry['rps']:,.0f} ({entry['p50']:.2f} / {entry['p99']:.1f} ms)"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "—"


def report(runs: dict, work: list[dict], info: dict) -> str:
    lines = ["# /sparql beside Oxigraph, a bare granian + pyoxigraph app and rdflib-endpoint", "",
             (f"`python bench/sparql_bench.py {info['args']}` — {info['when']}, {info['cpus']} cores shared by the servers "
             f"and wrk (`wrk -t2 -c16 -d{info['duration']:g}s --latency`, URL-encoded GET, one server loaded at a time). "
             "Cells: req/s (p50 / p99). Ratios are ours ÷ theirs in the same run. Targets (issue 9): ≥ 0.8 × bare on "
             "every query class, ≥ 0.5 × Oxigraph in memory on the competency questions, ≥ 10 × rdflib-endpoint; at "
             "1 M all processes together ≤ 2 × Oxigraph's memory; first answer of every route ≤ 2 s after start."), ""]
    for scale, run in runs.items():
        servers = run["servers"]
        present = [s for s in SERVERS if s in servers]
        lines += [f"## Graph ×{scale} ({run['triples']:,} triples)", "",
                  "| query | rows | " + " | ".join(present) + " | ours/bare | ours/ox-mem | ours/ox-disk | ours/rdflib |",
                  "| --- | ---: | " + " | ".join("---:" for _ in present) + " | ---: | ---: | ---: | ---: |"]
        for item in work:
            name = item["name"]
            entries = {s: servers[s]["queries"].get(name) for s in present}
            ours = _rate(entries.get("ours"))
            row_count = (entries.get("ours") or {}).get("rows")
            lines.append(f"| {name} | {row_count if row_count is not None else '—'} | "
                         + " | ".join(_cell(entries[s]) for s in present) + " | "
                         + " | ".join(_ratio(ours, _rate(entries.get(other))) for other in
                                      ("bare", "oxigraph-memory", "oxigraph-disk", "rdflib-endpoint")) + " |")
        lines += ["", "By query class (the lowest ratio of the class, and the median):", "",
                  "| class | ours/bare min | median | ours/ox-mem min | median | ours/ox-disk min | median | ours/rdflib min |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for klass in ("ask", "label", "competency", "construct"):
            cells = []
            for other in ("bare", "oxigraph-memory", "oxigraph-disk", "rdflib-endpoint"):
                ratios = sorted(r for r in (
                    (_rate(servers.get("ours", {}).get("queries", {}).get(i["name"])) or 0)
                    / (_rate(servers.get(other, {}).get("queries", {}).get(i["name"])) or float("inf"))
                    for i in work if i["class"] == klass) if r)
                cells.append(f"{ratios[0]:.2f}" if ratios else "—")
                if other != "rdflib-endpoint":
                    cells.append(f"{ratios[len(ratios) // 2]:.2f}" if ratios else "—")
            lines.append(f"| {klass} | " + " | ".join(cells) + " |")
        lines += ["", "Memory: alone, after one answer to every query; loaded, after the load (every server running).", "",
                  "| server | processes | RSS sum alone | PSS sum alone | RSS sum loaded | PSS sum loaded | first /sparql answer | other |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for s in present:
            entry = servers[s]
            mem = entry.get("memory", {})
            other = []
            if "first_health_s" in entry:
                other.append(f"first /health {entry['first_health_s']:.2f} s, first entity {entry['first_entity_s']:.2f} s")
            if "load_s" in entry:
                other.append(f"PUT of the graph {entry['load_s']:.1f} s")
            first = entry.get("first_sparql_s")
            loaded = entry.get("memory_loaded", {})
            lines.append(f"| {s} | {mem.get('processes', '—')} | {mem.get('rss_mb', 0):,.0f} MB | {mem.get('pss_mb', 0):,.0f} MB"
                         f" | {loaded.get('rss_mb', 0):,.0f} MB | {loaded.get('pss_mb', 0):,.0f} MB"
                         f" | {f'{first:.2f} s' if first is not None else '—'} | {'; '.join(other)} |")
        if "ours" in servers and "oxigraph-memory" in servers:
            ours_mem, ox_mem = servers["ours"].get("memory", {}), servers["oxigraph-memory"].get("memory", {})
            if ours_mem and ox_mem:
                lines += ["", (f"Memory alone, ours ÷ Oxigraph in memory: PSS {ours_mem['pss_mb'] / ox_mem['pss_mb']:.2f} ×, "
                               f"RSS {ours_mem['rss_mb'] / ox_mem['rss_mb']:.2f} ×.")]
        lines.append("")
    if info.get("store_memory"):
        lines += ["## One process: the on-disk store opened read-only, or the N-Triples loaded in memory", "",
                  ("`python bench/sparql_bench.py --store-memory` — a fresh `python -c` per cell that imports kg.store, "
                   "opens the store, answers a competency question and counts the triples; its RSS then (peak in "
                   "brackets) and its time from start to end."), "",
                  "| graph | nothing opened | on disk, read-only | in memory |", "| --- | ---: | ---: | ---: |"]
        for scale, entry in info["store_memory"].items():
            cells = [f"{entry[m]['rss_mb']:,.0f} MB ({entry[m]['peak_mb']:,.0f}), {entry[m]['seconds']:.1f} s"
                     for m in ("none", "disk", "memory")]
            lines.append(f"| ×{scale} ({entry['triples']:,} triples) | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## The hop to a query process (in-process, one socket pair, request and reply)", "",
              "| answer | pickled tuple and dict | bytes framing (kg.sparql.framing) |", "| --- | ---: | ---: |"]
    for label, entry in info["hop"].items():
        lines.append(f"| {label} | {entry['pickle_us']:.1f} µs | {entry['bytes_us']:.1f} µs |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=ROOT / "build", help="a built folder (osteokg build --out DIR)")
    ap.add_argument("--scales", default="1,100", help="copies of the graph, comma-separated (default 1,100)")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds of wrk per query and server (default 5)")
    ap.add_argument("--servers", default=",".join(SERVERS), help=f"which of {', '.join(SERVERS)}")
    ap.add_argument("--rdflib-max-scale", type=int, default=1, help="rdflib-endpoint only up to this scale (default 1)")
    ap.add_argument("--only", default="", help="run only the queries whose name contains one of these (comma-separated)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sparql.md")
    ap.add_argument("--store-memory", action="store_true",
                    help="measure only one process's memory (disk store vs in memory) at each scale, and add it to "
                         "the results already in --out's .json")
    args = ap.parse_args(argv)
    if args.store_memory:
        return add_store_memory(args)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    work = workload()
    if args.only:
        work = [w for w in work if any(part in w["name"] for part in args.only.split(","))]
    chosen = [s for s in args.servers.split(",") if s]
    runs: dict = {}
    info = {"args": " ".join(argv if argv is not None else sys.argv[1:]), "duration": args.duration,
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(), "hop": hop()}
    with tempfile.TemporaryDirectory(prefix="sparql-bench-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        for scale in (int(s) for s in args.scales.split(",")):
            folder = serving_folder(args.build, scale, tmp)
            run = {"triples": sum(1 for _ in (folder / "osteokg.nt").open("rb")), "servers": {}}
            kinds = [k for k in chosen if k != "rdflib-endpoint" or scale <= args.rdflib_max_scale]
            for kind in kinds:
                print(f"  x{scale} {kind} alone", flush=True)
                run["servers"][kind] = alone(kind, folder, work, logs)
            print(f"  x{scale} under load", flush=True)
            for kind, loaded in together(kinds, folder, work, args.duration, logs).items():
                run["servers"][kind]["memory_loaded"] = loaded.pop("memory after the load")
                for name, entry in loaded.items():
                    run["servers"][kind]["queries"][name].update(entry)
            runs[scale] = run
            shutil.rmtree(folder)
            write_results(args, runs, work, info)  # after each scale: a long run keeps what it measured
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


def write_results(args: argparse.Namespace, runs: dict, work: list[dict], info: dict) -> None:
    args.out.write_text(report(runs, work, info), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"info": info, "runs": runs}, indent=1), encoding="utf-8")


def add_store_memory(args: argparse.Namespace) -> int:
    results_path = args.out.with_suffix(".json")
    results = json.loads(results_path.read_text(encoding="utf-8"))
    found = {}
    with tempfile.TemporaryDirectory(prefix="sparql-bench-") as tmp_name:
        for scale in (int(s) for s in args.scales.split(",")):
            folder = serving_folder(args.build, scale, Path(tmp_name), serving=False)
            found[str(scale)] = {"triples": sum(1 for _ in (folder / "osteokg.nt").open("rb")), **process_memory(folder)}
            print(f"  x{scale}: {found[str(scale)]}", flush=True)
            shutil.rmtree(folder)
    results["info"]["store_memory"] = found
    work = workload()
    names = {name for run in results["runs"].values() for s in run["servers"].values() for name in s["queries"]}
    args.out.write_text(report(results["runs"], [w for w in work if w["name"] in names], results["info"]),
                        encoding="utf-8")
    results_path.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"wrote {args.out} and {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
