"""Load and faults on a real ``osteokg serve`` (issue 12): what the server does under a steady mix, a runaway
query, 600 connections at once, a killed worker or query process, and builds that go wrong.

Every scenario starts the API afresh, as users do (``python -m kg.cli serve --host 127.0.0.1 --port P --workers 2
--out BUILD``, granian) over a real build (``python -m kg.cli build``, made here unless ``--build`` is given),
with ``OSTEOKG_ACCESS_LOG=""`` (no access log, as the tests run it), ``OSTEOKG_SPARQL_MAX_COST=0`` (the query-cost
guard off, so that the time limit is what ends a runaway; an unknown setting is ignored) and the per-client
``/sparql`` limits ON at their defaults (read from kg.settings, set explicitly because the test run turns them
off). Each server is stopped at the end of its scenario, with every process below it, also on errors.

The load (:func:`mix_load`) is two ``wrk`` processes side by side, 64 connections in all, each with a Lua
script (:func:`lua_script`) that sends a different path per request and counts the answers' statuses:

- lookups, 62 connections: every entity of the build (``/entities/{id}``, every labelled OSTEOKG term of its
  ``osteokg.nt``) and 50 search words (``/search?q=``: 25 Dutch and 25 English labels and synonyms of the build,
  spread over their sorted list: :func:`search_words`);
- cheap SPARQL, 2 connections, each waiting 200 ms between requests (wrk's ``delay()``): small SELECT and ASK
  queries with LIMIT about entities of the build (:func:`cheap_queries`). All from 127.0.0.1, one client for the
  per-client limits at their defaults: its 2 connections stay within its 2 queries at once, and the pacing within
  its 60 s of query time per 60 s (paced 25 ms apart it had spent it within a 60 s run). The probes that time a
  recovery come from an address of their own (127.0.0.4), so they are not the mix's third query.

Scenarios (:data:`SCENARIOS`; ``--only`` picks some):

- ``quiet``: the mix for ``--seconds``; 0 errors expected; p50/p99 of the lookups and of the SPARQL part.
- ``runaway``: the same, while a client at 127.0.0.2 (socket ``source_address``, so the per-client limits count
  it apart from the mix) sends :data:`RUNAWAY` (a cartesian product of three patterns, grouped, ORDER BY) every
  second, each in its own thread. Each must end 504 by the time limit (``OSTEOKG_SPARQL_TIMEOUT``), or be refused
  before it runs: 429 by the per-client limits, or 503 when every query process is busy (the client may have 5
  queries at once, the server has 2 workers × 2 query processes); every query process seen while it ran is sampled from /proc
  every 0.2 s: those killed are counted (one per 504), and at the end no query process may still burn CPU. The
  lookups' p99 beside the quiet run's (the ratio: the issue asks ≤ 2). The mix's SPARQL waits behind the
  runaways for a query process, and the limits charge that wait to its client: its 429s are reported, not
  counted against the runaway's outcome. (The plain ``SELECT * WHERE { ?a ?b ?c .
  ?d ?e ?f } ORDER BY ?c ?f`` does not reach the time limit here: the memory guard stops it in about 1.5 s, 503.)
- ``connections``: 600 sockets opened at once (RLIMIT_NOFILE raised in this process if needed), a GET on each,
  read with a bounded timeout: served (200), refused cleanly (refused or reset at connect, 503/429), closed
  without an answer, hung (no answer within the timeout: must be 0).
- ``kill_worker``: the lookups load for ``--seconds``; after a third of it, kill -9 of one granian worker (the
  server's children that are not a resource tracker). A probe thread GETs an entity every 50 ms on a fresh
  connection: recovered = the time from the kill to the first success after the last failure; lost = the load's
  failed requests (errors, non-2xx), which must be at most the requests in flight (one per connection).
- ``kill_query``: the SPARQL load, plus a runaway from 127.0.0.2 so that a query is surely running; kill -9 of the
  query process that burns CPU. Its query's answer (status, type, body head) is recorded — a 500 with a traceback
  would be a finding — then the time until every worker has its query processes again and a query answers.
- ``build_broken``, ``build_twice``, ``build_full_disk``: builds into a folder whose ``current`` a server is
  serving: from a copy of ontology/ with a corrupted TSV, two builds at once, and a build on a small tmpfs that
  holds one release and not two (``mount -t tmpfs -o size=...``; where mounting is not allowed, the fallback is
  RLIMIT_FSIZE set in the build's process, which makes a write past the limit fail with EFBIG, said in the
  result). Each checks the served release before and after: ``current``'s target, a SHA-256 over every file of
  the release, ``kg.releases.verify``, and the server's ``/health`` release id and one entity's bytes.

Writes bench/results/reliability.md (a table: scenario, requests, errors, p50, p99, outcome) and
reliability.json (everything). The figures are from one machine (2 cores shared with wrk and the clients):
load average and core count are in the report.

    python bench/reliability_bench.py [--seconds 60] [--build DIR] [--only quiet,runaway] [--out bench/results/reliability.md]
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_bench import HOST, Server, free_port, parse_wrk  # after the path above
from bench.scale_bench import entity_curies, lua_paths, process_tree
from kg import settings as settings_table

JSON = "application/json"
SPARQL_JSON = "application/sparql-results+json"
NS = "https://w3id.org/osteokg/OSTEOKG_"
RUNAWAY_SOURCE = "127.0.0.2"  # the runaway client's address: the per-client limits count it apart from the mix
HELD_SOURCE = "127.0.0.3"  # the client whose query is running when its query process is killed
PROBE_SOURCE = "127.0.0.4"  # the prober's address: its queries are not the mix client's
#: a cartesian product with ORDER BY that runs past the time limit without growing past the memory guard (the
#: grouped count keeps one row per object; the plain ORDER BY over ?a ?b ?c . ?d ?e ?f is stopped by memory)
RUNAWAY = "SELECT ?c (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } GROUP BY ?c ORDER BY DESC(?n) ?c"
LOOKUP_CONNECTIONS, SPARQL_CONNECTIONS = 62, 2  # 64 in all; 2: the per-client default of queries at once
SPARQL_DELAY_MS = 200  # between one SPARQL connection's requests: the mix stays well within its client's query-time budget
MANY = 600
FSIZE_FALLBACK = 1 << 20  # bytes a build's file may grow to where no tmpfs can be mounted (then EFBIG)
LIMIT_SETTINGS = ("SPARQL_CLIENT_QUERIES", "SPARQL_CLIENT_SECONDS", "SPARQL_CLIENT_WINDOW")
LABEL = re.compile(r'^<https://w3id\.org/osteokg/OSTEOKG_[0-9]+> <http://www\.w3\.org/2000/01/rdf-schema#label> '
                   r'"([^"\\]+)"@(nl|en) \.$', re.MULTILINE)
SYNONYM = re.compile(r'^<https://w3id\.org/osteokg/OSTEOKG_[0-9]+> <http://www\.geneontology\.org/formats/oboInOwl#'
                     r'has(?:Exact|Related|Narrow|Broad)Synonym> "([^"\\]+)"@(nl|en) \.$', re.MULTILINE)


# ---------------------------------------------------------------- the mix, read from the build


def search_words(nt_text: str, per_language: int = 25, max_words: int = 3) -> list[str]:
    """``per_language`` Dutch and as many English search words: the build's labels and synonyms of at most
    ``max_words`` words, lowercased, each once, taken evenly over their sorted list (so not all from one end)."""
    found: dict[str, set[str]] = {"nl": set(), "en": set()}
    for pattern in (LABEL, SYNONYM):
        for text, language in pattern.findall(nt_text):
            if len(text.split()) <= max_words:
                found[language].add(text.lower())
    words: list[str] = []
    for language in ("nl", "en"):
        pool = sorted(found[language])
        if len(pool) < per_language:
            raise ValueError(f"the build has {len(pool)} short {language} labels and synonyms, fewer than {per_language}")
        step = len(pool) / per_language
        words += [pool[int(i * step)] for i in range(per_language)]
    return words


def cheap_queries(curies: list[str], count: int = 12) -> list[str]:
    """Small SPARQL queries over entities of the build, each with LIMIT (or ASK): one subject's properties, its
    labels, whether it has a superclass, and a few classes."""
    if not curies:
        raise ValueError("no entities to query")
    step = max(1, len(curies) // count)
    queries = []
    for index, curie in enumerate(curies[::step][:count]):
        iri = f"<{NS}{curie.split(':', 1)[1]}>"
        kind = index % 4
        if kind == 0:
            queries.append(f"SELECT ?p ?o WHERE {{ {iri} ?p ?o }} LIMIT 5")
        elif kind == 1:
            queries.append(f"SELECT ?label WHERE {{ {iri} <http://www.w3.org/2000/01/rdf-schema#label> ?label }} LIMIT 3")
        elif kind == 2:
            queries.append(f"ASK {{ {iri} <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?parent }}")
        else:
            queries.append("SELECT ?s WHERE { ?s a <http://www.w3.org/2002/07/owl#Class> } LIMIT 10")
    return queries


def mix_paths(build: Path) -> dict[str, list[str]]:
    """The paths of the load, from the build's ``osteokg.nt``: entities, search words, cheap SPARQL."""
    nt_text = (build / "osteokg.nt").read_text(encoding="utf-8")
    curies = entity_curies(nt_text)
    words = search_words(nt_text)
    return {"entities": [f"/entities/{c}" for c in curies],
            "search": [f"/search?q={urllib.parse.quote(w)}" for w in words],
            "sparql": [f"/sparql?query={urllib.parse.quote(q, safe='')}" for q in cheap_queries(curies)],
            "words": words}


def lua_script(paths: list[str], accept: str, delay_ms: int = 0) -> str:
    """A wrk script: ``paths`` in turn (each thread from another place), ``delay_ms`` before each request, and
    at the end one ``STATUS code count`` line per status answered and a ``BODY code text`` line with the first
    body of each status other than 200 (newlines removed, 300 bytes), summed over the threads."""
    body = lua_paths(paths)
    delay = f"function delay()\n  return {int(delay_ms)}\nend\n" if delay_ms else ""
    return f"""-- generated by bench/reliability_bench.py: {len(paths)} paths, a different one per request
local paths = {{
{body}
}}
local headers = {{["Accept"] = "{accept}"}}
local threads = {{}}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = ((offset or 0) * 7919) % #paths
  statuses = {{}}
  bodies = {{}}
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and bodies[status] == nil then
    bodies[status] = string.sub(string.gsub(body or "", "[\\r\\n]", " "), 1, 300)
  end
end
{delay}
function done(summary, latency, requests)
  local total = {{}}
  local first = {{}}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses") or {{}}) do
      total[code] = (total[code] or 0) + n
    end
    for code, text in pairs(thread:get("bodies") or {{}}) do
      first[code] = first[code] or text
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("STATUS %d %d\\n", code, n))
  end
  for code, text in pairs(first) do
    io.write(string.format("BODY %d %s\\n", code, text))
  end
end
"""


def parse_statuses(out: str) -> tuple[dict[int, int], dict[int, str]]:
    """The ``STATUS`` counts and ``BODY`` heads a :func:`lua_script` printed."""
    statuses = {int(code): int(n) for code, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.MULTILINE)}
    bodies = {int(code): text for code, text in re.findall(r"^BODY (\d+) (.*)$", out, re.MULTILINE)}
    return statuses, bodies


def socket_errors(text: str) -> int:
    """The sum of wrk's ``Socket errors: connect 0, read 0, write 0, timeout 0``."""
    return sum(int(n) for n in re.findall(r"(\d+)", text or ""))


class Wrk:
    """One ``wrk --latency`` process over a Lua script, started now, read by :meth:`result`."""

    def __init__(self, port: int, script: Path, seconds: float, connections: int, threads: int) -> None:
        self.seconds = seconds
        self.proc = subprocess.Popen(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
             "-s", str(script), f"http://{HOST}:{port}/"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def result(self) -> dict:
        try:
            out, _ = self.proc.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=10)
            raise RuntimeError(f"wrk did not end within {self.seconds + 60:g} s:\n{out[-2000:]}") from None
        if self.proc.returncode != 0:
            raise RuntimeError(f"wrk exited with {self.proc.returncode}:\n{out[-2000:]}")
        figures = parse_wrk(out)
        figures["statuses"], figures["bodies"] = parse_statuses(out)
        figures["socket_error_count"] = socket_errors(figures["socket_errors"])
        return figures


# ---------------------------------------------------------------- servers and processes


def limit_env() -> dict[str, str]:
    """The per-client /sparql limits at their defaults (kg.settings' table), set explicitly."""
    return {f"OSTEOKG_{name}": str(settings_table.BY_NAME[name].default) for name in LIMIT_SETTINGS}


class Served:
    """``osteokg serve`` (2 workers) over ``build`` on a free loopback port, its data folder its own."""

    def __init__(self, build: Path, logs: Path, name: str, extra_env: dict[str, str] | None = None,
                 ready_timeout: float = 90) -> None:
        self.build, self.port = build, free_port()
        data = Path(tempfile.mkdtemp(prefix=f"{name}-data-", dir=logs))
        env: dict[str, str | None] = {"OSTEOKG_BUILD_DIR": str(build), "OSTEOKG_ACCESS_LOG": "",
                                      "OSTEOKG_SPARQL_MAX_COST": "0", "OSTEOKG_DATA_DIR": str(data),
                                      **limit_env(), **(extra_env or {})}
        self.server = Server(name, [sys.executable, "-m", "kg.cli", "serve", "--host", HOST, "--port", str(self.port),
                                    "--workers", "2", "--out", str(build)], self.port, "/health", logs, env=env)
        self.seen: set[int] = set()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.server.proc.poll() is not None:
                output = self.server.output()[-3000:]
                self.stop()
                raise RuntimeError(f"osteokg serve exited early:\n{output}")
            if self.server.answers() and len(self.workers()) == 2 and all(
                    len(self.query_processes(w)) >= 1 for w in self.workers()):
                return
            time.sleep(0.3)
        output = self.server.output()[-3000:]
        self.stop()
        raise RuntimeError(f"osteokg serve was not ready within {ready_timeout:g} s:\n{output}")

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    def workers(self) -> set[int]:
        """The granian workers: the server's children that are not a resource tracker (as tests/api/test_survival)."""
        found = set()
        for child in children(self.pid):
            cmdline = _cmdline(child)
            if cmdline and b"resource_tracker" not in cmdline:
                found.add(child)
        self.seen.update(found)
        return found

    def query_processes(self, worker: int | None = None) -> set[int]:
        """The query processes (``kg.sparql.worker``) of one worker, or of every worker."""
        found = set()
        for parent in ([worker] if worker is not None else self.workers()):
            found.update(child for child in children(parent) if b"kg.sparql.worker" in _cmdline(child))
        self.seen.update(found)
        return found

    def get(self, path: str, accept: str = JSON, timeout: float = 10, source: str | None = None) -> tuple[int, bytes, str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request("GET", path, headers={"Accept": accept})
            response = conn.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "")
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop the server and wait (bounded) until every process seen below it is gone."""
        self.seen.update(process_tree(self.pid))
        self.server.stop()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            left = [pid for pid in self.seen if alive(pid)]
            if not left:
                return
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        raise RuntimeError(f"processes of the server outlived it: {[p for p in self.seen if alive(p)]}")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def children(pid: int) -> set[int]:
    """``pid``'s direct children (Linux: /proc/PID/task/*/children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU ticks of ``pid`` so far, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def burning(pids: set[int], over: float = 0.5) -> set[int]:
    """Those of ``pids`` that used more than half a core over ``over`` seconds."""
    before = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(over)
    hertz = os.sysconf("SC_CLK_TCK")
    hot = set()
    for pid, ticks in before.items():
        now = cpu_ticks(pid)
        if ticks is not None and now is not None and (now - ticks) / hertz > over / 2:
            hot.add(pid)
    return hot


@contextlib.contextmanager
def serving(build: Path, logs: Path, name: str, extra_env: dict[str, str] | None = None) -> Iterator[Served]:
    served = Served(build, logs, name, extra_env)
    try:
        yield served
    finally:
        served.stop()


# ---------------------------------------------------------------- the load


def write_scripts(paths: dict[str, list[str]], logs: Path) -> dict[str, Path]:
    scripts = {"lookups": logs / "lookups.lua", "sparql": logs / "sparql.lua"}
    scripts["lookups"].write_text(lua_script(paths["entities"] + paths["search"], JSON), encoding="utf-8")
    scripts["sparql"].write_text(lua_script(paths["sparql"], SPARQL_JSON, SPARQL_DELAY_MS), encoding="utf-8")
    return scripts


def summarize(run: dict, expected: tuple[int, ...] = (200,)) -> dict:
    """A wrk run's requests, errors (socket errors and answers of a status not ``expected``), p50, p99, statuses."""
    unexpected = {code: n for code, n in run["statuses"].items() if code not in expected}
    return {"requests": run["requests"], "errors": run["socket_error_count"] + sum(unexpected.values()),
            "socket_errors": run["socket_errors"], "statuses": run["statuses"], "unexpected": unexpected,
            "bodies": run["bodies"], "p50": run["p50"], "p99": run["p99"], "rps": run["rps"]}


def mix_load(served: Served, scripts: dict[str, Path], seconds: float, lookups: bool = True,
             sparql: bool = True) -> dict:
    """The lookups and the cheap SPARQL side by side for ``seconds``: each part's :func:`summarize`."""
    runs = {}
    if lookups:
        runs["lookups"] = Wrk(served.port, scripts["lookups"], seconds, LOOKUP_CONNECTIONS, 2)
    if sparql:
        runs["sparql"] = Wrk(served.port, scripts["sparql"], seconds, SPARQL_CONNECTIONS, 1)
    return {name: summarize(run.result()) for name, run in runs.items()}


def warm(served: Served, paths: dict[str, list[str]]) -> dict[int, int]:
    """Every path of the mix once (the cache warm, every path checked): the count of each status."""
    statuses: dict[int, int] = {}
    for kind in ("entities", "search", "sparql"):
        accept = SPARQL_JSON if kind == "sparql" else JSON
        for path in paths[kind]:
            status = served.get(path, accept, timeout=30)[0]
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


# ---------------------------------------------------------------- scenarios


def quiet(served: Served, scripts: dict[str, Path], seconds: float) -> dict:
    parts = mix_load(served, scripts, seconds)
    return {"scenario": "quiet", **_combined(parts), "parts": parts,
            "ok": all(p["errors"] == 0 for p in parts.values())}


def _combined(parts: dict) -> dict:
    return {"requests": sum(p["requests"] for p in parts.values()), "errors": sum(p["errors"] for p in parts.values()),
            "p50": parts["lookups"]["p50"] if "lookups" in parts else parts["sparql"]["p50"],
            "p99": parts["lookups"]["p99"] if "lookups" in parts else parts["sparql"]["p99"]}


class Runaways:
    """A client at :data:`RUNAWAY_SOURCE` sending :data:`RUNAWAY` every ``every`` seconds, each in its own thread,
    while a sampler records the query processes every 0.2 s."""

    def __init__(self, served: Served, every: float = 1.0, timeout: float = 60, source: str = RUNAWAY_SOURCE) -> None:
        self.served, self.every, self.timeout, self.source = served, every, timeout, source
        self.answers: list[dict] = []
        self.stopping, self.sampling = threading.Event(), threading.Event()
        self.threads: list[threading.Thread] = []
        self.seen_query: set[int] = set()
        self.lock = threading.Lock()

    def _one(self) -> None:
        t0 = time.monotonic()
        path = "/sparql?query=" + urllib.parse.quote(RUNAWAY, safe="")
        try:
            status, body, ctype = self.served.get(path, SPARQL_JSON, timeout=self.timeout, source=self.source)
            answer = {"status": status, "type": ctype, "head": body[:200].decode("utf-8", "replace")}
        except (OSError, http.client.HTTPException) as exc:
            answer = {"status": None, "error": repr(exc)}
        answer["seconds"] = round(time.monotonic() - t0, 2)
        with self.lock:
            self.answers.append(answer)

    def _send(self) -> None:
        while not self.stopping.is_set():
            thread = threading.Thread(target=self._one, daemon=True)
            thread.start()
            self.threads.append(thread)
            self.stopping.wait(self.every)

    def _sample(self) -> None:
        while not self.sampling.is_set():
            self.seen_query.update(self.served.query_processes())
            time.sleep(0.2)

    def __enter__(self) -> Self:
        self.started = [threading.Thread(target=self._send, daemon=True), threading.Thread(target=self._sample, daemon=True)]
        for thread in self.started:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """No more queries; wait (bounded) for the answers of those sent, then stop sampling."""
        self.stopping.set()
        self.started[0].join(timeout=self.every + 5)
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)
        self.sampling.set()
        self.started[1].join(timeout=5)

    def outcome(self) -> dict:
        """The answers' statuses, the query processes killed meanwhile, and those still burning CPU at the end."""
        self.seen_query.update(self.served.query_processes())
        statuses: dict[str, int] = {}
        for answer in self.answers:
            statuses[str(answer["status"])] = statuses.get(str(answer["status"]), 0) + 1
        gone = sorted(pid for pid in self.seen_query if not alive(pid))
        hot = sorted(burning(self.served.query_processes(), 1.0))
        stopped = statuses.get("504", 0)
        busy = sum(1 for a in self.answers if a["status"] == 503 and "busy" in (a.get("head") or ""))
        others = len(self.answers) - stopped - statuses.get("429", 0) - busy
        return {"sent": len(self.answers), "statuses": statuses, "ended_504": stopped,
                "refused_429": statuses.get("429", 0), "refused_503_busy": busy, "other": others,
                "query_processes_killed": len(gone), "query_processes_burning_after": len(hot),
                "seconds_504": sorted(a["seconds"] for a in self.answers if a["status"] == 504),
                "first_other": next((a for a in self.answers if a["status"] not in (504, 429) and not (
                    a["status"] == 503 and "busy" in (a.get("head") or ""))), None),
                "ok": others == 0 and stopped >= 1 and len(gone) >= stopped and not hot}


def runaway(served: Served, scripts: dict[str, Path], seconds: float, quiet_p99: float | None) -> dict:
    with Runaways(served) as runaways:
        parts = mix_load(served, scripts, seconds)
    outcome = runaways.outcome()
    lookups = parts["lookups"]
    ratio = lookups["p99"] / quiet_p99 if quiet_p99 else None
    outcome["lookups_p99_ratio"] = round(ratio, 2) if ratio is not None else None
    outcome["lookups_p99_within_2x"] = ratio is not None and ratio <= 2
    # the mix's SPARQL may wait behind the runaways: 503 (no free query process) is the pool's refusal, told apart
    outcome["mix_sparql_statuses"] = parts["sparql"]["statuses"]
    ok = outcome["ok"] and lookups["errors"] == 0
    return {"scenario": "runaway", **_combined(parts), "parts": parts, "outcome": outcome, "ok": ok}


def raise_nofile(needed: int) -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE to ``needed`` (within the hard limit); the limits now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def many_connections(served: Served, path: str, count: int = MANY, connect_timeout: float = 10,
                     read_timeout: float = 60) -> dict:
    """``count`` connections opened together (one thread each, released by a barrier), a GET sent on each once
    all are open, each answer read within ``read_timeout``: how many were served, refused cleanly, closed, hung."""
    limits = raise_nofile(count + 256)
    barrier = threading.Barrier(count, timeout=60)
    opened = threading.Barrier(count, timeout=connect_timeout + 60)
    results: list[str] = [""] * count
    latencies: list[float] = []
    lock = threading.Lock()
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: {JSON}\r\nConnection: close\r\n\r\n".encode()

    def one(index: int) -> None:
        sock = None
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            try:
                sock = socket.create_connection((HOST, served.port), timeout=connect_timeout)
            except (ConnectionRefusedError, ConnectionResetError):
                results[index] = "refused"
                return
            except TimeoutError:
                results[index] = "hung"  # no accept within the bound
                return
            finally:
                with contextlib.suppress(threading.BrokenBarrierError):
                    opened.wait()
            t0 = time.monotonic()
            sock.settimeout(read_timeout)
            try:
                sock.sendall(request)
                data = b""
                while b"\r\n" not in data:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except TimeoutError:
                results[index] = "hung"
                return
            except (ConnectionResetError, BrokenPipeError):
                results[index] = "reset"
                return
            with lock:
                latencies.append(time.monotonic() - t0)
            if not data:
                results[index] = "closed"
                return
            status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") else b"?"
            results[index] = {b"200": "served", b"503": "refused", b"429": "refused"}.get(status, f"status {status.decode()}")
        except OSError as exc:
            results[index] = f"error {type(exc).__name__}"
        finally:
            if sock is not None:
                sock.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=connect_timeout + read_timeout + 90)
    took = time.monotonic() - t0
    counts: dict[str, int] = {}
    for result in results:
        key = result or "hung"  # a thread still running past the joins
        counts[key] = counts.get(key, 0) + 1
    latencies.sort()
    served_n, refused = counts.get("served", 0), counts.get("refused", 0) + counts.get("reset", 0)
    hung = counts.get("hung", 0)
    errors = count - served_n - refused - hung
    healthy = served.get("/health", timeout=10)[0] == 200
    return {"scenario": "connections", "requests": count, "errors": errors,
            "p50": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
            "p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else None,
            "outcome": {"served": served_n, "refused_cleanly": refused, "hung": hung, "counts": counts,
                        "seconds": round(took, 2), "healthy_after": healthy, "nofile": list(limits)},
            "ok": hung == 0 and errors == 0 and healthy}


class Prober:
    """A GET of ``path`` every ``every`` seconds on a fresh connection: when each failed or succeeded."""

    def __init__(self, served: Served, path: str, accept: str = JSON, every: float = 0.05) -> None:
        self.served, self.path, self.accept, self.every = served, path, accept, every
        self.log: list[tuple[float, bool, object]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            t = time.monotonic()
            try:
                status = self.served.get(self.path, self.accept, timeout=10, source=PROBE_SOURCE)[0]
                self.log.append((t, status == 200, status))
            except (OSError, http.client.HTTPException) as exc:
                self.log.append((t, False, type(exc).__name__))
            self.stopping.wait(self.every)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=15)

    def recovered_after(self, since: float) -> float | None:
        """Seconds from ``since`` to the first success after the last failure (0 if none failed); None if
        the last probe failed."""
        after = [(t, ok) for t, ok, _ in self.log if t >= since]
        if not after or not after[-1][1]:
            return None
        failures = [t for t, ok in after if not ok]
        if not failures:
            first_ok = after[0][0]
            return round(max(0.0, first_ok - since), 3)
        first_ok_after = next(t for t, ok in after if ok and t > failures[-1])
        return round(first_ok_after - since, 3)

    def failed(self, since: float) -> int:
        return sum(1 for t, ok, _ in self.log if t >= since and not ok)


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``condition()`` held (polled), or None if it did not within ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if condition():
            return round(time.monotonic() - t0, 3)
        time.sleep(step)
    return None


def kill_worker(served: Served, scripts: dict[str, Path], seconds: float, entity: str, bound: float = 30) -> dict:
    """kill -9 of one granian worker a third into the lookups load; recovery and the requests lost."""
    before = served.workers()
    with Prober(served, entity) as prober:
        load = Wrk(served.port, scripts["lookups"], seconds, LOOKUP_CONNECTIONS, 2)
        time.sleep(seconds / 3)
        victim = min(before)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        respawned = wait_for(lambda: victim not in served.workers() and len(served.workers()) == 2
                             and all(served.query_processes(w) for w in served.workers()), bound)
        run = summarize(load.result())
    recovered = prober.recovered_after(killed_at)
    # wrk sends one request at a time per connection: at most one in flight each when the worker dies. A connection
    # may fail once more: wrk reconnects at once, and a new connection can still reach the killed worker while its
    # process is torn down (seen once in a CI run: 63 read errors over 62 connections; 31-48 in the other runs).
    # So at most two lost per connection: the request in flight and its immediate retry.
    in_flight = 2 * LOOKUP_CONNECTIONS
    lost = run["errors"]
    return {"scenario": "kill_worker", "requests": run["requests"], "errors": lost, "p50": run["p50"],
            "p99": run["p99"], "part": run,
            "outcome": {"killed": victim, "respawned_after": respawned, "recovered_after": recovered,
                        "probe_failures": prober.failed(killed_at), "lost": lost, "in_flight_at_most": in_flight,
                        "server_alive": served.server.proc.poll() is None},
            "ok": respawned is not None and recovered is not None and recovered <= bound and lost <= in_flight
            and served.server.proc.poll() is None}


def kill_query(served: Served, scripts: dict[str, Path], seconds: float, bound: float = 30) -> dict:
    """kill -9 of a query process while it runs a query, under the SPARQL load: its query's answer, the
    replacement, recovery, the load's failures."""
    sparql_probe = scripts["probe_sparql"]
    with Prober(served, sparql_probe.read_text(encoding="utf-8").strip(), SPARQL_JSON, every=0.1) as prober:
        load = Wrk(served.port, scripts["sparql"], seconds, SPARQL_CONNECTIONS, 1)
        time.sleep(min(2.0, seconds / 4))
        # one query, from a client of its own (the runaway scenario may have spent 127.0.0.2's query-time budget)
        holder = Runaways(served, every=3600, timeout=60, source=HELD_SOURCE)
        with holder:
            victim = None
            deadline = time.monotonic() + 10
            while victim is None and time.monotonic() < deadline:
                hot = burning(served.query_processes(), 0.3)
                victim = min(hot) if hot else None
            if victim is None:
                raise RuntimeError("no query process was running the held query")
            parent = next(w for w in served.workers() if victim in children(w))
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            holder.stopping.set()
        replaced = wait_for(lambda: not alive(victim) and len(served.query_processes(parent)) >= 2, bound)
        run = summarize(load.result())
    answer = holder.answers[0] if holder.answers else None
    traceback = bool(answer and "Traceback" in (answer.get("head") or ""))
    clean = bool(answer and answer.get("status") in (503, 504) and "problem+json" in (answer.get("type") or ""))
    recovered = prober.recovered_after(killed_at)
    in_flight = SPARQL_CONNECTIONS + 1
    return {"scenario": "kill_query", "requests": run["requests"], "errors": run["errors"], "p50": run["p50"],
            "p99": run["p99"], "part": run,
            "outcome": {"killed": victim, "its_answer": answer, "answer_clean": clean, "traceback": traceback,
                        "replaced_after": replaced, "recovered_after": recovered, "lost": run["errors"],
                        "in_flight_at_most": in_flight},
            "ok": clean and not traceback and replaced is not None and recovered is not None
            and run["errors"] <= in_flight}


# ---------------------------------------------------------------- builds that go wrong


def release_state(build: Path, folder: Path | None = None) -> dict:
    """``current``'s target, and of the release ``folder`` (default: the one ``current`` names) a SHA-256 over
    every file (path and bytes), its file count, and whether ``kg.releases.verify`` passes on the build."""
    from kg.releases import CURRENT, verify

    target = os.readlink(build / CURRENT)
    folder = folder or (build / CURRENT).resolve()
    digest = hashlib.sha256()
    files = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
        files += 1
    try:
        verify(build)
        verified: bool | str = True
    except Exception as exc:  # noqa: BLE001 - the verdict is the point
        verified = f"{type(exc).__name__}: {exc}"
    return {"current": target, "folder": folder.name, "sha256": digest.hexdigest(), "files": files,
            "verified": verified}


def answers(served: Served, entity: str) -> dict:
    status, body, _ = served.get("/health", timeout=10)
    health = json.loads(body) if status == 200 else {}
    entity_status, entity_body, _ = served.get(entity, timeout=10)
    return {"health": status, "release": health.get("release"), "entity": entity_status,
            "entity_sha256": hashlib.sha256(entity_body).hexdigest()}


def run_build(out: Path, ontology: Path | None = None, fsize: int | None = None, timeout: float = 300) -> subprocess.Popen:
    """``python -m kg.cli build --out OUT [--ontology DIR]`` started now; with ``fsize`` its files may not grow past
    that many bytes (RLIMIT_FSIZE, SIGXFSZ ignored: a write past it fails with EFBIG)."""
    cmd = [sys.executable, "-m", "kg.cli", "build", "--out", str(out)]
    if ontology is not None:
        cmd += ["--ontology", str(ontology)]

    def limit() -> None:
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=limit if fsize is not None else None)  # noqa: PLW1509


def finish(proc: subprocess.Popen, timeout: float = 300) -> dict:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
        return {"code": None, "tail": out[-1500:], "traceback": "Traceback" in out, "timed_out": True}
    return {"code": proc.returncode, "tail": out.strip().splitlines()[-3:] if out.strip() else [],
            "traceback": "Traceback" in out, "timed_out": False}


def build_fault(name: str, build: Path, logs: Path, entity: str, fault: Callable[[Served], dict]) -> dict:
    """Serve ``build``, note its release (files, checksum) and answers, run ``fault``, and compare: the served
    release's folder must be byte-identical after, ``current`` whole (verified), and the server answering — the
    same bytes, or (a fault that builds a new release: ``may_change``) those of the release ``current`` names."""
    with serving(build, logs, name) as served:
        before, said_before = release_state(build), answers(served, entity)
        folder = (build / "current").resolve()
        t0 = time.monotonic()
        detail = fault(served)
        took = time.monotonic() - t0
        kept = release_state(build, folder)  # the release that was served, as it is now
        now = release_state(build)
        if detail.get("may_change") and now["folder"] != before["folder"]:  # the server may reload it: wait, bounded
            wait_for(lambda: answers(served, entity)["release"] == now["folder"], 30, 0.5)
        said_after = answers(served, entity)
    unchanged = kept["sha256"] == before["sha256"] and kept["files"] == before["files"]
    same_answers = said_before == said_after
    whole = now["verified"] is True
    answering = said_after["health"] == 200 and said_after["entity"] == 200 and (
        same_answers or (detail.get("may_change", False) and said_after["release"] == now["folder"]))
    ok = detail.pop("ok") and unchanged and whole and answering
    return {"scenario": name, "requests": None, "errors": 0 if ok else 1, "p50": None, "p99": None,
            "outcome": {**detail, "seconds": round(took, 1), "release_before": before, "served_release_after": kept,
                        "current_after": now, "served_before": said_before, "served_after": said_after,
                        "unchanged": unchanged, "same_answers": same_answers, "whole": whole, "answering": answering},
            "ok": ok}


def copy_build(build: Path, into: Path) -> Path:
    shutil.copytree(build, into, symlinks=True)
    return into


def build_broken(build: Path, logs: Path, entity: str) -> dict:
    """A build from a copy of ontology/ with a corrupted TSV, into the served folder."""
    from kg.settings import ONTOLOGY_DIR

    target = copy_build(build, logs / "broken-build")
    sources = logs / "broken-ontology"
    shutil.copytree(ONTOLOGY_DIR, sources)
    victim = min(sources.rglob("*.tsv"))
    lines = victim.read_text(encoding="utf-8").splitlines()
    # a row whose columns are cut short and whose ID is not one: the parse or QC must refuse it
    victim.write_text("\n".join(lines[:2] + ["OSTEOKG:notanid\tbroken"] + lines[2:]) + "\n", encoding="utf-8")

    def fault(served: Served) -> dict:
        result = finish(run_build(target, sources))
        return {"broken_file": victim.relative_to(sources).as_posix(), "build": result,
                "ok": result["code"] not in (0, None) and not result["traceback"]}

    return build_fault("build_broken", target, logs, entity, fault)


def build_twice(build: Path, logs: Path, entity: str) -> dict:
    """Two builds into the same served folder at once, one of the sources as they are (the served release's id) and
    one of a copy with one more synonym (a new release): both finish or one refuses; ``current`` is whole."""
    from kg.settings import ONTOLOGY_DIR

    target = copy_build(build, logs / "twice-build")
    sources = logs / "twice-ontology"
    shutil.copytree(ONTOLOGY_DIR, sources)
    with (sources / "synonyms.tsv").open("a", encoding="utf-8") as synonyms:
        synonyms.write("bone\tbony element\ten\trelated\tclinical\t\t\n")

    def fault(served: Served) -> dict:
        first, second = run_build(target), run_build(target, sources)
        results = [finish(first), finish(second)]
        codes = [r["code"] for r in results]
        return {"builds": results, "codes": codes, "may_change": True,
                "releases": sorted(p.name for p in (target / "releases").iterdir()),
                "ok": 0 in codes and None not in codes and not any(r["traceback"] for r in results)}

    return build_fault("build_twice", target, logs, entity, fault)


def release_bytes(build: Path) -> int:
    folder = (build / "current").resolve()
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@contextlib.contextmanager
def small_disk(where: Path, size: int, mount: bool = True) -> Iterator[str]:
    """A tmpfs of ``size`` bytes mounted at ``where`` ("tmpfs"), or the folder as it is when mounting is not
    allowed or not asked for ("rlimit": the caller limits the build's file size instead); unmounted at the end."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = mount and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True, timeout=30, check=False).returncode == 0 if shutil.which("mount") else False
    try:
        yield "tmpfs" if mounted else "rlimit"
    finally:
        if mounted:
            for _ in range(50):
                if subprocess.run(["umount", str(where)], capture_output=True, timeout=30, check=False).returncode == 0:
                    break
                time.sleep(0.2)


def build_full_disk(build: Path, logs: Path, entity: str, mount: bool = True) -> dict:
    """A build into a served folder on a disk that holds its release and not a second one (a tmpfs; without
    ``mount``, or where mounting is refused, a file-size limit of 1 MiB on the build's process instead)."""
    one = release_bytes(build)
    size = int(one * 1.4) + (1 << 20)
    where = logs / ("small-disk" if mount else "file-size-limit")
    with small_disk(where, size, mount) as how:
        target = copy_build(build, where / "build")

        def fault(served: Served) -> dict:
            free = shutil.disk_usage(where).free
            fsize = None if how == "tmpfs" else FSIZE_FALLBACK
            result = finish(run_build(target, fsize=fsize))
            text = " ".join(result["tail"]) if isinstance(result["tail"], list) else result["tail"]
            clear = bool(re.search(r"No space left|File too large|space|EFBIG|ENOSPC", text, re.IGNORECASE))
            return {"disk": how, "size": fsize or size, "release_bytes": one, "free_before": free, "build": result,
                    "message_clear": clear, "left_behind": sorted(p.name for p in (target / "releases").iterdir()),
                    "ok": result["code"] not in (0, None) and not result["traceback"] and clear}

        result = build_fault("build_full_disk", target, logs, entity, fault)
    return result


# ---------------------------------------------------------------- the run


SCENARIOS = ("quiet", "runaway", "connections", "kill_worker", "kill_query", "build_broken", "build_twice",
             "build_full_disk")


def run(build: Path, logs: Path, seconds: float, only: tuple[str, ...] = SCENARIOS,
        progress: Callable[[str], None] = lambda _: None) -> dict:
    """Every scenario of ``only`` over ``build``, each on a fresh server (the builds' on a copy of ``build``)."""
    paths = mix_paths(build)
    scripts = write_scripts(paths, logs)
    scripts["probe_sparql"] = logs / "probe-sparql.txt"
    scripts["probe_sparql"].write_text(paths["sparql"][0], encoding="utf-8")
    entity = paths["entities"][0]
    results: list[dict] = []
    quiet_p99: float | None = None
    load = [name for name in ("quiet", "runaway", "connections", "kill_worker", "kill_query") if name in only]
    if "runaway" in load and "quiet" not in load:
        load.insert(0, "quiet")  # the runaway's lookups p99 is compared with the quiet one of the same run
    for name in load:
        # a server of its own per scenario: what one scenario spent of a client's query-time budget (the mix is
        # one client, 127.0.0.1) or left behind (a respawned worker) is not the next one's starting point
        with serving(build, logs, f"serve-{name}") as served:
            checked = warm(served, paths)
            progress(f"{name} ({seconds:g} s)" if name != "connections" else name)
            if name == "quiet":
                result = quiet(served, scripts, seconds)
                quiet_p99 = result["parts"]["lookups"]["p99"]
            elif name == "runaway":
                result = runaway(served, scripts, seconds, quiet_p99)
            elif name == "connections":
                result = many_connections(served, entity)
            elif name == "kill_worker":
                result = kill_worker(served, scripts, seconds, entity)
            else:
                result = kill_query(served, scripts, seconds)
        result["warm_statuses"] = checked
        results.append(result)
        progress(f"  {name}: ok={result['ok']} errors={result['errors']}")
    for name, fault in (("build_broken", build_broken), ("build_twice", build_twice),
                        ("build_full_disk", build_full_disk)):
        if name in only:
            progress(name)
            results.append(fault(build, logs, entity))
            progress(f"  {name}: ok={results[-1]['ok']}")
    return {"paths": {k: len(v) for k, v in paths.items()}, "words": paths["words"], "results": results}


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def outcome_text(result: dict) -> str:
    o = result.get("outcome", {})
    name = result["scenario"]
    if name == "quiet":
        s = result["parts"]["sparql"]
        return (f"lookups {result['parts']['lookups']['requests']} req, SPARQL {s['requests']} req "
                f"(p50 {fmt(s['p50'])} ms, p99 {fmt(s['p99'])} ms); statuses {_statuses(result)}")
    if name == "runaway":
        s = result["parts"]["sparql"]
        return (f"{o['sent']} runaways: {o['ended_504']} ended 504 (after {_span(o['seconds_504'])} s), "
                f"{o['refused_429']} refused 429 by the per-client limits, {o['refused_503_busy']} refused 503 (every "
                f"query process busy), {o['other']} other; "
                f"{o['query_processes_killed']} query processes killed, {o['query_processes_burning_after']} "
                f"still running after; lookups p99 {o['lookups_p99_ratio']}× quiet; the mix's SPARQL "
                f"{_codes(s['statuses'])} (p99 {fmt(s['p99'])} ms)")
    if name == "connections":
        return (f"served {o['served']}, refused cleanly {o['refused_cleanly']}, hung {o['hung']} "
                f"({_codes(o['counts'])}, {o['seconds']} s); healthy after: {o['healthy_after']}")
    if name == "kill_worker":
        return (f"worker {o['killed']} killed: respawned after {o['respawned_after']} s, every request succeeds "
                f"again after {o['recovered_after']} s ({o['probe_failures']} probes failed); lost {o['lost']} ≤ "
                f"in flight ({o['in_flight_at_most']}: two per connection, the request and its reconnect)")
    if name == "kill_query":
        a = o["its_answer"] or {}
        title = re.search(r'"title": "([^"]+)"', a.get("head") or "")
        return (f"query process killed: its query answered {a.get('status')} "
                f"{a.get('type', '').split(';')[0]} ({title.group(1) if title else '?'}), traceback: {o['traceback']}; "
                f"replaced after {o['replaced_after']} s, queries succeed after {o['recovered_after']} s; "
                f"lost {o['lost']} ≤ in flight ({o['in_flight_at_most']})")
    b = o.get("build") or {}
    error = next((line for line in b.get("tail") or [] if "error" in line), "; ".join(b.get("tail") or []))
    detail = {"build_broken": lambda: f"{o.get('broken_file')} corrupted: build exit {b.get('code')} ({error})",
              "build_twice": lambda: f"builds exit {o.get('codes')}, releases now {', '.join(o.get('releases', []))}",
              "build_full_disk": lambda: f"{'tmpfs of' if o.get('disk') == 'tmpfs' else 'no mount: RLIMIT_FSIZE'} "
                                         f"{o.get('size', 0) // 1024} KiB: build exit "
                                         f"{b.get('code')} ({error})"}[name]()
    kept, now = o["served_release_after"], o["current_after"]
    return (f"{detail}; served release {kept['folder']} {'byte-identical' if o['unchanged'] else 'CHANGED'} "
            f"({kept['files']} files, sha256 {kept['sha256'][:12]}…); current → {now['current']} (verified "
            f"{now['verified']}); the server answers {o['served_after']['health']} from release "
            f"{o['served_after']['release']}")


def _codes(counts: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))


def _statuses(result: dict) -> str:
    merged: dict[int, int] = {}
    for part in result["parts"].values():
        for code, n in part["statuses"].items():
            merged[code] = merged.get(code, 0) + n
    return _codes(merged)


def _span(values: list[float]) -> str:
    return f"{min(values):g}–{max(values):g}" if values else "–"


def report(result: dict) -> str:
    info = result["info"]
    lines = ["# Reliability: load and faults (`bench/reliability_bench.py`)", "",
             (f"{info['date']}; {info['cores']} cores, load average before {info['load_before']}, after "
             f"{info['load_after']}; `osteokg serve --workers 2` on 127.0.0.1 over the real build "
             f"({result['paths']['entities']} entities, {result['paths']['search']} search words, "
             f"{result['paths']['sparql']} cheap SPARQL queries); load {info['seconds']:g} s per scenario: wrk, "
             f"{LOOKUP_CONNECTIONS} connections on the lookups and {SPARQL_CONNECTIONS} on the SPARQL "
             f"({SPARQL_DELAY_MS} ms apart), per-client limits at their defaults, `OSTEOKG_SPARQL_MAX_COST=0`. "
             "p50/p99 in ms (the lookups' where there are both; the SPARQL part's in the outcome). Errors: "
             "socket errors and statuses that were not expected."), "",
             "| scenario | requests | errors | p50 ms | p99 ms | outcome | ok |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in result["results"]:
        lines.append(f"| {r['scenario']} | {fmt(r['requests'])} | {fmt(r['errors'])} | {fmt(r['p50'])} | "
                     f"{fmt(r['p99'])} | {outcome_text(r).replace('|', '/')} | {'yes' if r['ok'] else 'NO'} |")
    lines += ["", f"Reproduce: `{info['command']}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="seconds of load per scenario (60 for the README)")
    ap.add_argument("--build", type=Path, help="a build folder (default: one is built in a temporary folder)")
    ap.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reliability.md")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, copies)")
    args = ap.parse_args(argv)
    only = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        ap.error(f"unknown scenarios: {sorted(unknown)}")
    if shutil.which("wrk") is None:
        ap.error("wrk is needed (apt-get install wrk)")
    logs = Path(tempfile.mkdtemp(prefix="reliability-"))
    load_before = os.getloadavg()
    try:
        build = args.build
        if build is None:
            build = logs / "build"
            subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(build)], cwd=ROOT, check=True,
                           capture_output=True, timeout=600)
        result = run(build.resolve(), logs, args.seconds, only, progress=lambda m: print(m, flush=True))
    finally:
        if not args.keep:
            shutil.rmtree(logs, ignore_errors=True)
        else:
            print(f"kept {logs}")
    result["info"] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
                      "load_before": " ".join(f"{x:.2f}" for x in load_before),
                      "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()), "seconds": args.seconds,
                      "command": "python bench/reliability_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    text = report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(text)
    return 0 if all(r["ok"] for r in result["results"]) else 1


if __name__ == "__main__":
    sys.exit(main())
