"""Prometheus ``/metrics`` and the structured access log: the outermost WSGI layer (docs/operations.md).

:class:`Metrics` wraps the whole app — outside the release binding (:mod:`api.graph`), the response
cache (:mod:`api.cache`) and the lean paths below Flask (:mod:`api.front`, :class:`api.sparql.Front`) — so
every answer is counted and logged whoever produced it. It answers ``GET /metrics`` itself (``METRICS``).

Labels stay bounded: a request is labelled by its route *template* from the app's URL map
(``/entities/<path:curie>``, never the CURIE asked for; a path no route matches is ``(unmatched)``),
its method (an unknown one is ``other``) and its status. Whether the response cache answered is told
by two small layers on either side of the cache (:func:`before_cache`, :func:`behind_cache`): a GET
that reaches the cache is a ``hit`` unless the cache called the app, and a ``miss`` when the app's
answer was one the cache keeps.

Several worker processes (``osteokg serve --workers N``): prometheus-client's multiprocess mode. Each
process writes its values to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (``osteokg serve``
makes a fresh folder per server before any worker starts); a scrape, answered by whichever worker,
sums every process's files, so the totals do not depend on which worker answers, and the counts of a
worker that was killed (``kill -9``) and replaced stay in its files. The release gauge is a
``livemax`` gauge: a scrape first drops the files of processes that are gone
(:func:`prometheus_client.multiprocess.mark_process_dead`), so a dead worker's release is not
reported as served. Without the variable (a test's app, a script) the values live in this process.
A request's counts are first summed in the process (:class:`Tally`) and written every
:data:`FLUSH_INTERVAL` s, and before a scrape the answering process writes its own: a scrape may miss
up to a second of another worker's requests (bench/metrics_bench.py measures what this saves).

SPARQL outcomes come from the pool of query processes (:data:`kg.sparql.pool.OBSERVERS`): the API
process counts what became of each query it sent (answered, refused, timed out, killed, refused for
memory); the query processes themselves never import prometheus-client.

The access log (``ACCESS_LOG``: ``-`` standard error, or a file) is one JSON object per line and
request: time, method, path (never the query string unless ``ACCESS_LOG_QUERY``), route, status,
duration, bytes sent, release, cache, client address, worker pid. Bodies, ``Authorization`` and
cookies are never logged. Lines are formatted and written by a thread of their own from a bounded queue: a slow or
blocked destination (a full pipe) never holds a request; a line that does not fit is dropped and
counted (``osteokg_access_log_dropped_total``).
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    values,
)
from prometheus_client.exposition import choose_encoder
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, RequestRedirect

from api.cache import MARK
from api.graph import ENVIRON, releases_of
from kg.sparql import pool

log = logging.getLogger("osteokg.api")

PATH = "/metrics"
EXTENSION = "osteokg_metrics"  # the app's Metrics layer, in app.extensions
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable (set by `osteokg serve`)
CACHE = "osteokg.metrics.cache"  # environ: "hit", "miss" or None (not a cached route), set around the cache
UNMATCHED = "(unmatched)"
REDIRECT = "(redirect)"
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
_KEPT = 4096  # (method, path) → route lookups kept per process (cleared when full)
_QUEUE = 10_000  # access-log lines waiting for the writer thread before lines are dropped
_PAUSE = 0.05  # seconds the access log's writer waits between looks at its queue
_BATCH = 256  # lines the writer joins into one write
_LIVE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")

#: this process's values when there is no PROMETHEUS_MULTIPROC_DIR (in multiprocess mode the files are read)
REGISTRY = CollectorRegistry(auto_describe=True)

#: seconds: from well under a millisecond (the lean paths, the cache) to the SPARQL time limit
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter("osteokg_http_requests", "HTTP requests answered, by method, route template and status.",
                   ("method", "route", "status"), registry=REGISTRY)
LATENCY = Histogram("osteokg_http_request_duration_seconds", "Seconds from a request's arrival to the end of its "
                    "answer's body, by route template.", ("route",), buckets=BUCKETS, registry=REGISTRY)
SENT = Counter("osteokg_http_response_bytes", "Bytes of answer bodies sent, by route template.", ("route",),
               registry=REGISTRY)
CACHED = Counter("osteokg_response_cache", "GET requests that reached the response cache: answered from it (hit) "
                 "or computed and kept (miss); other GETs are not cacheable.", ("result",), registry=REGISTRY)
QUERIES = Counter("osteokg_sparql_queries", "SPARQL queries given to the query processes, by outcome (answered, "
                  "refused, failed, memory, timeout, cpu_time, memory_killed, crashed, ended, busy, unavailable).",
                  ("outcome",), registry=REGISTRY)
QUERY_SECONDS = Histogram("osteokg_sparql_query_duration_seconds", "Seconds a SPARQL query took in the pool, "
                          "waiting for a free query process included.", buckets=BUCKETS, registry=REGISTRY)
TIMEOUTS = Counter("osteokg_sparql_timeouts", "SPARQL queries stopped at the time limit (the wall clock, or the "
                   "query process's CPU budget).", registry=REGISTRY)
KILLS = Counter("osteokg_sparql_kills", "Query processes ended while answering and replaced, by reason (timeout: "
                "killed by the pool; cpu_time, memory_killed, crashed: by a signal).", ("reason",), registry=REGISTRY)
MEMORY = Counter("osteokg_sparql_memory_refusals", "SPARQL queries refused for needing more memory than a query "
                 "may use (the engine's allocation failed, or the process was killed for memory).", registry=REGISTRY)
RELEASE = Gauge("osteokg_release_info", "The release served: 1 while a worker serves it, 0 once none does.",
                ("release", "graph_sha256", "version_iri"), multiprocess_mode="livemax", registry=REGISTRY)
DROPPED = Counter("osteokg_access_log_dropped", "Access-log lines dropped: the destination could not keep up or "
                  "could not be written.", registry=REGISTRY)

_KILLED = {"timeout", "cpu_time", "memory_killed", "crashed"}
_TIMED_OUT = {"timeout", "cpu_time"}
_MEMORY = {"memory", "memory_killed"}


def observe_query(outcome: str, seconds: float) -> None:
    """Count one query's outcome (a :data:`kg.sparql.pool.OBSERVERS` hook, in the API process)."""
    QUERIES.labels(outcome).inc()
    QUERY_SECONDS.observe(seconds)
    if outcome in _TIMED_OUT:
        TIMEOUTS.inc()
    if outcome in _KILLED:
        KILLS.labels(outcome).inc()
    if outcome in _MEMORY:
        MEMORY.inc()


# ---------------------------------------------------------------- this process's counts

#: this process's pid, kept current in a forked child (os.getpid is a system call, and every request reads it)
_PID = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


class Tally:
    """The requests this process answered since its counts were last written to prometheus-client's values.

    A request adds to plain dicts under one lock; a thread of the process writes the sums every
    :data:`FLUSH_INTERVAL` s (and a scrape first writes those of the process answering it). Writing each value
    as it happens costs every request several writes to memory-mapped files (bench/metrics_bench.py); so a
    scrape may miss up to a second of another worker's requests, and a worker killed with ``kill -9`` loses at
    most its last second. The latency histogram's buckets are summed here and added to the histogram's own
    values (its ``_sum`` and ``_buckets``: prometheus-client 0.26.0, pinned; tests/api/test_metrics.py checks
    the counts come out)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = {}
        self.timed: dict[str, list[Any]] = {}  # route → [seconds, bytes, count per bucket (the last: +Inf)]
        self.cached: dict[str, int] = {}
        self._pid: int | None = None

    def add(self, method: str, route: str, status: str, seconds: float, sent: int, cache: str | None) -> None:
        index = bisect_left(BUCKETS, seconds)  # the first bucket whose bound is >= seconds (len: +Inf)
        key = (method, route, status)
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            timed = self.timed.get(route)
            if timed is None:
                timed = self.timed[route] = [0.0, 0, [0] * (len(BUCKETS) + 1)]
            timed[0] += seconds
            timed[1] += sent
            timed[2][index] += 1
            if cache is not None:
                self.cached[cache] = self.cached.get(cache, 0) + 1
        if self._pid != _PID[0]:
            self._start()

    def _start(self) -> None:
        with self.lock:
            if self._pid == _PID[0]:
                return
            self._pid = _PID[0]
        threading.Thread(target=self._flushing, name="osteokg-metrics", daemon=True).start()

    def _flushing(self) -> None:
        while True:
            time.sleep(FLUSH_INTERVAL)
            try:
                self.flush()
            except Exception:  # the next round tries again; say why
                log.exception("metrics not written")

    def flush(self) -> None:
        """Write the counts so far to prometheus-client's values (in multiprocess mode, this process's files)."""
        with self.lock:
            if not (self.requests or self.cached):
                return
            requests, timed, cached = self.requests, self.timed, self.cached
            self.requests, self.timed, self.cached = {}, {}, {}
        for (method, route, status), count in requests.items():
            REQUESTS.labels(method, route, status).inc(count)
        for route, (seconds, sent, counts) in timed.items():
            histogram = LATENCY.labels(route)
            histogram._sum.inc(seconds)
            for bucket, count in zip(histogram._buckets, counts, strict=True):
                if count:
                    bucket.inc(count)
            SENT.labels(route).inc(sent)
        for result, count in cached.items():
            CACHED.labels(result).inc(count)


FLUSH_INTERVAL = 1.0  # seconds between a process's writes of its counts
TALLY = Tally()


# ---------------------------------------------------------------- around the response cache

class _BeforeCache:
    """Around the response cache: a GET that reaches it is a hit unless :class:`_BehindCache` says otherwise."""

    def __init__(self, cache: Callable) -> None:
        self.cache = cache

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            environ[CACHE] = "hit"
        return self.cache(environ, start_response)


class _BehindCache:
    """Between the response cache and the app: the cache called the app (no hit); a miss when the cache keeps
    the answer (a 200 the view marked, the cache's own rule)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        environ[CACHE] = None

        def probe(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("200") and any(name == MARK for name, _ in headers):
                environ[CACHE] = "miss"
            return start_response(status, headers, exc_info)

        return self.app(environ, probe)


def behind_cache(app: Callable) -> Callable:
    """The app the response cache calls, telling the metrics whether the cache answered (see :func:`before_cache`)."""
    return _BehindCache(app)


def before_cache(cache: Callable) -> Callable:
    """The response cache, as the layers around it see it (with :func:`behind_cache` inside it)."""
    return _BeforeCache(cache)


# ---------------------------------------------------------------- the access log

class AccessLog:
    """JSON lines to a file descriptor, written by a thread of its own from a bounded queue (module docstring).

    The queue is a deque (an append is one atomic step, no lock or wake-up on the request's path); the writer
    looks every :data:`_PAUSE` s and writes what has come, formatted, in as few writes as it can."""

    def __init__(self, where: str, query: bool = False) -> None:
        self.where, self.query = where, query
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._lines: deque[tuple] = deque()
        self._busy = False
        self._fd = -1

    @staticmethod
    def open(where: str) -> int:
        """The descriptor for ``where`` (``-``: standard error; else the file, created, appended to); OSError if it
        cannot be opened."""
        if where == "-":
            return 2
        return os.open(Path(where), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)

    def _start(self) -> None:
        with self._lock:
            if self._pid == _PID[0]:
                return
            # first line in this process (a forked worker starts its own queue and writer)
            self._lines = deque()
            self._fd = self.open(self.where)
            threading.Thread(target=self._drain, args=(self._lines, self._fd), name="osteokg-access-log",
                             daemon=True).start()
            self._pid = _PID[0]

    def write(self, record: tuple) -> None:
        """Queue one line (formatted by the writer thread, off the request's path); dropped and counted when
        :data:`_QUEUE` lines are waiting already."""
        if self._pid != _PID[0]:
            self._start()
        if len(self._lines) >= _QUEUE:
            DROPPED.inc()
            return
        self._lines.append(record)

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait (bounded) until every line queued so far is written; False if they were not in time."""
        deadline = time.monotonic() + timeout
        while (self._lines or self._busy) and time.monotonic() < deadline:
            time.sleep(0.005)
        return not (self._lines or self._busy)

    @staticmethod
    def line(record: tuple) -> str:
        """One request's line: what :meth:`Metrics._record` queued, formatted (here, in the writer thread)."""
        at, method, path, route, status, seconds, sent, release, cache, client, query = record
        fields: dict[str, Any] = {
            "time": _stamp(at), "method": _text(method), "path": _text(path), "route": route,
            "status": int(status) if status.isdigit() else None, "duration_ms": round(seconds * 1000, 3),
            "bytes": sent, "release": release, "cache": cache, "client": client, "pid": _PID[0]}
        if query is not None:
            fields["query"] = _text(query)
        return json.dumps(fields, separators=(",", ":")) + "\n"

    def _drain(self, lines: deque[tuple], fd: int) -> None:
        while True:
            time.sleep(_PAUSE)
            while lines:
                self._busy = True  # before taking lines, so that flush() never sees none queued and none writing
                batch = [lines.popleft() for _ in range(min(_BATCH, len(lines)))]
                data = "".join(map(self.line, batch)).encode("utf-8")
                try:
                    while data:
                        data = data[os.write(fd, data):]
                except OSError:
                    DROPPED.inc(len(batch))
            self._busy = False


def _text(raw: str) -> str:
    """A WSGI string (bytes decoded as Latin-1) as the text the client sent."""
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def _stamp(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}Z"


# ---------------------------------------------------------------- the layer

class _Body:
    """The answer's body as the server sends it: counts the bytes, and records the request once, when the body has
    been handed over whole or the server closes it (whichever comes first: a client that stops reading still
    closes)."""

    __slots__ = ("done", "result", "sent")

    def __init__(self, result: Iterable[bytes], done: Callable[[int], None]) -> None:
        self.result, self.sent = result, 0
        self.done: Callable[[int], None] | None = done

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.result:
            self.sent += len(chunk)
            yield chunk
        self._finish()

    def _finish(self) -> None:
        done, self.done = self.done, None
        if done is not None:
            done(self.sent)

    def close(self) -> None:
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()


class Metrics:
    """The outermost WSGI layer: counts, times and logs every request, and answers ``GET /metrics``."""

    def __init__(self, app: Callable, flask_app: Flask, access_log: AccessLog | None = None,
                 serve_metrics: bool = True) -> None:
        self.app, self.flask_app = app, flask_app
        self.access_log, self.serve_metrics = access_log, serve_metrics
        self.directory = multiprocess_folder()
        self._adapter: MapAdapter | None = None
        self._routes: dict[tuple[str, str], str] = {}
        self.mounted: set[str] = set()  # paths answered by a layer under this one, outside the app's URL map

    def mount(self, path: str, make: Callable[[Callable], Callable]) -> Callable:
        """Put the layer ``make(inner)`` that answers ``path`` (e.g. /mcp) just under this one, so its requests are
        counted, timed and logged like the app's, labelled ``path``. Returns the layer."""
        layer = make(self.app)
        self.app = layer
        self.mounted.add(path)
        self._routes.clear()
        return layer

    # -- labels

    def route(self, method: str, path: str) -> str:
        """The route template ``path`` matches (bounded: never the path itself)."""
        key = (method, path)
        found = self._routes.get(key)
        if found is None:
            found = self._match(method, path)
            if len(self._routes) >= _KEPT:
                self._routes.clear()
            self._routes[key] = found
        return found

    def _match(self, method: str, path: str) -> str:
        if path == PATH and self.serve_metrics:
            return PATH
        if path in self.mounted:
            return path
        if self._adapter is None:  # made on first use: every blueprint is registered by then
            self._adapter = self.flask_app.url_map.bind("localhost")
        try:
            try:
                rule, _ = self._adapter.match(_text(path), method, return_rule=True)
            except MethodNotAllowed as wrong:  # the route is there, for another method
                allowed = sorted(wrong.valid_methods or ())
                if not allowed:
                    return UNMATCHED
                rule, _ = self._adapter.match(_text(path), allowed[0], return_rule=True)
        except RequestRedirect:
            return REDIRECT
        except HTTPException:  # not found, or another refusal of the router's: no route
            return UNMATCHED
        return str(getattr(rule, "rule", UNMATCHED))

    # -- the request

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started, at = time.perf_counter(), time.time()
        raw_method = environ.get("REQUEST_METHOD", "")
        method = raw_method if raw_method in METHODS else "other"
        path = environ.get("PATH_INFO", "") or "/"
        route = self.route(method, path)
        status = ["unknown"]

        def start(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = line[:3]
            return start_response(line, headers, exc_info)

        def done(sent: int) -> None:
            self._record(environ, method, path, route, status[0], started, at, sent)

        if route == PATH and method in ("GET", "HEAD"):
            result: Iterable[bytes] = self._scrape(environ, start)
        elif route == PATH:  # /metrics (served) asked with another method
            result = _problem(start, "405 METHOD NOT ALLOWED", "Method Not Allowed",
                              f"/metrics answers GET and HEAD, not {raw_method[:20]}", [("Allow", "GET, HEAD")])
        else:
            try:
                result = self.app(environ, start)
            except BaseException:
                status[0] = "500"
                done(0)
                raise
        return _Body(result, done)

    def _record(self, environ: dict, method: str, path: str, route: str, status: str, started: float, at: float,
                sent: int) -> None:
        seconds = time.perf_counter() - started
        try:
            cache = environ.get(CACHE)
            TALLY.add(method, route, status, seconds, sent, cache)
            if self.access_log is not None:
                served = environ.get(ENVIRON)
                self.access_log.write((at, environ.get("REQUEST_METHOD", ""), path, route, status, seconds, sent,
                                       served.release.id if served is not None else None, cache,
                                       environ.get("REMOTE_ADDR"),
                                       environ.get("QUERY_STRING", "") if self.access_log.query else None))
        except Exception:  # the answer has been sent; say why it was not counted
            log.exception("request not counted")

    # -- /metrics

    def collect(self) -> CollectorRegistry:
        """What a scrape reports: every process's files in multiprocess mode, else this process's values."""
        TALLY.flush()  # this process's counts so far (the others' are at most FLUSH_INTERVAL old)
        if self.directory is None:
            return REGISTRY
        self.reap()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, self.directory)
        return registry

    def reap(self) -> None:
        """Drop the live-gauge files of processes that are gone (a worker killed and replaced)."""
        assert self.directory is not None
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for pid in {int(m.group(1)) for m in map(_LIVE.match, names) if m}:
            if pid != os.getpid() and not _alive(pid):
                multiprocess.mark_process_dead(pid, self.directory)

    def _scrape(self, environ: dict, start: Callable) -> Iterable[bytes]:
        try:
            encoder, content_type = choose_encoder(environ.get("HTTP_ACCEPT", ""))
            body = encoder(self.collect())
        except Exception:  # logged; the scraper gets a short plain answer
            log.exception("/metrics could not be collected")
            return _problem(start, "503 SERVICE UNAVAILABLE", "Service Unavailable",
                            "the metrics could not be collected; the error was logged", [("Retry-After", "5")])
        start("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body))),
                         ("Cache-Control", "no-store")])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def _problem(start: Callable, line: str, title: str, detail: str, headers: list[tuple[str, str]]) -> list[bytes]:
    """A problem+json answer from this layer (it sits outside Flask, so it cannot call api.errors.problem)."""
    body = json.dumps({"type": "about:blank", "title": title, "status": int(line[:3]), "detail": detail}).encode()
    start(line, [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body))), *headers])
    return [body]


def multiprocess_folder() -> str | None:
    """The folder every process writes its values to, or None when this process keeps them in memory: what
    prometheus-client chose when it was imported (the variable set later changes nothing, so it is not read alone)."""
    if values.ValueClass is values.MutexValue:
        return None
    return os.environ.get(MULTIPROC_DIR) or None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _release_labels(app: Flask) -> tuple[str, str, str]:
    release = releases_of(app).current.release
    return release.id, str(release.manifest.get("graph_sha256", "")), str(release.manifest.get("version_iri", ""))


def init_app(app: Flask) -> Metrics:
    """Make :class:`Metrics` the app's outermost WSGI layer (after the release binding is in place), with the access
    log its config asks for, the release gauge kept current and the SPARQL pool's outcomes counted. An access-log
    file that cannot be opened is an OSError here, at start, not on the first request."""
    where = str(app.config.get("ACCESS_LOG") or "")
    access_log = None
    if where:
        fd = AccessLog.open(where)  # opened now: a path that cannot be written fails at start
        if fd != 2:
            os.close(fd)
        access_log = AccessLog(where, bool(app.config.get("ACCESS_LOG_QUERY")))
    layer = Metrics(app.wsgi_app, app, access_log, bool(app.config.get("METRICS", True)))
    app.wsgi_app = layer  # type: ignore[method-assign]
    app.extensions[EXTENSION] = layer
    if observe_query not in pool.OBSERVERS:
        pool.OBSERVERS.append(observe_query)
    shown: list[tuple[str, str, str]] = []

    def swapped() -> None:
        labels = _release_labels(app)
        for old in shown:
            if old != labels:
                RELEASE.labels(*old).set(0)
        RELEASE.labels(*labels).set(1)
        shown[:] = [labels]

    releases_of(app).on_swap.append(swapped)
    swapped()
    return layer
