"""The API process's pool of query processes (:mod:`kg.sparql.worker`).

pyoxigraph cannot interrupt a running query and holds the GIL while evaluating it, so endpoint
queries never run in the API process. Each API process keeps a small pool (``workers``) of query
processes, each opening the release's on-disk store read-only (``store_dir``; its pages are shared with
every other process on the machine) or, for a release without one, loading its N-Triples
(``nt_path``). They start when :meth:`QueryPool.start` is called (a served process calls it when the
app is made: :func:`api.sparql.start`) or else on the first query, each from the pool's one long-lived spawner thread
(a query process is killed by the kernel when the thread that started it ends: see
:func:`kg.sparql.sandbox.die_with_parent`). The request thread waits for an answer at most
``timeout`` seconds; on time-out it kills that process, starts a replacement (which loads in the
background) and answers 504. A request waits at most ``timeout`` seconds for a free process (then
503 with ``Retry-After``). The pool is thread-safe, shut down at exit (``atexit``), and started
afresh in a forked child.

When a query process ends while answering, the reply says what happened as far as its exit status
tells: killed by its CPU budget (504), killed for memory (an allocation past the address-space limit
aborts the engine, or the kernel's OOM killer kills it: 503), crashed (SIGSEGV and kin: 500) or ended
otherwise (500). A process that had died while idle (found dead before the query was sent, or its
pipe broken on sending) is replaced and the query is run once more on the fresh process.

What became of each query (answered, refused, timed out, killed, ...: :data:`OUTCOMES`) is told to the
:data:`OBSERVERS` in the API process, with the seconds it took (``api.metrics`` counts them for
``/metrics``); the query processes report nothing themselves and kg imports no metrics library.

A query is one round trip of plain bytes (:mod:`kg.sparql.framing`): the answer's body comes back as
the query process serialized it and goes to the client as it is.

A pool's settings for a release come from one place, :meth:`PoolSettings.for_release`: the SPARQL endpoint
(:mod:`api.sparql`, from the Flask config) and the MCP door (:mod:`api.mcp_server`, from :mod:`kg.settings`)
both call it, so they read the same ``SPARQL_*`` settings the same way.
"""
from __future__ import annotations

import atexit
import json
import logging
import math
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg import settings as settings_table
from kg.sparql import framing
from kg.sparql.policy import NARROW

if TYPE_CHECKING:
    from kg.service import Release

log = logging.getLogger("osteokg.sparql")

#: what became of a query given to the pool: the worker's reply (answered 200, refused 4xx, failed 500, memory:
#: the engine's allocation failed), the time limit (timeout: the pool killed the process; cpu_time: its CPU
#: budget did), the process ending while answering (memory_killed, crashed, ended), or no process to run it
#: (busy, unavailable)
OUTCOMES = ("answered", "refused", "failed", "memory", "timeout", "cpu_time", "memory_killed", "crashed", "ended",
            "busy", "unavailable")
#: called in the API process after each query with (outcome, seconds); an observer's error is logged, not raised
OBSERVERS: list[Callable[[str, float], None]] = []
STARTUP_TIMEOUT = 60.0  # seconds a new query process may take to load the graph
WORKER_MODULE = "kg.sparql.worker"


_RAN = threading.local()  # the seconds this thread's last query spent in a query process (QueryPool.run)


def query_seconds() -> float | None:
    """The seconds the last :meth:`QueryPool.run` of this thread spent in a query process, from the moment a free
    one took it (waiting for one is not counted) to its answer or its end; None if this thread ran none. What the
    per-client limits charge a client (api.sparql.admitted): time it held a query process, not time it waited
    because another client's queries held them all."""
    return getattr(_RAN, "seconds", None)


class PoolError(Exception):
    """The pool could not answer: becomes a problem response."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None,
                 outcome: str = "unavailable", **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers, self.extra = status, title, detail, headers, extra
        self.outcome = outcome  # for the OBSERVERS (one of OUTCOMES)


class _DiedIdle(Exception):
    """The query process was found dead before it was given the query."""


@dataclass
class PoolSettings:
    nt_path: str
    workers: int
    timeout: float
    max_rows: int
    memory: int | None
    base_iri: str | None = None  # relative IRIs in a query resolve against it
    store_dir: str | None = None  # the release's on-disk store, opened read-only (else nt_path is loaded)
    max_cost: float = 0.0  # the cost guard (kg.sparql.cost): refuse an estimate over this many timeouts; 0: off

    @classmethod
    def for_release(cls, release: Release, values: Mapping[str, Any], base_iri: str | None,
                    workers: int | None = None) -> PoolSettings:
        """The settings of a pool over ``release``, from ``values``: a Flask app's config or the parsed
        ``OSTEOKG_*`` values of :mod:`kg.settings` (e.g. ``kg.settings.from_environ("api")``); a setting missing
        from ``values`` takes its default from the settings table. It reads ``SPARQL_WORKERS`` (unless
        ``workers`` is given), ``SPARQL_TIMEOUT`` (at least 0.1 s), ``SPARQL_MAX_ROWS``, ``SPARQL_MAX_MEMORY``
        (0 or empty: no limit), ``SPARQL_MAX_COST`` (0: no cost guard) and, for a release without a folder of its own, ``BUILD_DIR``.

        The query processes open the on-disk store the release is served from, else the release folder's
        (also when the release itself is read through rdflib or an in-memory copy), else they load the
        folder's N-Triples. ``base_iri`` is what relative IRIs in a query resolve against (the endpoint's
        public IRI)."""
        from kg.store import DISK_STORE, OxigraphStore

        def value(name: str) -> Any:
            return values[name] if name in values else settings_table.default(name)

        directory = release.directory if release.directory is not None else Path(value("BUILD_DIR"))
        store = release.store
        if isinstance(store, OxigraphStore) and store.directory is not None:
            store_dir: str | None = str(store.directory)
        else:
            store_dir = str(directory / DISK_STORE) if (directory / DISK_STORE).is_dir() else None
        memory = value("SPARQL_MAX_MEMORY")
        return cls(nt_path=str(directory / "osteokg.nt"), store_dir=store_dir,
                   workers=int(workers if workers is not None else value("SPARQL_WORKERS")),
                   timeout=max(0.1, float(value("SPARQL_TIMEOUT"))), max_rows=int(value("SPARQL_MAX_ROWS")),
                   memory=int(memory) if memory else None, base_iri=base_iri,
                   max_cost=float(value("SPARQL_MAX_COST") or 0.0))


def _child_env() -> dict[str, str]:
    """The environment of a query process: this process's, with its ``sys.path`` as ``PYTHONPATH``."""
    paths = [path for path in sys.path if path]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


class Worker:
    """One query process and the API process's end of its socket pair."""

    def __init__(self, settings: PoolSettings, cpu_seconds: float) -> None:
        ours, theirs = socket.socketpair()
        config = {"nt_path": settings.nt_path, "store_dir": settings.store_dir, "max_rows": settings.max_rows, "memory": settings.memory or 0,
                  "cpu_seconds": cpu_seconds, "base_iri": settings.base_iri, "parent": os.getpid(),
                  "max_seconds": settings.max_cost * settings.timeout, "timeout": settings.timeout}
        try:
            argv = [sys.executable, "-m", WORKER_MODULE, str(theirs.fileno()), json.dumps(config)]
            # Its own session: a Ctrl-C on the server's terminal reaches the server, which then stops
            # its query processes.
            self.process = subprocess.Popen(argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                            start_new_session=True, env=_child_env())
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        if not self.conn.poll(timeout):
            raise PoolError(503, "Query engine unavailable", "The query engine did not start in time; try again.")
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            message = {"ready": False, "error": f"exit code {self.process.poll()}"}
        if not message.get("ready"):
            log.error("SPARQL query process failed to start: %s", message.get("error"))
            raise PoolError(503, "Query engine unavailable", "The query engine could not start; the error was logged.")
        self.ready = True

    def exit_code(self, wait: float) -> int | None:
        try:
            return self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        with suppress(Exception):
            self.conn.close()
        with suppress(Exception):
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=10)


def death(code: int | None, settings: PoolSettings) -> PoolError:
    """What the exit status of a query process that ended while answering says happened."""
    limit = f" ({settings.memory // (1024 * 1024)} MiB)" if settings.memory else ""
    if code is not None and code < 0:
        number = -code
        if number == getattr(signal, "SIGXCPU", 24):
            return PoolError(504, "Query time limit exceeded",
                             f"The query used more CPU time than it may and was stopped. {NARROW}",
                             outcome="cpu_time", time_limit_seconds=settings.timeout, cause="cpu-time")
        if number == signal.SIGABRT:  # an allocation past the address-space limit aborts the engine
            return PoolError(503, "Query needs too much memory",
                             f"The query process was stopped while answering because the query needed more "
                             f"memory than a query may use{limit}. {NARROW}", outcome="memory_killed",
                             cause="memory")
        if number == signal.SIGKILL:  # not this pool's doing (its time limit is said above): the OOM killer or a person
            return PoolError(503, "Query process killed",
                             f"The query process was killed while answering (SIGKILL: by the kernel's out-of-memory "
                             f"killer, when the query needed more memory than the machine could give, or by an "
                             f"operator); it has been replaced. Try again; if it happens again, {NARROW[0].lower()}"
                             f"{NARROW[1:]}", outcome="memory_killed", cause="killed")
        name = signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
        return PoolError(500, "Query engine crashed",
                         f"The query engine crashed ({name}) while answering this query; the crash was logged. "
                         "Try a simpler form of the query.", outcome="crashed", cause="crash", signal=name)
    return PoolError(500, "Query engine ended",
                     f"The query process ended while answering (exit code {code}); this was logged. Try again.",
                     outcome="ended", cause="exit")


def _outcome(reply: dict) -> str:
    """The outcome (:data:`OUTCOMES`) of a query the worker answered: its reply's status."""
    status = int(reply.get("status") or 500)
    if status == 200:
        return "answered"
    if status == 503:  # the worker's one 503: the engine's allocation failed (kg.sparql.worker)
        return "memory"
    return "refused" if status < 500 else "failed"


def _tell(outcome: str, seconds: float) -> None:
    for observer in OBSERVERS:
        try:
            observer(outcome, seconds)
        except Exception:  # counting must never change an answer
            log.exception("a SPARQL pool observer failed")


class QueryPool:
    """A few query processes shared by the request threads of one API process."""

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._workers: set[Worker] = set()
        self._spawner: ThreadPoolExecutor | None = None
        self._pid: int | None = None
        self._closed = False
        self._at_exit = False

    @property
    def cpu_seconds(self) -> float:
        """The CPU budget a query process gives itself per query: a backstop behind the wall-clock limit."""
        return 2 * self.settings.timeout + 5

    def _spawn(self) -> None:  # holding the lock
        assert self._spawner is not None
        worker = self._spawner.submit(Worker, self.settings, self.cpu_seconds).result()
        self._workers.add(worker)
        self._idle.put(worker)

    def _ensure_started(self) -> None:
        if self._pid == os.getpid() and not self._closed:  # started in this process: no lock to take
            return
        with self._lock:
            if self._closed:
                raise PoolError(503, "Query engine unavailable", "The server is shutting down.")
            if self._pid == os.getpid():
                return
            # First use in this process (or a fork inherited a pool whose processes belong to the parent).
            self._idle = queue.Queue()
            self._workers = set()
            self._spawner = ThreadPoolExecutor(1, thread_name_prefix="osteokg-sparql-spawner")
            for _ in range(max(1, self.settings.workers)):
                self._spawn()
            self._pid = os.getpid()
            if not self._at_exit:
                atexit.register(self.close)
                self._at_exit = True

    def start(self) -> None:
        """Start the query processes now, without waiting for them (they open the store while the caller goes
        on; the first query waits for its process only if it is not ready yet)."""
        self._ensure_started()

    @property
    def started(self) -> bool:
        """True once this process has started the pool's query processes."""
        return self._pid == os.getpid() and not self._closed

    def warm(self) -> None:
        """Start the query processes and wait until each has loaded its graph (before the pool is used: a new
        release's pool is warmed before the release is served)."""
        self._ensure_started()
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.wait_ready(STARTUP_TIMEOUT)

    def _replace(self, worker: Worker) -> None:
        worker.stop()
        with self._lock:
            self._workers.discard(worker)
            if not self._closed and self._pid == os.getpid():
                self._spawn()

    def _take(self) -> Worker:
        timeout = self.settings.timeout
        try:
            return self._idle.get_nowait()  # a free process: no wait (and no timed wait's bookkeeping)
        except queue.Empty:
            pass
        try:
            return self._idle.get(timeout=max(timeout, 1.0))
        except queue.Empty:
            raise PoolError(503, "Query engine busy",
                            "Every query process is busy with other queries; try again shortly.",
                            {"Retry-After": str(max(1, math.ceil(timeout)))}, outcome="busy") from None

    def run(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        """Answer one query: the worker's reply (``status`` 200 with ``body``, or a problem); its outcome is told to
        the :data:`OBSERVERS`. The seconds it spent in a query process (not waiting for a free one) are
        :func:`query_seconds` after, in the same thread."""
        _RAN.seconds = 0.0
        started, outcome = time.perf_counter(), "unavailable"
        try:
            reply = self._run(text, results_format, graph_format)
            outcome = _outcome(reply)
            return reply
        except PoolError as error:
            outcome = error.outcome
            raise
        finally:
            if OBSERVERS:
                _tell(outcome, time.perf_counter() - started)

    def _run(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        self._ensure_started()
        try:
            return self._run_once(text, results_format, graph_format)
        except _DiedIdle:
            log.warning("SPARQL query process had ended while idle; running the query on a fresh one")
        try:
            return self._run_once(text, results_format, graph_format)
        except _DiedIdle:
            raise PoolError(503, "Query engine unavailable",
                            "The query processes keep ending before they answer; this was logged. Try again.") from None

    def _run_once(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        timeout = self.settings.timeout
        worker = self._take()
        healthy, began = False, time.perf_counter()
        try:
            worker.wait_ready(STARTUP_TIMEOUT)
            began = time.perf_counter()  # from here the query holds the process (a fresh one's loading is not its)
            if worker.process.poll() is not None:
                raise _DiedIdle
            try:
                worker.conn.send_bytes(framing.request(text, results_format, graph_format))
            except OSError:
                raise _DiedIdle from None
            if not worker.conn.poll(timeout):
                log.info("SPARQL query stopped after %s s", timeout)
                raise PoolError(504, "Query time limit exceeded",
                                f"The query ran longer than the time limit of {timeout:g} s and was stopped. {NARROW}",
                                outcome="timeout", time_limit_seconds=timeout)
            reply = framing.read_reply(worker.conn.recv_bytes())
            healthy = not reply.get("retire")
            return reply
        except (EOFError, OSError):
            code = worker.exit_code(wait=2)
            log.warning("SPARQL query process ended while answering (exit code %s)", code)
            raise death(code, self.settings) from None
        finally:
            _RAN.seconds = getattr(_RAN, "seconds", 0.0) + (time.perf_counter() - began)
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)

    def close(self) -> None:
        """Stop every query process (at exit, or when an app is discarded)."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
            owned = self._pid == os.getpid()
            spawner, self._spawner = self._spawner, None
        if owned:
            for worker in workers:
                worker.stop()
            if spawner is not None:
                spawner.shutdown(wait=False)
