"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: the query operation, read-only, over one fixed dataset.

Requests
    ``GET /sparql?query=…``, ``POST`` ``application/x-www-form-urlencoded`` with ``query=…``, or ``POST``
    ``application/sparql-query`` with the query as the body. Without a query, ``GET`` (or ``POST``) answers
    with a SPARQL 1.1 Service Description of the endpoint.

Answers, negotiated by ``Accept`` (q-values honoured; no ``Accept`` or ``*/*`` → the first listed)
    SELECT, ASK: ``application/sparql-results+json`` (alias ``application/json``),
    ``application/sparql-results+xml`` (aliases ``application/xml``, ``text/xml``), ``text/csv``,
    ``text/tab-separated-values``.
    CONSTRUCT, DESCRIBE and the service description: ``text/turtle``, ``application/n-triples``,
    ``application/ld+json``, ``application/rdf+xml``.

Refusals, all ``application/problem+json`` with a detail that says what to change
    400  malformed query (the parser's message), an empty or repeated ``query``, an update (as ``query=``
         or ``update=``: SPARQL Update is not offered), ``SERVICE`` (federation is not offered), a
         dataset (``default-graph-uri``/``named-graph-uri`` or ``FROM``/``FROM NAMED``: the dataset is
         fixed, one default graph).
    406  none of the formats above is acceptable (e.g. ``text/csv`` for a CONSTRUCT).
    413  a POSTed query (body) over ``MAX_CONTENT_LENGTH``.
    414  a GET query string over ``SPARQL_MAX_QUERY_STRING`` bytes (default 32 KiB, below the HTTP
         server's own 64 KiB URI limit; send a long query with POST instead).
    415  a POST body of another type; ``application/sparql-update`` says that updates are not offered.
    422  the answer would hold more than ``SPARQL_MAX_ROWS`` rows (SELECT) or triples (CONSTRUCT,
         DESCRIBE). The answer is refused, not truncated: a silently cut list is worse than an error
         for clinical reference data. Page with ``LIMIT``/``OFFSET`` instead.
    503  the query processes are all busy (with ``Retry-After``), or a query process ended while
         answering (most likely the query needed more than ``SPARQL_MAX_MEMORY`` bytes).
    504  the query ran longer than ``SPARQL_TIMEOUT`` seconds and was stopped.

Query processes
    pyoxigraph cannot interrupt a running query and holds the GIL while evaluating it, so endpoint
    queries never run in the API process. Each API process keeps a small pool (``SPARQL_WORKERS``) of
    query processes, started lazily on the first ``/sparql`` request. Each is a fresh interpreter
    (spawned, never forked: the API process has threads; and unlike multiprocessing's "spawn" it does
    not re-import the server's ``__main__``) that loads ``BUILD_DIR/osteokg.nt`` into its own in-memory
    store once, then answers one request at a time over a socket pair (``multiprocessing.connection``
    framing): it checks, runs, counts and serializes, and sends back the bytes. The request thread
    waits for the answer at most ``SPARQL_TIMEOUT`` seconds; on time-out it kills that process, starts
    a replacement (which loads in the background) and answers 504. The other processes, and every
    other route, keep serving. A request waits at most ``SPARQL_TIMEOUT`` seconds for a free process
    (then 503). The pool is thread-safe, shut down at exit (``atexit``), and started afresh in a forked
    child. A query process also ends by itself when the API process is gone (end of file on its pipe).

    A query process also confines itself once loaded: no core files, an address-space limit
    (``SPARQL_MAX_MEMORY`` bytes on top of the loaded process, default 1 GiB; a runaway ORDER BY
    otherwise takes about 1 GB a second, and then the kernel stops the process: 503), a
    CPU-time budget per query (so it ends itself even if the API process died), and no new file
    descriptors at all (``RLIMIT_NOFILE``): it cannot open a socket, so even a query that got past the
    SERVICE check could not connect anywhere.

Checks before execution
    The text is first normalized as SPARQL says (``\\u``/``\\U`` code-point escapes expanded) and line
    ends are made ``\\n`` (a bare ``\\r`` ends a comment for oxigraph but not for rdflib's parser; the
    normalization makes the two parsers see the same comments; a raw CR inside a long string literal
    becomes LF). A text that mentions ``service`` or ``from`` anywhere (case-folded) is parsed with
    rdflib's SPARQL grammar and refused when the parse tree holds a ``ServiceGraphPattern`` or a
    ``DatasetClause``; a SERVICE keyword inside a string or a comment is not one. Other texts cannot
    hold either clause, so they go straight to pyoxigraph, whose parser rejects updates (its ``query``
    runs queries only); the rdflib update grammar is then only used to say "updates are not offered"
    instead of a bare syntax error. Parse verdicts are cached per process.
"""
from __future__ import annotations

import atexit
import functools
import itertools
import json
import logging
import math
import os
import queue
import re
import threading
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import pyoxigraph
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import Problem, problem
from api.graph import served

bp = Blueprint("sparql", __name__)
log = logging.getLogger("osteokg.api.sparql")

EXTENSION = "osteokg.sparql"
DEFAULT_QUERY_BYTES = 64 * 1024
DEFAULT_QUERY_STRING = 32 * 1024  # SPARQL_MAX_QUERY_STRING: bytes of a GET query string
DEFAULT_MEMORY = 1024 * 1024 * 1024  # SPARQL_MAX_MEMORY: address space a query may add to its process
STARTUP_TIMEOUT = 60.0  # seconds a new query process may take to load the graph

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# Accepted media type → format; the first entry of each table is the default.
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
}
# format → (Content-Type of the answer, pyoxigraph format)
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", pyoxigraph.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", pyoxigraph.QueryResultsFormat.XML),
    "csv": ("text/csv; charset=utf-8", pyoxigraph.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values; charset=utf-8", pyoxigraph.QueryResultsFormat.TSV),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle; charset=utf-8", pyoxigraph.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", pyoxigraph.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML),
}
PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "obo": "http://purl.obolibrary.org/obo/",
    "osteokg": "https://w3id.org/osteokg/",
}
PREFIXED = {"turtle", "rdfxml"}  # formats that use the prefixes above

NARROW = ("Narrow the query: give subjects or predicates as IRIs instead of variables, join the patterns "
          "on shared variables (no cross products), add LIMIT, and avoid ORDER BY over large results.")


# ----------------------------------------------------------------------------------------------------
# The query process (runs in a spawned child; nothing here touches Flask)
# ----------------------------------------------------------------------------------------------------

class _Refusal(Exception):
    """A request the query process will not answer: becomes a problem reply."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    def reply(self, retire: bool = False) -> dict:
        return {"status": self.status, "title": self.title, "detail": self.detail, "extra": self.extra,
                "retire": retire}


def _malformed(detail: str) -> _Refusal:
    return _Refusal(400, "Malformed query", detail)


def _read_only() -> _Refusal:
    return _Refusal(400, "Updates are not offered",
                    "This endpoint is read-only: it answers SPARQL 1.1 queries (SELECT, ASK, CONSTRUCT, "
                    "DESCRIBE); SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, …) is not offered.")


def _no_service() -> _Refusal:
    return _Refusal(400, "SERVICE is not offered",
                    "This endpoint does not query other endpoints: remove the SERVICE clause and send "
                    "that part of the query to the other endpoint yourself.")


def _fixed_dataset(where: str) -> _Refusal:
    return _Refusal(400, "The dataset is fixed",
                    f"This endpoint serves one fixed dataset (the osteokg graph as its default graph, no "
                    f"named graphs); remove {where} and the query runs over that graph.")


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _normalize(text: str) -> str:
    """Expand code-point escapes (SPARQL 1.1 §19.2) and make every line end ``\\n``."""

    def expand(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _malformed(f"The escape {match.group(0)} is not a Unicode scalar value.")
        return chr(code)

    if "\\" in text:
        text = _ESCAPE.sub(expand, text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _component_names(tree: object) -> set[str]:
    """The names of every rule component (``CompValue``) anywhere in an rdflib parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    names: set[str] = set()
    seen: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            names.add(node.name)
            stack.extend(dict.values(node))
        elif isinstance(node, ParseResults):
            stack.extend(list(node))
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)
    return names


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import UpdateUnit

    try:
        UpdateUnit.parse_string(text, parse_all=True)
    except Exception:  # noqa: BLE001 - anything but a clean parse means "not an update"
        return False
    return True


@functools.lru_cache(maxsize=256)
def _inspect(text: str) -> tuple | None:
    """Parse ``text`` with rdflib's grammar: None if it may run, else the refusal (status, title, detail)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import Query

    try:
        tree = Query.parse_string(text, parse_all=True)
    except ParseBaseException as error:
        if _is_update(text):
            refusal = _read_only()
        else:
            refusal = _malformed(f"The query is not valid SPARQL 1.1: {error}")
        return refusal.status, refusal.title, refusal.detail
    except RecursionError:
        refusal = _malformed("The query is nested too deeply to be checked.")
        return refusal.status, refusal.title, refusal.detail
    except Exception:  # noqa: BLE001 - a grammar action failed: say so without its internals
        refusal = _malformed("The query could not be parsed as SPARQL 1.1.")
        return refusal.status, refusal.title, refusal.detail
    names = _component_names(tree)
    if "ServiceGraphPattern" in names:
        refusal = _no_service()
    elif "DatasetClause" in names:
        refusal = _fixed_dataset("FROM / FROM NAMED")
    else:
        return None
    return refusal.status, refusal.title, refusal.detail


def _term_json(term: object) -> dict:
    """One RDF term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, pyoxigraph.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            direction = getattr(term, "direction", None)
            if direction is not None:
                out["its:dir"] = str(direction)
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, pyoxigraph.Triple):
        return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                            "predicate": _term_json(term.predicate),
                                            "object": _term_json(term.object)}}
    raise TypeError(f"unexpected term {type(term).__name__}")


def _not_acceptable(form: str, formats: dict) -> _Refusal:
    return _Refusal(406, "Not Acceptable",
                    f"The answer to {form} can be given as "
                    f"{', '.join(media.split(';')[0] for media, _ in formats.values())}; "
                    "none of them is in the Accept header.")


def _too_many(count: int, what: str) -> _Refusal:
    return _Refusal(422, "Answer too large",
                    f"The answer would hold more than {count} {what}, the most this endpoint returns. "
                    f"Page through it with LIMIT {count} and OFFSET (with ORDER BY for a stable order), "
                    "or narrow the query.", limit=count)


class _Engine:
    """What a query process holds: the store and the row cap."""

    def __init__(self, nt_path: str, max_rows: int) -> None:
        self.store = pyoxigraph.Store()
        self.store.bulk_load(path=nt_path, format=pyoxigraph.RdfFormat.N_TRIPLES)
        self.max_rows = max_rows

    def answer(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        try:
            return self._answer(text, results_format, graph_format)
        except _Refusal as refusal:
            return refusal.reply()
        except MemoryError:
            return _Refusal(503, "Query needs too much memory",
                            f"The query needed more memory than a query may use. {NARROW}").reply(retire=True)
        except RecursionError:
            return _malformed("The query is nested too deeply.").reply()
        except Exception:  # noqa: BLE001 - logged here; the client gets no internals
            log.exception("SPARQL query failed")
            return _Refusal(500, "Internal Server Error",
                            "The query could not be evaluated; the error was logged.").reply()

    def _answer(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        text = _normalize(text)
        folded = text.casefold()
        if "service" in folded or "from" in folded:
            verdict = _inspect(text)
            if verdict is not None:
                raise _Refusal(*verdict)
        try:
            result = self.store.query(text)
        except SyntaxError as error:
            if _is_update(text):
                raise _read_only() from None
            raise _malformed(f"The query is not valid SPARQL: {error}") from None
        except UnicodeEncodeError:
            raise _malformed("The query holds a character that is not a Unicode scalar value.") from None

        if isinstance(result, pyoxigraph.QueryBoolean):
            if results_format is None:
                raise _not_acceptable("an ASK query", RESULT_FORMATS)
            media, fmt = RESULT_FORMATS[results_format]
            return _ok(media, result.serialize(format=fmt))

        if isinstance(result, pyoxigraph.QuerySolutions):
            if results_format is None:
                raise _not_acceptable("a SELECT query", RESULT_FORMATS)
            variables = [variable.value for variable in result.variables]
            rows = list(itertools.islice(result, self.max_rows + 1))
            if len(rows) > self.max_rows:
                raise _too_many(self.max_rows, "rows")
            document = {"head": {"vars": variables}, "results": {"bindings": [
                {name: _term_json(term) for name, term in zip(variables, row) if term is not None}
                for row in rows]}}
            body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            media, fmt = RESULT_FORMATS[results_format]
            if results_format != "json":  # pyoxigraph writes XML, CSV and TSV from the capped rows
                body = pyoxigraph.parse_query_results(body, pyoxigraph.QueryResultsFormat.JSON).serialize(format=fmt)
            return _ok(media, body)

        if graph_format is None:
            raise _not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_FORMATS)
        triples = list(itertools.islice(result, self.max_rows + 1))
        if len(triples) > self.max_rows:
            raise _too_many(self.max_rows, "triples")
        media, fmt = GRAPH_FORMATS[graph_format]
        prefixes = PREFIXES if graph_format in PREFIXED else None
        return _ok(media, pyoxigraph.serialize(triples, format=fmt, prefixes=prefixes))

    def warm_up(self) -> None:
        """Run every code path once, so that nothing is imported lazily after the process is confined."""
        probes = [
            ("SELECT * WHERE { ?s ?p ?o } LIMIT 2", list(RESULT_FORMATS), [None]),
            ("SELECT * WHERE { ?s ?p ?o } LIMIT 2 # service, from", ["json"], [None]),
            ("ASK { ?s ?p ?o }", list(RESULT_FORMATS), [None]),
            ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", [None], list(GRAPH_FORMATS)),
            ("SELECT * { SERVICE <urn:x> { ?s ?p ?o } }", ["json"], [None]),
            ("SELECT * FROM <urn:x> { ?s ?p ?o }", ["json"], [None]),
            ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", ["json"], [None]),
            ("SELEC * {}", ["json"], [None]),
            ("SELECT * { ?s ?p \"\\u00e9\" }", [None], [None]),
        ]
        for text, results_formats, graph_formats in probes:
            for results_format in results_formats:
                for graph_format in graph_formats:
                    self.answer(text, results_format, graph_format)
        json.dumps(_Refusal(400, "t", "d").reply())
        _inspect.cache_clear()


def _ok(media: str, body: bytes) -> dict:
    return {"status": 200, "content_type": media, "body": body}


def _confine(memory: int | None) -> None:
    """Limit this process: no core files, bounded address space, no new file descriptors."""
    try:
        import resource
    except ImportError:  # not a POSIX system: run unconfined
        return

    def lower(kind: int, soft: int, hard: int) -> None:
        try:
            _, current_hard = resource.getrlimit(kind)
            if current_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, current_hard), min(hard, current_hard)
            resource.setrlimit(kind, (soft, hard))
        except (ValueError, OSError) as error:
            log.warning("could not set resource limit %s: %s", kind, error)

    lower(resource.RLIMIT_CORE, 0, 0)
    if memory:  # on top of what the loaded process already maps (which varies with the machine)
        limit = _address_space() + memory
        lower(resource.RLIMIT_AS, limit, limit)
    # The lowest free descriptor number becomes the limit: any new descriptor (a socket, a file)
    # would be at least that number, so none can be made. The pipe to the API process stays open.
    lowest = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest)
    lower(resource.RLIMIT_NOFILE, lowest, lowest)


def _address_space() -> int:
    """Bytes of address space this process maps now (Linux); 0 when unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_budget(seconds: float) -> None:
    """Let the next query use at most ``seconds`` more CPU time before the kernel ends this process."""
    try:
        import resource
    except ImportError:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    with suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _worker_main(conn, nt_path: str, max_rows: int, memory: int | None, cpu_seconds: float) -> None:
    """Serve one pipe: load and confine once, then answer until told to stop or the API process is gone."""
    try:
        engine = _Engine(nt_path, max_rows)
        engine.warm_up()
        _confine(memory)
    except BaseException as error:  # noqa: BLE001 - report why, then end
        with suppress(Exception):
            conn.send({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return
    conn.send({"ready": True})
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the API process is gone
        if message is None:
            return
        _cpu_budget(cpu_seconds)
        reply = engine.answer(*message)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        if reply.get("retire"):
            return


# A query process is a fresh interpreter (``python -c``) that gets the API process's sys.path and the
# number of its end of a socket pair; unlike multiprocessing's "spawn" it does not re-import the
# API process's __main__ module, and it runs in its own session (a Ctrl-C on the server's terminal
# reaches the server, which then stops its query processes).
_BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
         "from api.sparql import _child_main; _child_main(sys.argv[2:])")


def _child_main(argv: list[str]) -> None:
    from multiprocessing.connection import Connection

    fd, nt_path, max_rows, memory, cpu_seconds = argv
    conn = Connection(int(fd))
    try:
        _worker_main(conn, nt_path, int(max_rows), int(memory) or None, float(cpu_seconds))
    finally:
        with suppress(OSError):
            conn.close()


# ----------------------------------------------------------------------------------------------------
# The pool (in the API process)
# ----------------------------------------------------------------------------------------------------

class PoolError(Exception):
    """The pool could not answer: becomes a problem response."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers, self.extra = status, title, detail, headers, extra


class _Worker:
    """One query process and the API process's end of its socket pair."""

    def __init__(self, settings: PoolSettings, cpu_seconds: float) -> None:
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        try:
            argv = [sys.executable, "-c", _BOOT, json.dumps(sys.path), str(theirs.fileno()), settings.nt_path,
                    str(settings.max_rows), str(settings.memory or 0), repr(cpu_seconds)]
            self.process = subprocess.Popen(argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                            start_new_session=True)
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
        import subprocess

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


@dataclass
class PoolSettings:
    nt_path: str
    workers: int
    timeout: float
    max_rows: int
    memory: int | None


class QueryPool:
    """A few query processes shared by the request threads of one API process."""

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._pid: int | None = None
        self._closed = False
        self._at_exit = False

    @property
    def cpu_seconds(self) -> float:
        """The CPU budget a query process gives itself per query: a backstop behind the wall-clock limit."""
        return 2 * self.settings.timeout + 5

    def _spawn(self) -> None:  # holding the lock
        worker = _Worker(self.settings, self.cpu_seconds)
        self._workers.add(worker)
        self._idle.put(worker)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._closed:
                raise PoolError(503, "Query engine unavailable", "The server is shutting down.")
            if self._pid == os.getpid():
                return
            # First use in this process (or a fork inherited a pool whose processes belong to the parent).
            self._idle = queue.Queue()
            self._workers = set()
            for _ in range(max(1, self.settings.workers)):
                self._spawn()
            self._pid = os.getpid()
            if not self._at_exit:
                atexit.register(self.close)
                self._at_exit = True

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._workers.discard(worker)
            if not self._closed and self._pid == os.getpid():
                self._spawn()

    def run(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        """Answer one query: the worker's reply (``status`` 200 with ``body``, or a problem)."""
        self._ensure_started()
        timeout = self.settings.timeout
        try:
            worker = self._idle.get(timeout=max(timeout, 1.0))
        except queue.Empty:
            raise PoolError(503, "Query engine busy",
                            "Every query process is busy with other queries; try again shortly.",
                            {"Retry-After": str(max(1, math.ceil(timeout)))}) from None
        healthy = False
        try:
            worker.wait_ready(STARTUP_TIMEOUT)
            worker.conn.send((text, results_format, graph_format))
            if not worker.conn.poll(timeout):
                log.info("SPARQL query stopped after %s s", timeout)
                raise PoolError(504, "Query time limit exceeded",
                                f"The query ran longer than the time limit of {timeout:g} s and was stopped. {NARROW}",
                                time_limit_seconds=timeout)
            reply = worker.conn.recv()
            healthy = not reply.get("retire")
            return reply
        except (EOFError, OSError):
            raise self._lost(worker) from None
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)

    def _lost(self, worker: _Worker) -> PoolError:
        """The query process ended while answering: say why, as far as its exit code tells."""
        import signal

        code = worker.exit_code(wait=2)
        log.warning("SPARQL query process ended while answering (exit code %s)", code)
        if code == -getattr(signal, "SIGXCPU", 24):
            return PoolError(504, "Query time limit exceeded",
                             f"The query used more CPU time than it may and was stopped. {NARROW}",
                             time_limit_seconds=self.settings.timeout)
        limit = f" ({self.settings.memory // (1024 * 1024)} MiB)" if self.settings.memory else ""
        return PoolError(503, "Query needs too much memory",
                         f"The query process ended while answering, most likely because the query needed "
                         f"more memory than a query may use{limit}. {NARROW}")

    def close(self) -> None:
        """Stop every query process (at exit, or when an app is discarded)."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
            owned = self._pid == os.getpid()
        if owned:
            for worker in workers:
                worker.stop()


def _settings(app: Flask) -> PoolSettings:
    from pathlib import Path

    config = app.config
    memory = config.get("SPARQL_MAX_MEMORY", DEFAULT_MEMORY)
    return PoolSettings(
        nt_path=str(Path(config["BUILD_DIR"]) / "osteokg.nt"),
        workers=int(config.get("SPARQL_WORKERS", 2)),
        timeout=max(0.1, float(config.get("SPARQL_TIMEOUT", 10.0))),
        max_rows=int(config.get("SPARQL_MAX_ROWS", 10_000)),
        memory=int(memory) if memory else None,
    )


def init_app(app: Flask) -> None:
    """Attach an (unstarted) query pool to ``app``; its processes start on the first query."""
    app.extensions[EXTENSION] = QueryPool(_settings(app))


def shutdown(app: Flask) -> None:
    """Stop ``app``'s query processes now (they are also stopped at exit)."""
    pool = app.extensions.get(EXTENSION)
    if pool is not None:
        pool.close()


# ----------------------------------------------------------------------------------------------------
# The HTTP side
# ----------------------------------------------------------------------------------------------------

def _query_limit() -> int:
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_QUERY_BYTES)


def _query_string_limit() -> int:
    """Bytes a GET query string may hold: below the HTTP server's own URI limit (hyper, under granian,
    refuses URIs from 64 KiB with a bare 414), so that a client gets this endpoint's explanation."""
    return min(_query_limit(), int(current_app.config.get("SPARQL_MAX_QUERY_STRING", DEFAULT_QUERY_STRING)))


def _negotiate(table: dict[str, str]) -> str | None:
    """The format for the best acceptable media type of ``table`` (the first when Accept says nothing)."""
    if not request.headers.get("Accept", "").strip():
        return next(iter(table.values()))
    match = request.accept_mimetypes.best_match(list(table))
    return table[match] if match else None


def _parameters() -> tuple[MultiDict, str | None]:
    """The protocol parameters and, for a ``application/sparql-query`` POST, the query in the body."""
    limit = _query_limit()
    if request.method != "POST":
        if len(request.query_string) > _query_string_limit():
            raise Problem(414, "URI Too Long",
                          f"The query string is longer than {_query_string_limit()} bytes; send a long query "
                          f"with POST (Content-Type: {SPARQL_QUERY}).")
        return request.args, None
    mimetype = request.mimetype
    try:
        if mimetype == FORM:
            return CombinedMultiDict([request.form, request.args]), None
        if mimetype == SPARQL_QUERY:
            body = request.get_data(cache=False)
            charset = request.mimetype_params.get("charset", "utf-8")
            try:
                text = body.decode(charset)
            except (LookupError, UnicodeDecodeError):
                raise Problem(400, "Malformed query",
                              "The body could not be read as text in its charset; send the query as UTF-8.") from None
            if "query" in request.args:
                raise Problem(400, "Malformed query", "Give the query once: in the body or as query=, not both.")
            return request.args, text
    except RequestEntityTooLarge:
        raise Problem(413, "Content Too Large",
                      f"The request body is larger than {limit} bytes, the largest query this endpoint takes.") from None
    if mimetype == SPARQL_UPDATE:
        raise Problem(415, "Updates are not offered",
                      "This endpoint is read-only: SPARQL Update is not offered. Queries are POSTed as "
                      f"{SPARQL_QUERY} or {FORM}.")
    if not mimetype and not request.content_length:
        return request.args, None  # an empty POST: like a GET without a query
    raise Problem(415, "Unsupported Media Type",
                  f"POST the query as {SPARQL_QUERY} (the body is the query) or as {FORM} (query=…).")


def _read_query() -> str | None:
    """The query text of this request, None when there is none; refusals raise ``Problem``."""
    params, body = _parameters()
    if "update" in params:
        raise Problem(400, "Updates are not offered", _read_only().detail)
    for name in ("default-graph-uri", "named-graph-uri"):
        if name in params:
            raise Problem(400, "The dataset is fixed", _fixed_dataset(f"the {name} parameter").detail)
    queries = params.getlist("query")
    if body is not None:
        queries = [body]
    if not queries:
        return None
    if len(queries) > 1:
        raise Problem(400, "Malformed query", "Give exactly one query parameter.")
    text = queries[0]
    if not text.strip():
        raise Problem(400, "Malformed query", "The query is empty.")
    limit = _query_limit()
    if len(text.encode("utf-8", "surrogatepass")) > limit:
        raise Problem(413, "Content Too Large", f"The query is longer than {limit} bytes, the longest this endpoint takes.")
    return text


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """SPARQL 1.1 Protocol, query operation; without a query, the service description."""
    text = _read_query()
    if text is None:
        return _service_description()
    results_format, graph_format = _negotiate(RESULT_TYPES), _negotiate(GRAPH_TYPES)
    if results_format is None and graph_format is None:
        offered = ", ".join(media.split(";")[0] for media, _ in [*RESULT_FORMATS.values(), *GRAPH_FORMATS.values()])
        return problem(406, "Not Acceptable", f"Answers are given as {offered}; none of them is in the Accept header.")
    pool: QueryPool = current_app.extensions[EXTENSION]
    try:
        reply = pool.run(text, results_format, graph_format)
    except PoolError as error:
        return problem(error.status, error.title, error.detail, error.headers, **error.extra)
    if reply["status"] != 200:
        return problem(reply["status"], reply["title"], reply["detail"], **reply.get("extra", {}))
    return Response(reply["body"], status=200, content_type=reply["content_type"])


SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SD_RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                     "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]
SD_PREFIXES = {"sd": SD, "formats": FORMATS, "void": VOID, "dcterms": DCTERMS,
               "rdfs": PREFIXES["rdfs"], "xsd": PREFIXES["xsd"]}


def _service_description() -> Response:
    """SPARQL 1.1 Service Description of this endpoint, built as triples (never as text)."""
    fmt = _negotiate(GRAPH_TYPES)
    if fmt is None:
        offered = ", ".join(media.split(";")[0] for media, _ in GRAPH_FORMATS.values())
        return problem(406, "Not Acceptable", f"The service description is given as {offered}; "
                       "none of them is in the Accept header.")
    try:
        service = pyoxigraph.NamedNode(request.base_url)
    except ValueError:
        return problem(400, "Bad Request", "The request's host does not make a valid IRI for this endpoint.")
    config = current_app.config
    nn, lit = pyoxigraph.NamedNode, pyoxigraph.Literal
    a = nn(RDF_TYPE)
    dataset, graph = pyoxigraph.BlankNode(), pyoxigraph.BlankNode()
    timeout, max_rows = float(config.get("SPARQL_TIMEOUT", 10.0)), int(config.get("SPARQL_MAX_ROWS", 10_000))
    triples = [
        (service, a, nn(SD + "Service")),
        (service, nn(SD + "endpoint"), service),
        (service, nn(SD + "supportedLanguage"), nn(SD + "SPARQL11Query")),
        *((service, nn(SD + "resultFormat"), nn(FORMATS + name)) for name in SD_RESULT_FORMATS),
        (service, nn(SD + "defaultEntailmentRegime"), nn("http://www.w3.org/ns/entailment/Simple")),
        (service, nn(DCTERMS + "title"), lit("osteokg SPARQL endpoint", language="en")),
        (service, nn(PREFIXES["rdfs"] + "comment"), lit(
            f"Read-only SPARQL 1.1 query endpoint over the osteokg graph (inferences materialized at build "
            f"time). No SPARQL Update, no SERVICE, one fixed dataset. A query may run {timeout:g} s and "
            f"return {max_rows} rows or triples.", language="en")),
        (service, nn(SD + "defaultDataset"), dataset),
        (dataset, a, nn(SD + "Dataset")),
        (dataset, nn(SD + "defaultGraph"), graph),
        (graph, a, nn(SD + "Graph")),
        (graph, nn(VOID + "triples"), lit(str(served().store.triples()),
                                          datatype=nn(PREFIXES["xsd"] + "integer"))),
    ]
    version = served().manifest.get("version_iri")
    if version:
        with suppress(ValueError):
            triples.append((dataset, nn(DCTERMS + "source"), nn(version)))
    media, rdf_format = GRAPH_FORMATS[fmt]
    body = pyoxigraph.serialize([pyoxigraph.Triple(*t) for t in triples], format=rdf_format,
                                prefixes=SD_PREFIXES if fmt in PREFIXED else None)
    return Response(body, status=200, content_type=media)
