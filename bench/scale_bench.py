"""The served API on realistic access, from the real graph to about a million triples (issue 9).

For each scale (``--scales 1,10,100,170``: copies of the graph; ``1M`` means the copies closest to a
million triples) it makes a served release folder — the real build (``python -m kg.cli build``) for 1,
and for k > 1 the graph copied k times by bench/store_bench.py's generator (every OSTEOKG term renamed
per copy to another seven-digit ID, blank nodes relabelled, labels and synonyms ending in a word of their
copy, the schema's categories, sources and relations shared), written as that folder's ``osteokg.nt``
with a manifest; ``kg.service.documents.write_serving_files(folder)`` is called when it exists. Then, per scale, it starts
the API exactly as users do (``python -m kg.cli serve --host 127.0.0.1 --port P --workers 2 --out DIR``),
once with the response cache on (the default) and once off (``OSTEOKG_RESPONSE_CACHE_SIZE=0``), and
measures

- time to ready: from the process start to the first 200 of each route (polled side by side);
- memory: RSS and PSS of every process of the server (master, workers, SPARQL query processes), after
  the start and after the load, and an Oxigraph server's in memory holding the same file;
- mixed loads with ``wrk`` (a Lua script that sends a different path per request): every entity, every
  entity's relations, 50 search words, 10 short prefixes, and ``/health`` in the same server run; one
  repeated URL (cache on) for comparison with bench/http_bench.py;

and writes bench/results/scale.md (tables per scale, a summary against the issue's targets),
bench/results/scale.json (raw) and, through bench/plot.py, bench/results/scale.png. Every wait has a
deadline; every server is stopped at the end, also on errors and Ctrl-C; temporary folders are removed
unless ``--keep``.

    python bench/scale_bench.py [--scales 1,10,100,170] [--duration 10] [--keep]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import importlib
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_bench import HOST, Server, free_port, load_wrk
from bench.store_bench import scale_graph

JSON = "application/json"
SPARQL_JSON = "application/sparql-results+json"
ENTITY = "OSTEOKG:0000106"  # osteonecrosis: in copy 0 at every scale
LABEL_LINE = re.compile(r"^<https://w3id\.org/osteokg/OSTEOKG_([0-9]+(?:_[0-9]+)?)> "
                        r"<http://www\.w3\.org/2000/01/rdf-schema#label> ", re.MULTILINE)

#: what people type, chosen from the two source texts (/work/shared/seeds/) and the graph's labels and synonyms:
#: Dutch lay and clinical words, English, several words, typos; the same words find every copy
WORDS: tuple[str, ...] = (
    # Dutch, lay
    "botontkalking", "heupbreuk", "rugpijn", "polsbreuk", "wervelbreuk", "broze botten", "gebroken heup",
    "kunstheup", "pijnstillers", "krukken", "botbreuk", "kaakbotnecrose", "botdichtheidsmeting",
    # Dutch, clinical
    "osteoporose", "osteonecrose", "fragiliteitsfractuur", "heupfractuur", "wervelfractuur", "bisfosfonaat", "prednison", "artroplastiek", "botscintigrafie",
    # English
    "osteoporosis", "hip fracture", "back pain", "avascular necrosis", "bone density", "vitamin D",
    "bisphosphonate", "wrist fracture", "osteonecrosis of the jaw",
    # several words, in another order than the label's
    "breuk heup", "pijn rug", "botnecrose knie", "fracture hip",
    # typos
    "osteoporsis", "osteoporoze", "botontkalkng", "heupbruek", "osteonecorse",
)
#: 2-4 letter prefixes, as typed before a suggestion list appears
PREFIXES: tuple[str, ...] = ("os", "bot", "heu", "wer", "pij", "kaak", "frac", "dx", "mr", "vit")
assert len(WORDS) + len(PREFIXES) == 50 and len(set(WORDS + PREFIXES)) == 50

#: the routes whose first answer is timed from the process start
READY_ROUTES: dict[str, tuple[str, str]] = {
    "health": ("/health", JSON),
    "entity": (f"/entities/{ENTITY}", JSON),
    "relations": (f"/entities/{ENTITY}/relations", JSON),
    "search": ("/search?q=" + urllib.parse.quote("botontkalking"), JSON),
    "sparql ASK": ("/sparql?query=" + urllib.parse.quote("ASK {}"), SPARQL_JSON),
}
#: the loads, in the order they run: (name, what), each with cache on and off; "repeated" only with the cache on
LOADS = ("health", "entity", "relations", "search", "prefix", "repeated")
#: how bench/store_bench.py's generator makes the copies: labels that differ per copy, one schema, IDs the API serves
GENERATOR = {"relabel": True, "share_schema": True, "renumber": True}
TARGET_MEMORY_FACTOR = 2.0
TARGET_READY_S = 2.0


# ---------------------------------------------------------------- pure parts (tests/bench/)


def lua_paths(paths: list[str]) -> str:
    """The body of a wrk script's Lua table of ``paths`` (one quoted path a line); a ValueError for no paths, or for
    a path wrk cannot send as it is. bench/reliability_bench.py's scripts use it too."""
    if not paths:
        raise ValueError("no paths to send")
    for path in paths:
        if not path.startswith("/") or any(c in path for c in '"\\\n\r ') or not path.isascii():
            raise ValueError(f"not a path wrk can send as it is (quote it first): {path!r}")
    return ",\n".join(f'  "{p}"' for p in paths)


def lua_script(paths: list[str], accept: str | None = JSON) -> str:
    """A wrk script that sends ``paths`` in turn, a different path per request; each wrk thread starts at
    another place in the list, so the threads do not send the same path at the same time."""
    body = lua_paths(paths)
    header = f'{{["Accept"] = "{accept}"}}' if accept else "{}"
    return f"""-- generated by bench/scale_bench.py: {len(paths)} paths, a different one per request
local paths = {{
{body}
}}
local headers = {header}
local counter = 0
local created = 0

function setup(thread)
  thread:set("offset", created)
  created = created + 1
end

function init(args)
  counter = ((offset or 0) * 7919) % #paths
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], headers)
end
"""


def entity_curies(nt_text: str) -> list[str]:
    """The CURIE of every osteokg entity with a label in an N-Triples text, in file order, each once."""
    return list(dict.fromkeys(f"OSTEOKG:{local}" for local in LABEL_LINE.findall(nt_text)))


def search_paths(words: tuple[str, ...], route: str = "/search") -> list[str]:
    return [f"{route}?q={urllib.parse.quote(word)}" for word in words]


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, session id, start time in ticks) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    return int(fields[1]), int(fields[3]), int(fields[19])


def process_tree(root: int) -> list[int]:
    """``root`` and every live process below it, or in its session (a process that made its own session, as a
    SPARQL query process does, is found as a descendant): pids in tree order."""
    parents: dict[int, list[int]] = {}
    session: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is None:
            continue
        parents.setdefault(stat[0], []).append(int(entry.name))
        if stat[1] == root:
            session.append(int(entry.name))
    if _stat(root) is None:
        return []
    found, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        if pid in found:
            continue
        found.append(pid)
        todo.extend(sorted(parents.get(pid, [])))
    return found + [pid for pid in sorted(session) if pid not in found]


def _kib(path: Path, field: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def role(pid: int, root: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        cmd = ""
    if pid == root:
        return "server (osteokg serve, granian's master)"
    if "kg.sparql.worker" in cmd:
        return "SPARQL query process"
    return "API worker"


def memory(root: int) -> dict:
    """RSS and PSS (MB) of every process of the tree under ``root``, and their totals (PSS: None when
    /proc/PID/smaps_rollup cannot be read; it is the fair figure, counting a shared page once over all)."""
    processes = []
    for pid in process_tree(root):
        rss = _kib(Path(f"/proc/{pid}/status"), "VmRSS")
        if rss is None:
            continue
        rollup = Path(f"/proc/{pid}/smaps_rollup")
        pss, anon = _kib(rollup, "Pss"), _kib(rollup, "Pss_Anon")
        stat = _stat(pid)
        processes.append({"pid": pid, "started_ticks": stat[2] if stat else None, "role": role(pid, root),
                          "rss_mb": rss / 1024,
                          "pss_mb": None if pss is None else pss / 1024,
                          "pss_anon_mb": None if anon is None else anon / 1024})
    pss_known = processes and all(p["pss_mb"] is not None for p in processes)
    anon_known = processes and all(p["pss_anon_mb"] is not None for p in processes)
    return {"processes": processes, "rss_mb": sum(p["rss_mb"] for p in processes),
            "pss_mb": sum(p["pss_mb"] for p in processes) if pss_known else None,
            # the heap and stacks, as opposed to pages of mapped files (the release's store, documents and index:
            # the page cache's, shared with every process that maps them and reclaimable)
            "pss_anon_mb": sum(p["pss_anon_mb"] for p in processes) if anon_known else None}


def copies_for(target_triples: float, one: int, probe: int, probe_copies: int) -> int:
    """The copies whose graph is closest to ``target_triples``, from the triples of one copy and of
    ``probe_copies`` copies (each copy after the first adds the same number)."""
    if probe_copies < 2 or probe <= one:
        raise ValueError("the probe must have more copies, and more triples, than one copy")
    per_copy = (probe - one) / (probe_copies - 1)
    return max(1, round(1 + (target_triples - one) / per_copy))


# ---------------------------------------------------------------- release folders


def serving_writer():
    """``kg.service.documents.write_serving_files`` when the code has it, else None."""
    try:
        module = importlib.import_module("kg.service.documents")
    except ImportError:
        return None
    return getattr(module, "write_serving_files", None)


def serving_files_present(folder: Path) -> bool:
    """Whether ``folder`` holds every serving file kg.releases names (the build writes them since issue 9)."""
    from kg import releases

    names = [getattr(releases, name, None) for name in ("DISK_STORE", "DOCUMENTS", "SEARCH_INDEX")]
    return all(names) and all((folder / name).exists() for name in names)


SERVING_TIMEOUT = 1800.0  # seconds write_serving_files may take (a subprocess, killed past it)


def _write_serving_files(folder: Path, timeout: float = SERVING_TIMEOUT) -> dict:
    """Write the folder's serving files in a subprocess (bounded; its memory is not the bench's)."""
    if serving_files_present(folder):
        return {"ran": True, "by": "osteokg build", "seconds": None}
    if serving_writer() is None:
        return {"ran": False, "why": "kg.service.documents.write_serving_files does not exist yet"}
    t0 = time.perf_counter()
    code = "import sys; from pathlib import Path; from kg.service.documents import write_serving_files as w; w(Path(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode:
        raise RuntimeError(f"write_serving_files({folder}) failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {"ran": True, "by": "write_serving_files", "seconds": time.perf_counter() - t0}


def real_release(tmp: Path, given: Path | None) -> dict:
    """The 1× folder: ``--build`` as given, or a fresh ``python -m kg.cli build`` (timed)."""
    if given is not None:
        folder, seconds = given, None
    else:
        folder = tmp / "x1"
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(folder)], cwd=ROOT,
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode:
            raise RuntimeError(f"osteokg build failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        seconds = time.perf_counter() - t0
    from kg.releases import release_dir

    release = release_dir(folder)
    serving = _write_serving_files(release)
    nt = (release / "osteokg.nt").read_text(encoding="utf-8")
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    if given is None:
        os.utime(release / "manifest.json")  # newer than the serving files: serve does not rebuild it
    return {"copies": 1, "folder": str(folder), "triples": manifest["counts"]["triples"], "release": manifest["release"],
            "entities": entity_curies(nt), "build_seconds": seconds, "serving_files": serving}


#: the code a scaled folder's serving files come from: a folder made by other code is made again
SERVING_CODE = ("kg/service/documents.py", "kg/search.py", "kg/store.py", "kg/releases.py", "bench/store_bench.py")
KEY_FILE = "scale-bench-key.json"


def folder_key(base: dict, copies: int) -> dict:
    """What a kept scaled folder was made from: the 1× release, the copies, the generator and the serving code."""
    import hashlib

    code = hashlib.sha256()
    for name in SERVING_CODE:
        path = ROOT / name
        code.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return {"from_release": base["release"], "copies": copies, "generator": GENERATOR, "code": code.hexdigest()[:16]}


def scaled_release(tmp: Path, base: dict, copies: int, folders: Path | None = None) -> dict:
    """A flat release folder with ``copies`` copies of the 1× graph and a manifest for it; with ``folders``, made
    there and kept, and a folder made there before from the same release, generator and code is used again."""
    from kg.releases import graph_hash, release_dir

    key = folder_key(base, copies)
    folder = (folders or tmp) / f"x{copies}"
    if folders is not None and (folder / KEY_FILE).exists():
        kept = json.loads((folder / KEY_FILE).read_text(encoding="utf-8"))
        if kept.get("key") == key:
            os.utime(folder / "manifest.json")
            return {**kept["release"], "folder": str(folder), "reused": True,
                    "entities": entity_curies((folder / "osteokg.nt").read_text(encoding="utf-8"))}
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    source = release_dir(Path(base["folder"]))
    t0 = time.perf_counter()
    triples = scale_graph(source / "osteokg.nt", folder / "osteokg.nt", copies, **GENERATOR)
    generated = time.perf_counter() - t0
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    digest = graph_hash(folder / "osteokg.nt")
    if "nt_sha256" in manifest:  # what serve checks (kg.releases.verify) in a build that records it
        from kg.releases import file_hash

        manifest["nt_sha256"] = file_hash(folder / "osteokg.nt")
    manifest.update({"built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "graph_sha256": digest, "release": digest[:16], "artefacts": ["osteokg.nt"],
                     "synthetic": {"copies": copies, "from_release": manifest.get("release"),
                                   "by": "bench/scale_bench.py (bench/store_bench.py's scale_graph)"}})
    manifest["counts"] = {"triples": triples}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    serving = _write_serving_files(folder)
    os.utime(folder / "manifest.json")
    nt = (folder / "osteokg.nt").read_text(encoding="utf-8")
    made = {"copies": copies, "triples": triples, "generate_seconds": generated,
            "release_seconds": time.perf_counter() - t0, "serving_files": serving}
    (folder / KEY_FILE).write_text(json.dumps({"key": key, "release": made}, indent=1), encoding="utf-8")
    return {**made, "folder": str(folder), "reused": False, "entities": entity_curies(nt)}


# ---------------------------------------------------------------- one request, readiness


def get(port: int, path: str, accept: str | None, timeout: float) -> tuple[int, int, float]:
    """(status, body bytes, seconds) of one GET on a fresh connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept": accept} if accept else {})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body), time.perf_counter() - t0
    finally:
        conn.close()


def one_client(port: int, paths: list[str], rounds: int = 3) -> dict:
    """Latency as one client sees it (the issue's "one client, p50"): every path in turn on one keep-alive
    connection, ``rounds`` times after one unrecorded round, so no request waits behind another."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    times: list[float] = []
    try:
        for round_ in range(rounds + 1):
            for path in paths:
                t0 = time.perf_counter()
                conn.request("GET", path, headers={"Accept": JSON})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status}")
                if round_:
                    times.append((time.perf_counter() - t0) * 1000)
    finally:
        conn.close()
    times.sort()
    return {"requests": len(times), "p50": statistics.median(times), "p99": times[int(len(times) * 0.99)]}


def time_to_ready(server: Server, routes: dict[str, tuple[str, str]], timeout: float) -> dict:
    """Seconds from the server's start to the first 200 of each route, every route polled in its own thread."""
    deadline = server.started + timeout
    stop = threading.Event()

    def poll(path: str, accept: str) -> dict:
        tries, statuses = 0, set()
        while not stop.is_set() and time.monotonic() < deadline:
            if server.proc.poll() is not None:
                return {"error": f"server exited with {server.proc.returncode}"}
            tries += 1
            try:
                status, size, seconds = get(server.port, path, accept, max(0.5, min(30.0, deadline - time.monotonic())))
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
                continue
            if status == 200:
                return {"seconds": time.monotonic() - server.started, "request_ms": seconds * 1000, "bytes": size,
                        "tries": tries, "other_statuses": sorted(statuses)}
            statuses.add(status)
            if status >= 500 and status != 503:  # 503: not ready yet; any other is a failure, not a wait
                return {"error": f"answered {status} ({path})"}
            time.sleep(0.05)
        return {"error": f"no 200 within {timeout:.0f} s (statuses {sorted(statuses)})"}

    with concurrent.futures.ThreadPoolExecutor(len(routes)) as pool:
        futures = {name: pool.submit(poll, path, accept) for name, (path, accept) in routes.items()}
        try:
            return {name: future.result(timeout=timeout + 60) for name, future in futures.items()}
        finally:
            stop.set()


def suggestion_route(port: int) -> str | None:
    """A prefix-suggestion route when the API documents one (a path with 'suggest' or 'complete' in
    /openapi.json), else None: then prefixes go to /search."""
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("GET", "/openapi.json")
        document = json.loads(conn.getresponse().read())
        conn.close()
    except (OSError, ValueError, http.client.HTTPException):
        return None
    for path in sorted(document.get("paths", {})):
        if ("suggest" in path or "complete" in path) and "{" not in path:
            return path
    return None


# ---------------------------------------------------------------- Oxigraph server, the memory baseline


def oxigraph_baseline(nt: Path, logs: Path, timeout: float) -> dict:
    """An Oxigraph server in memory holding ``nt`` (loaded by an HTTP PUT): its load time and memory."""
    if shutil.which("oxigraph") is None:
        return {"error": "the oxigraph CLI is not installed"}
    port = free_port()
    server = Server("oxigraph", ["oxigraph", "serve", "--bind", f"{HOST}:{port}"], port,
                    "/query?query=" + urllib.parse.quote("ASK {}"), logs)
    try:
        deadline = time.monotonic() + 60
        while not server.answers():
            if server.proc.poll() is not None or time.monotonic() > deadline:
                return {"error": "the Oxigraph server did not start: " + server.output()[-500:]}
            time.sleep(0.1)
        t0 = time.perf_counter()
        with nt.open("rb") as body:
            conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
            conn.request("PUT", "/store?default", body=body,
                         headers={"Content-Type": "application/n-triples", "Content-Length": str(nt.stat().st_size)})
            status = conn.getresponse().status
            conn.close()
        loaded = time.perf_counter() - t0
        if status >= 300:
            return {"error": f"loading answered {status}"}
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        conn.request("GET", "/query?query=" + urllib.parse.quote(count), headers={"Accept": SPARQL_JSON})
        answer = json.loads(conn.getresponse().read())
        conn.close()
        triples = int(answer["results"]["bindings"][0]["n"]["value"])
        return {"load_seconds": loaded, "triples": triples, **memory(server.proc.pid)}
    finally:
        server.stop()


# ---------------------------------------------------------------- one scale, one configuration


def serve(release: dict, cache: bool, args, logs: Path) -> dict:
    """Start ``osteokg serve`` over the release folder, time its routes' first answers, load it, measure it."""
    port = free_port()
    env = {"OSTEOKG_RESPONSE_CACHE_SIZE": None if cache else "0"}
    name = f"api-x{release['copies']}-cache-{'on' if cache else 'off'}"
    server = Server(name, [sys.executable, "-m", "kg.cli", "serve", "--host", HOST, "--port", str(port),
                           "--workers", "2", "--out", release["folder"]], port, "/health", logs, env=env)
    seen: dict[int, int] = {}  # pid → start time (ticks) of every process of the server's tree seen
    try:
        ready = time_to_ready(server, READY_ROUTES, args.ready_timeout)
        if "building first" in server.output():
            raise RuntimeError(f"osteokg serve rebuilt {release['folder']} before serving it (a source changed "
                               f"during the bench): the figures would be the real graph's, not this scale's")
        failed = {route: r["error"] for route, r in ready.items() if "error" in r}
        if failed:
            raise RuntimeError(f"{name}: {failed}\n{server.output()[-3000:]}")
        after_start = memory(server.proc.pid)
        seen.update((p["pid"], p["started_ticks"]) for p in after_start["processes"] if p["started_ticks"])
        suggest = suggestion_route(port)
        paths = {
            "entity": [f"/entities/{c}" for c in release["entities"]],
            "relations": [f"/entities/{c}/relations" for c in release["entities"]],
            "search": search_paths(WORDS + PREFIXES),
            "prefix": search_paths(PREFIXES, suggest or "/search"),
        }
        scripts = {}
        for route, route_paths in paths.items():
            script = logs / f"{name}-{route}.lua"
            script.write_text(lua_script(route_paths), encoding="utf-8")
            scripts[route] = script
        probes = {}
        for route, route_paths in paths.items():  # the first and the last path of each load, once
            for path in dict.fromkeys((route_paths[0], route_paths[-1])):
                probes[path] = get(port, path, JSON, 60)[0]
        refused = {path: status for path, status in probes.items() if status != 200}
        if refused:
            print(f"  {name}: not 200 before the load: {refused}", flush=True)
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        loads: dict[str, dict] = {}
        for route in LOADS:
            if route == "repeated" and not cache:
                continue
            if route in ("health", "repeated"):
                path, script = ("/health" if route == "health" else f"/entities/{ENTITY}"), None
            else:
                path, script = "/", scripts[route]
            if args.warmup > 0:
                load_wrk(port, path, JSON, args.warmup, args.connections, args.threads, script)
            run = load_wrk(port, path, JSON, args.duration, args.connections, args.threads, script)
            run["paths"] = len(paths[route]) if script else 1
            loads[route] = run
            print(f"  {name} {route}: {run['rps']:,.0f} req/s, p50 {run['p50']:.2f} ms, p99 {run['p99']:.2f} ms"
                  + (f", {run['non2xx']} non-2xx" if run["non2xx"] else "")
                  + (f", socket errors {run['socket_errors']}" if run["socket_errors"] else ""), flush=True)
        health = loads["health"]["rps"]
        for run in loads.values():
            run["ratio"] = run["rps"] / health if health else None
        for route in ("search", "prefix"):  # and as one client sees them, no request queued behind another
            loads[route]["one_client"] = one_client(port, paths[route])
            print(f"  {name} {route}, one client: p50 {loads[route]['one_client']['p50']:.2f} ms, "
                  f"p99 {loads[route]['one_client']['p99']:.2f} ms", flush=True)
        if server.proc.poll() is not None:
            raise RuntimeError(f"{name} died during the load:\n{server.output()[-3000:]}")
        after_load = memory(server.proc.pid)
        seen.update((p["pid"], p["started_ticks"]) for p in after_load["processes"] if p["started_ticks"])
        return {"cache": cache, "ready": ready, "suggestion_route": suggest, "probes": probes,
                "memory_after_start": after_start,
                "memory_after_load": after_load, "loads": loads, "load_before": " ".join(load_before),
                "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3])}
    finally:
        stop_tree(server, seen)


def stop_tree(server: Server, seen: dict[int, int]) -> None:
    """Stop the server's process group, then any process of its tree seen during the run that outlived it (the
    same process: its start time is checked, so a pid used again by another process is left alone)."""
    started = {**seen, **{pid: stat[2] for pid in process_tree(server.proc.pid) if (stat := _stat(pid))}}
    server.stop()
    for pid, ticks in started.items():
        stat = _stat(pid)
        if stat is not None and stat[2] == ticks and pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


# ---------------------------------------------------------------- report


def fmt(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}" if abs(x) < 10 else f"{x:.1f}"


def scale_label(scale: dict) -> str:
    return f"×{scale['copies']} ({scale['triples']:,} triples, {len(scale['entities']):,} entities)"


ROUTE_NAMES = {
    "health": "`/health`",
    "entity": "entity lookup, every entity",
    "relations": "relations, every entity",
    "search": "search, 50 words",
    "prefix": "prefixes, 10 (2–4 letters)",
    "repeated": f"one repeated URL `/entities/{ENTITY}`",
}


def scale_tables(scale: dict) -> list[str]:
    lines = [f"## {scale_label(scale)}", ""]
    if scale["copies"] == 1:
        built = scale.get("build_seconds")
        lines.append(f"Release: the real build{f' ({built:.1f} s)' if built else ' (given with --build)'}; "
                     + _serving_note(scale) + ".")
    else:
        again = " (made by an earlier run with the same release and code, `--folders`)" if scale.get("reused") else ""
        lines.append(f"Release: {scale['copies']} copies of the real graph, generated in {scale['generate_seconds']:.1f} s, "
                     f"folder ready in {scale['release_seconds']:.1f} s{again}; " + _serving_note(scale) + ".")
    lines.append("")
    configs = scale["configs"]
    lines += [("| route | paths | cache on: req/s | p50 ms | p99 ms | ratio to /health | cache off: req/s | p50 ms | "
               "p99 ms | ratio to /health |"), "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for route in LOADS:
        cells = []
        paths = "—"
        for key in ("on", "off"):
            run = configs.get(key, {}).get("loads", {}).get(route)
            if run is None:
                cells += ["—"] * 4
                continue
            paths = f"{run['paths']:,}"
            note = f" ({run['non2xx']:,} non-2xx)" if run["non2xx"] else ""
            cells += [f"{run['rps']:,.0f}{note}", fmt(run["p50"]), fmt(run["p99"]), fmt(run["ratio"], 3)]
        lines.append(f"| {ROUTE_NAMES[route]} | {paths} | " + " | ".join(cells) + " |")
    alone = []
    for key in ("on", "off"):
        for route in ("search", "prefix"):
            one = configs.get(key, {}).get("loads", {}).get(route, {}).get("one_client")
            if one:
                alone.append(f"{ROUTE_NAMES[route]}, cache {key}: p50 {fmt(one['p50'])} ms, p99 {fmt(one['p99'])} ms")
    if alone:
        lines += ["", "One client (each path in turn on one connection, 3 rounds after one unrecorded): "
                  + "; ".join(alone) + "."]
    suggest = configs.get("off", {}).get("suggestion_route")
    lines += ["", f"Prefixes went to `{suggest or '/search'}`"
              + ("" if suggest else " (the API documents no suggestion route)") + ".", ""]
    lines += ["| first 200 after start, s | " + " | ".join(READY_ROUTES) + " |",
              "|---|" + "---:|" * len(READY_ROUTES)]
    for key in ("on", "off"):
        ready = configs.get(key, {}).get("ready", {})
        lines.append(f"| cache {key} | " + " | ".join(fmt(ready.get(r, {}).get("seconds")) for r in READY_ROUTES) + " |")
    lines += ["", "| memory, MB (RSS / PSS / PSS anonymous) | processes | after start | after load |",
              "|---|---:|---:|---:|"]
    for key in ("on", "off"):
        config = configs.get(key)
        if not config:
            continue
        start, end = config["memory_after_start"], config["memory_after_load"]
        roles = ", ".join(f"{n} {r}" for r, n in _role_counts(end).items())
        lines.append(f"| cache {key}: all processes | {roles} | {fmt(start['rss_mb'])} / {fmt(start['pss_mb'])} / "
                     f"{fmt(start.get('pss_anon_mb'))} | {fmt(end['rss_mb'])} / {fmt(end['pss_mb'])} / "
                     f"{fmt(end.get('pss_anon_mb'))} |")
    oxi = scale.get("oxigraph", {})
    if "error" in oxi:
        lines.append(f"| Oxigraph server in memory | — | {oxi['error']} | |")
    elif oxi:
        lines.append(f"| Oxigraph server in memory, same file (loaded in {oxi['load_seconds']:.1f} s, "
                     f"{oxi['triples']:,} triples) | 1 | | {fmt(oxi['rss_mb'])} / {fmt(oxi['pss_mb'])} / "
                     f"{fmt(oxi.get('pss_anon_mb'))} |")
    lines.append("")
    return lines


def _serving_note(scale: dict) -> str:
    serving = scale["serving_files"]
    if serving["ran"] and serving.get("seconds") is None:
        return f"serving files written by `{serving['by']}`"
    if serving["ran"]:
        return f"serving files written by `{serving['by']}` in {serving['seconds']:.1f} s"
    return f"no serving files ({serving['why']})"


def _role_counts(mem: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for process in mem["processes"]:
        counts[process["role"]] = counts.get(process["role"], 0) + 1
    return counts


def summary(scales: list[dict]) -> list[dict]:
    """The issue's targets, each with what this run measured and whether it is met."""
    rows: list[dict] = []
    if not scales:
        return rows
    small = min(scales, key=lambda s: s["triples"])
    big = max(scales, key=lambda s: s["triples"])
    at_big = f"×{big['copies']}, {big['triples']:,} triples"
    big_enough = big["triples"] >= 800_000

    def load(scale: dict, cache: str, route: str) -> dict | None:
        return scale.get("configs", {}).get(cache, {}).get("loads", {}).get(route)

    def add(figure: str, target: str, value: float | None, ok: bool | None, shown: str, where: str) -> None:
        rows.append({"figure": figure, "target": target, "measured": value, "shown": shown, "where": where,
                     "met": ok})

    for scale in dict.fromkeys((small["copies"], big["copies"])):
        s = next(x for x in scales if x["copies"] == scale)
        run = load(s, "off", "entity")
        ratio = run["ratio"] if run else None
        add("uncached entity lookup, mixed over every entity / own /health", "≥ 0.75", ratio,
            None if ratio is None else ratio >= 0.75, fmt(ratio, 3), f"×{s['copies']}, {s['triples']:,} triples")
    for route, target, limit in (("search", "p50 ≤ 10 ms", 10.0), ("prefix", "p50 ≤ 5 ms", 5.0)):
        run = load(big, "off", route)
        alone = (run or {}).get("one_client")
        p50 = alone["p50"] if alone else None
        loaded = f"; under the load of 16 connections p50 {fmt(run['p50'])} ms" if run else ""
        add(f"{'search, 50 words' if route == 'search' else 'prefix suggestions'}, uncached, one client", target,
            p50, None if p50 is None or not big_enough else p50 <= limit, f"{fmt(p50)} ms{loaded}", at_big)
    run = load(big, "off", "search")
    ratio = run["ratio"] if run else None
    add("search under a mixed load of 50 words, uncached / own /health", "≥ 0.5", ratio,
        None if ratio is None or not big_enough else ratio >= 0.5, fmt(ratio, 3), at_big)
    oxi = big.get("oxigraph", {})
    ours = [c["memory_after_load"] for c in big.get("configs", {}).values()]
    if ours and "rss_mb" in oxi:
        worst = max(ours, key=lambda m: m["pss_mb"] or m["rss_mb"])
        mine = worst["pss_mb"] if worst["pss_mb"] is not None else worst["rss_mb"]
        theirs = oxi["pss_mb"] if oxi.get("pss_mb") is not None else oxi["rss_mb"]
        factor = mine / theirs
        add("all processes' memory (PSS, after load) / Oxigraph server's in memory, same file",
            f"≤ {TARGET_MEMORY_FACTOR:g}×", factor, factor <= TARGET_MEMORY_FACTOR if big_enough else None,
            f"{factor:.2f}× ({fmt(mine)} MB vs {fmt(theirs)} MB; RSS {fmt(worst['rss_mb'])} MB; of the PSS "
            f"{fmt(worst.get('pss_anon_mb'))} MB anonymous, the rest pages of the release's mapped files, "
            f"vs {fmt(oxi.get('pss_anon_mb'))} MB anonymous for Oxigraph)", at_big)
    worst_ready, where = None, ""
    for s in scales:
        for key, config in s.get("configs", {}).items():
            for route, r in config.get("ready", {}).items():
                if r.get("seconds") is not None and (worst_ready is None or r["seconds"] > worst_ready):
                    worst_ready, where = r["seconds"], f"{route}, ×{s['copies']}, cache {key}"
    add("first answer of every route after start (the slowest)", f"≤ {TARGET_READY_S:g} s", worst_ready,
        None if worst_ready is None else worst_ready <= TARGET_READY_S, f"{fmt(worst_ready)} s", where)
    if not big_enough:
        for row in rows:
            if row["met"] is None and row["measured"] is not None:
                row["shown"] += " (not measured at ~1 M triples)"
    return rows


def report(result: dict) -> str:
    info = result["info"]
    lines = ["# Scale benchmark: the served API on realistic access", "",
             (f"Run of {info['started']} ({info['wall_seconds']:.0f} s): `{info['command']}`. "
              f"Each scale's release folder is served by `python -m kg.cli serve --workers 2` (granian), once with "
              f"the response cache on (default, {info['cache_size']} answers per process) and once off "
              f"(`OSTEOKG_RESPONSE_CACHE_SIZE=0`). Load: wrk, {info['threads']} threads, {info['connections']} "
              f"connections, {info['duration']:g} s per route after {info['warmup']:g} s unrecorded, a Lua script "
              f"sending a different path per request; {os.cpu_count()} cores shared by the servers, wrk and "
              f"whatever else ran (load average {info['load_before']} before, {info['load_after']} after). "
              f"Only ratios within one run mean anything."), "",
             "## Summary against the targets of issue 9", "",
             "| figure | target | measured | where | met |", "|---|---|---|---|---|"]
    for row in result["summary"]:
        met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(f"| {row['figure']} | {row['target']} | {row['shown']} | {row['where']} | {met} |")
    lines.append("")
    for scale in result["scales"]:
        lines += scale_tables(scale)
    lines += [("Ratios are each route's req/s over `/health`'s in the same server run and configuration. p50/p99 "
              "under 16 connections on 2 cores include queueing. Memory: every process of the server's tree "
              "(`/proc/PID/status` VmRSS; PSS from `/proc/PID/smaps_rollup`, which counts a page shared by "
              "several processes once over all of them, so it is the fair total). First 200: each route polled "
              "in its own thread from the moment the process was started."), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def parse_scales(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        if item.upper() != "1M" and not (item.isdigit() and int(item) >= 1):
            raise argparse.ArgumentTypeError(f"a scale is a number of copies ≥ 1 or 1M, not {item!r}")
    if "1" not in items:
        items.insert(0, "1")  # the other scales are made from it
    return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=parse_scales, default=parse_scales("1,10,100,170"),
                    help="copies of the graph, comma-separated; 1M = the copies closest to a million triples "
                         "(default 1,10,100,170)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per route (default 10)")
    ap.add_argument("--warmup", type=float, default=1.0, help="unrecorded seconds of load before each (default 1)")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ready-timeout", type=float, default=300.0, help="seconds a server may take to answer (300)")
    ap.add_argument("--build", type=Path, help="a built 1× folder to use instead of building one")
    ap.add_argument("--no-oxigraph", action="store_true", help="skip the Oxigraph server's memory baseline")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders (release folders, logs)")
    ap.add_argument("--folders", type=Path, help="make the scaled release folders here and keep them; one made here "
                                                 "before from the same release, generator and code is used again")
    ap.add_argument("--prepare", action="store_true", help="with --folders: only make the scaled folders, measure "
                                                           "nothing (a later run with the same --folders reuses them)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.md")
    args = ap.parse_args(argv)
    if args.prepare and args.folders is None:
        ap.error("--prepare needs --folders")
    if shutil.which("wrk") is None:
        ap.error("wrk is needed (apt-get install wrk)")
    if not 1 <= args.duration <= 120:
        ap.error("--duration must be 1..120")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # through every finally below: servers stopped
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="osteokg-scale-bench-", dir="/tmp"))
    logs = tmp / "logs"
    logs.mkdir()
    from kg import settings

    info = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python bench/scale_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "duration": args.duration, "warmup": args.warmup, "connections": args.connections,
            "threads": args.threads, "cores": os.cpu_count(), "cache_size": settings.BY_NAME["RESPONSE_CACHE_SIZE"].default,
            "load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3])}
    result: dict = {"info": info, "scales": [], "summary": []}
    try:
        base = real_release(tmp, args.build)
        print(f"×1: {base['triples']:,} triples, {len(base['entities']):,} entities; "
              f"serving files: {'written' if base['serving_files']['ran'] else base['serving_files']['why']}", flush=True)
        copies: list[int] = []
        for item in args.scales:
            if item.upper() == "1M":  # what one more copy adds, from a 2-copy graph
                probe = tmp / "probe.nt"
                n = scale_graph(Path(base["folder"]) / "osteokg.nt", probe, 2, **GENERATOR)
                probe.unlink()
                copies.append(copies_for(1_000_000, base["triples"], n, 2))
            else:
                copies.append(int(item))
        for k in dict.fromkeys(copies):
            t0 = time.perf_counter()
            release = base if k == 1 else scaled_release(tmp, base, k, args.folders)
            print(f"×{k}: {release['triples']:,} triples, {len(release['entities']):,} entities, folder ready in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            if args.prepare:
                continue
            scale = {key: value for key, value in release.items() if key != "folder"}
            if not args.no_oxigraph:
                scale["oxigraph"] = oxigraph_baseline(Path(release["folder"]) / "osteokg.nt", logs, args.ready_timeout)
            scale["configs"] = {}
            for cache in (True, False):
                scale["configs"]["on" if cache else "off"] = serve(release, cache, args, logs)
            result["scales"].append(scale)
            if k != 1 and not args.keep and args.folders is None:
                shutil.rmtree(release["folder"], ignore_errors=True)
            write(result, args, started)  # after each scale: a later failure keeps what was measured
        if args.prepare:
            print(f"prepared {args.folders}: run again without --prepare to measure")
            return 0
        text = write(result, args, started)
        print(text)
    finally:
        if args.keep:
            print(f"kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    try:
        from bench import plot

        plot.main(["--results", str(args.out.parent)])
    except Exception as exc:  # noqa: BLE001 - the tables stand without the plot; say why it is missing
        print(f"the plot was not drawn: {exc!r}", file=sys.stderr)
    return 0


def write(result: dict, args, started: float) -> str:
    result["info"]["wall_seconds"] = time.perf_counter() - started
    result["info"]["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    result["summary"] = summary(result["scales"])
    text = report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    raw = {**result, "scales": [{**s, "entities": len(s["entities"])} for s in result["scales"]]}
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    return text


if __name__ == "__main__":
    sys.exit(main())
