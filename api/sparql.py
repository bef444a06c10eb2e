"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: the query operation, read-only, over one fixed dataset.

This module is HTTP only: it reads the protocol's parameters, negotiates the answer's format, maps
refusals to statuses and describes the service. What a query may do, how answers are written and
how queries run in their own processes is :mod:`kg.sparql` (policy, results, sandbox, worker, pool).

The lean path
    A query that the embedded store answers with 200 is served by :class:`Front`, a small WSGI layer in
    front of Flask for exactly ``GET``/``POST /sparql``: it reads the parameters and the body with this
    module's own functions (the same checks), negotiates from a small cache of ``Accept`` headers, runs the
    query in a query process and writes the status line and headers itself (the headers
    :func:`api.http.finish` gives: CORS, ``X-Osteokg-Release``, and for a GET the ETag, ``Cache-Control``,
    ``Vary`` and ``Date``) around the body the query process serialized. Everything else goes to the Flask
    view below, so every refusal, the service description, conditional requests (``If-None-Match`` …),
    ``HEAD``/``OPTIONS`` and the forwarding to a remote store have one implementation: a refusal found
    before the query ran is found again by the view (the body put back as it was read), one found after
    (the query process's 400, 422, 504 …) is handed to the view in the environ (:data:`OUTCOME`), never run
    twice. ``tests/api/test_sparql.py`` checks that both paths answer alike, header for header.

Query processes
    Each release gets a pool of query processes over its on-disk store (``<release>/oxigraph``, opened
    read-only, shared by every process) or, for a release without one, its N-Triples. A served process
    (``api/wsgi.py``, what ``osteokg serve`` runs) starts them when the app is made (:func:`start`); an app
    made by ``create_app`` alone — the tests make many — starts them on its first query.

A browser
    A request whose ``Accept`` names ``text/html`` and prefers it to every format below (a browser's does;
    ``*/*`` or no ``Accept`` does not) gets the SPARQL editor's page instead (:mod:`api.editor`): without a
    query the editor (``question=<name>`` selects that example question's tab; an unknown name is a 404 page),
    with one the editor and the query's results as an HTML table, run on the same path as below (the query
    processes, with JSON results; N-Triples for a graph), a refusal as a message on the page with the status
    below. :class:`Front` leaves such requests to the view. The page's libraries are served at
    ``/static/vendor`` (:mod:`api.vendor`, registered here).

Requests
    ``GET /sparql?query=…``, ``POST`` ``application/x-www-form-urlencoded`` with ``query=…``, or ``POST``
    ``application/sparql-query`` with the query as the body. Without a query, ``GET`` (or ``POST``) answers
    with a SPARQL 1.1 Service Description of the endpoint, whose ``sd:endpoint`` is ``BASE_URL`` +
    ``sparql`` (the configured public address, never the request's ``Host``). Relative IRIs in a query
    resolve against that endpoint IRI. Parameters and bodies must be UTF-8.

Answers, negotiated by ``Accept`` (q-values honoured; no ``Accept`` or ``*/*`` → the first listed), or chosen by
``format=``/``output=``/``results=`` (a name — json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml — or one of the media types
below; common clients such as SPARQLWrapper send them), which override ``Accept``; any other parameter is a 400
    SELECT, ASK: ``application/sparql-results+json`` (alias ``application/json``),
    ``application/sparql-results+xml`` (aliases ``application/xml``, ``text/xml``), ``text/csv``,
    ``text/tab-separated-values``.
    CONSTRUCT, DESCRIBE and the service description: ``text/turtle``, ``application/n-triples``,
    ``application/ld+json``, ``application/rdf+xml``.

Refusals, all ``application/problem+json`` with a detail that says what to change
    400  malformed query (the parser's message), not UTF-8, an empty or repeated ``query``, an update (as
         ``query=`` or ``update=``), ``SERVICE``, a dataset (``default-graph-uri``/``named-graph-uri`` or
         ``FROM``/``FROM NAMED``), brackets nested deeper than ``kg.sparql.policy.MAX_NESTING`` (64).
    406  none of the formats above is acceptable (e.g. ``text/csv`` for a CONSTRUCT).
    408  a POSTed body that has not arrived within ``BODY_TIMEOUT`` seconds (default 5; ``Connection: close``).
    413  a POSTed body over ``MAX_CONTENT_LENGTH``, however it is framed (``Content-Length`` or chunked):
         an oversized body is refused, never cut short.
    414  a GET query string over ``SPARQL_MAX_QUERY_STRING`` bytes (default 32 KiB, below the HTTP
         server's own 64 KiB URI limit; send a long query with POST instead).
    415  a POST body of another type; ``application/sparql-update`` says that updates are not offered.
    422  the answer would hold more than ``SPARQL_MAX_ROWS`` rows or triples (refused, not truncated); or,
         before it runs, the query's estimated run time is over ``SPARQL_MAX_COST`` times ``SPARQL_TIMEOUT``
         (:mod:`kg.sparql.cost`: a cross product to sort or count, say), with the estimate in the problem.
    500  the query engine crashed on the query (the process is replaced).
    503  the query processes are all busy (with ``Retry-After``), or the query needed more than
         ``SPARQL_MAX_MEMORY`` bytes.
    504  the query ran longer than ``SPARQL_TIMEOUT`` seconds (or its CPU budget) and was stopped.
    429  the client (its address) already has ``SPARQL_CLIENT_QUERIES`` queries running, or has used
         ``SPARQL_CLIENT_SECONDS`` of query time in the last ``SPARQL_CLIENT_WINDOW`` seconds, counted across
         every worker process (:mod:`kg.sparql.limits`), with ``Retry-After``.
"""
from __future__ import annotations

import io
import logging
import math
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pyoxigraph
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.http import (
    HTTP_STATUS_CODES,
    http_date,
    parse_accept_header,
    parse_options_header,
)
from werkzeug.wsgi import get_content_length

from api import editor
from api.errors import Problem, problem
from api.graph import ENVIRON, Served, bound, register, releases_of, served
from api.http import RELEASE_HEADER, VARY, cache_control, etag_of
from api.params import GLOBAL, bad
from kg import settings
from kg.service import Release
from kg.sparql import limits as client_limits
from kg.sparql import policy
from kg.sparql.pool import PoolError, PoolSettings, QueryPool, query_seconds
from kg.sparql.results import (
    GRAPH_FORMATS,
    GRAPH_TYPES,
    PREFIXED,
    PREFIXES,
    RESULT_FORMATS,
    RESULT_TYPES,
    offered,
)
from kg.store import RemoteStore, StoreError, check_syntax
from kg.vocab import LANGUAGES, prefixes

bp = Blueprint("sparql", __name__)
log = logging.getLogger("osteokg.api")

EXTENSION = "osteokg.sparql"
FRONT = "osteokg.sparql.front"  # the app's Front (app.extensions)
LIMITS = "osteokg.sparql.limits"  # the app's per-client Limits (app.extensions; absent: no limit)
SHARE = "osteokg.sparql.share"  # this process's share of its query processes per client (with the Limits)
OUTCOME = "osteokg.sparql.outcome"  # environ: what Front found, for the view to answer (a problem or a reply)
# the defaults are kg.settings' (the one table of OSTEOKG_* settings)
DEFAULT_QUERY_BYTES = settings.default("MAX_CONTENT_LENGTH")
#: the parameters /sparql takes (the protocol's; ``format``/``output``/``results``, which common clients send
#: (SPARQLWrapper sends all three) and which override Accept; the editor page's ``lang`` and ``question``); any other is refused (400) like on
#: every route; ``update`` and the dataset parameters are refused with their own reasons
FORMAT_PARAMETERS = ("format", "output", "results")
PARAMETERS = ("query", *FORMAT_PARAMETERS, "lang", "question", "update", "default-graph-uri", "named-graph-uri")
#: a ``format``/``output`` value → (results format, graph format): a short name or a media type; a name that fits one
#: kind of answer only (csv) leaves the other to Accept
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"), "xml": ("xml", "rdfxml"), "csv": ("csv", None), "tsv": ("tsv", None),
    "turtle": (None, "turtle"), "ttl": (None, "turtle"), "ntriples": (None, "ntriples"), "nt": (None, "ntriples"),
    "jsonld": (None, "jsonld"), "json-ld": (None, "jsonld"), "rdfxml": (None, "rdfxml"),
    **{media: (name, None) for media, name in RESULT_TYPES.items()},
    **{media: (None, name) for media, name in GRAPH_TYPES.items()},
}
DEFAULT_QUERY_STRING = settings.default("SPARQL_MAX_QUERY_STRING")  # bytes of a GET query string
DEFAULT_MEMORY = settings.default("SPARQL_MAX_MEMORY")  # address space a query may add to its process
DEFAULT_BASE_URL = settings.default("BASE_URL")
DEFAULT_BODY_TIMEOUT = settings.default("BODY_TIMEOUT")  # seconds a POSTed body may take to arrive

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UTF8 = {"utf-8", "utf8"}


# ----------------------------------------------------------------------------------------------------
# Settings and the pool
# ----------------------------------------------------------------------------------------------------

def endpoint_iri(config) -> str:
    """The public IRI of this endpoint: ``BASE_URL`` (``OSTEOKG_BASE_URL``) + ``sparql``."""
    base = str(config.get("BASE_URL") or DEFAULT_BASE_URL)
    iri = urllib.parse.urljoin(base if base.endswith("/") else base + "/", "sparql")
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        raise ValueError(f"OSTEOKG_BASE_URL {base!r} does not make a valid IRI for the SPARQL endpoint") from None
    return iri


def _settings(app: Flask, release: Release) -> PoolSettings:
    """The pool's settings for ``release``, from the app's config (:meth:`PoolSettings.for_release`, the one place
    the MCP door also builds them)."""
    return PoolSettings.for_release(release, app.config, endpoint_iri(app.config))


def init_app(app: Flask) -> None:
    """Give each release an (unstarted) query pool over its own graph file, whose processes start on the first
    query; a remote store gets none (its queries are forwarded to it). A new release's pool is warmed before
    it is served when the old one had started, and the old one is stopped when its release is drained."""

    def attach(release: Served) -> None:
        remote = isinstance(release.release.store, RemoteStore)
        release.resources[EXTENSION] = None if remote else QueryPool(_settings(app, release.release))

    def warm(release: Served) -> None:
        pool, old = release.resources.get(EXTENSION), app.extensions.get(EXTENSION)
        if pool is not None and old is not None and old.started:
            pool.warm()

    def close(release: Served) -> None:
        pool = release.resources.get(EXTENSION)
        if pool is not None:
            pool.close()

    def swapped() -> None:
        app.extensions[EXTENSION] = releases_of(app).current.resources.get(EXTENSION)

    from api import (
        vendor,  # the libraries the editor's page (and every page) loads, at /static/vendor
    )

    if vendor.bp.name not in app.blueprints:
        app.register_blueprint(vendor.bp)
    register(app, on_open=attach, on_warm=warm, on_close=close)
    releases_of(app).on_swap.append(swapped)
    swapped()
    front = Front(app.wsgi_app, app)
    app.wsgi_app = front  # type: ignore[method-assign]
    app.extensions[FRONT] = front
    limits = _limits(app.config)
    if limits is not None:
        app.extensions[LIMITS] = limits
        app.extensions[SHARE] = client_limits.Share(int(app.config["SPARQL_WORKERS"]),
                                                    patience=2 * float(app.config["SPARQL_TIMEOUT"]) + 5)


def _limits(config: Any) -> client_limits.Limits | None:
    """The per-client limits the settings ask for (None when both are 0). A ticket older than twice the time limit
    (and a margin) belongs to a process that died, and no longer counts."""
    queries, seconds = int(config["SPARQL_CLIENT_QUERIES"]), float(config["SPARQL_CLIENT_SECONDS"])
    if not queries and not seconds:
        return None
    return client_limits.Limits(Path(config["DATA_DIR"]) / client_limits.FILE, concurrent=queries or 10**9,
                                budget=seconds or math.inf, window=float(config["SPARQL_CLIENT_WINDOW"]),
                                stale=2 * float(config["SPARQL_TIMEOUT"]) + 30)


def admitted(app: Flask, client: str, run: Callable[[], dict], pooled: bool = True) -> dict:
    """``run()`` (a query) once ``client`` is within its limits, charged its time after; PoolError 429 with
    Retry-After when it is not. A limits file that cannot be written lets the query through (logged). A ``pooled``
    query (run by a QueryPool) also waits while the client's own queries hold its share of this process's query
    processes (all but one: :class:`kg.sparql.limits.Share`), and is charged the time it held a query process
    (kg.sparql.pool.query_seconds), not the time it waited: a client is not charged for another client's queries
    holding them all."""
    limits: client_limits.Limits | None = app.extensions.get(LIMITS)
    if limits is None:
        return run()
    try:
        ticket = limits.enter(client)
    except client_limits.Limited as refusal:
        raise _too_many(refusal) from None
    except (OSError, sqlite3.Error) as error:
        log.warning("the SPARQL client limits cannot be counted (%s); the query runs unlimited", error)
        return run()
    ran = False

    def running() -> dict:
        nonlocal ran
        ran = True
        return run()

    try:
        share: client_limits.Share | None = app.extensions.get(SHARE) if pooled else None
        if share is None:
            return running()
        try:
            with share.hold(client):  # never every one of this process's query processes (kg.sparql.limits.Share)
                return running()
        except client_limits.Limited as refusal:
            raise _too_many(refusal) from None
    finally:
        with suppress(OSError, sqlite3.Error):  # charged the time it held a query process, not its wait for one
            limits.leave(ticket, (query_seconds() if ran else 0.0) if pooled else None)


def _too_many(refusal: client_limits.Limited) -> PoolError:
    return PoolError(429, "Too Many Requests", f"{refusal}. Retry after {refusal.retry_after} s, or narrow the query "
                     f"so that it takes less time.", {"Retry-After": str(refusal.retry_after)}, outcome="refused")


def start(app: Flask) -> None:
    """Start the current release's query processes now, without waiting for them (a served process calls this
    when its app is made, so that the first query finds them loaded); later releases are warmed before they
    are served because this one has started."""
    pool = app.extensions.get(EXTENSION)
    if pool is not None:
        pool.start()


def shutdown(app: Flask) -> None:
    """Stop ``app``'s query processes now (they are also stopped at exit)."""
    pool = app.extensions.get(EXTENSION)
    if pool is not None:
        pool.close()


# ----------------------------------------------------------------------------------------------------
# Reading the request
# ----------------------------------------------------------------------------------------------------

def _query_limit(config: Any = None) -> int:
    config = current_app.config if config is None else config
    return int(config.get("MAX_CONTENT_LENGTH") or DEFAULT_QUERY_BYTES)


def _query_string_limit(config: Any = None) -> int:
    """Bytes a GET query string may hold: below the HTTP server's own URI limit (hyper, under granian,
    refuses URIs from 64 KiB with a bare 414), so that a client gets this endpoint's explanation."""
    config = current_app.config if config is None else config
    return min(_query_limit(config), int(config.get("SPARQL_MAX_QUERY_STRING", DEFAULT_QUERY_STRING)))


def _too_large(limit: int) -> Problem:
    return Problem(413, "Content Too Large",
                   f"The request body is larger than {limit} bytes, the largest query this endpoint takes.")


def _body_timeout(config: Any = None) -> float:
    config = current_app.config if config is None else config
    return max(0.1, float(config.get("BODY_TIMEOUT") or DEFAULT_BODY_TIMEOUT))


def _read_by_deadline(stream, limit: int, timeout: float) -> tuple[bytes, int] | None:
    """Up to ``limit + 1`` bytes of ``stream`` and how many there were (more than ``limit``: too
    large), or None when they did not arrive within ``timeout`` seconds.

    granian's ``wsgi.input.read(n)`` blocks until ``n`` bytes have arrived and cannot be interrupted
    (a reader in a helper thread, still waiting after the answer, stalled the whole worker), so the
    body is read a byte at a time from granian's buffer and the deadline is checked between reads: a
    client that trickles its body holds a WSGI thread for ``timeout`` (plus the gap to its next byte)
    and then gets 408; one that sends nothing at all blocks in the read until it disconnects."""
    deadline = time.monotonic() + timeout
    body = bytearray()
    read = stream.read
    while len(body) <= limit:
        if time.monotonic() > deadline:
            return None
        data = read(1)
        if not data:
            break
        body += data
    return bytes(body), len(body)


@bp.before_request
def _buffer_body() -> Response | None:
    """Read a POST body whole, within ``BODY_TIMEOUT`` seconds (else 408) and up to the limit (else 413).

    werkzeug reads a stream of unknown length (chunked) up to ``MAX_CONTENT_LENGTH`` and stops there
    without an error when the body is longer, so an oversized query would run cut short. A body with
    a ``Content-Length`` is checked against the limit before it is read."""
    if request.method != "POST" or OUTCOME in request.environ:
        return None
    try:
        _buffer(request.environ, request.content_length, current_app.config)
    except PoolError as error:
        return _answer(error)
    return None


def _buffer(environ: dict, length: int | None, config: Any) -> bytes | None:
    """Read the POST body of ``environ`` whole (``length``: its Content-Length, None when chunked) and put it
    back as a buffer framed by its length; the body, or None when there is none to read (werkzeug then reads
    none either). ``Problem`` 413 over the limit; ``PoolError`` 408 (``Connection: close``) past the deadline."""
    limit = _query_limit(config)
    if length is not None and length > limit:
        raise _too_large(limit)
    if length is None and "wsgi.input_terminated" not in environ:
        return None  # the server does not end the stream: werkzeug reads no body (safe fallback)
    if length == 0:
        return None
    timeout = _body_timeout(config)
    read = _read_by_deadline(environ["wsgi.input"], limit if length is None else length, timeout)
    if read is None:
        raise PoolError(408, "Request Timeout", f"The request body did not arrive within {timeout:g} s "
                        "(OSTEOKG_BODY_TIMEOUT); send it whole and at once.", {"Connection": "close"})
    body, size = read
    if size > limit:
        raise _too_large(limit)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))  # now framed by its length (werkzeug ignores a length
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # while the request says chunked)
    return body


def _utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "Malformed query", f"The {what} is not UTF-8; send the query as UTF-8.") from None


def _pairs(raw: bytes, what: str) -> MultiDict[str, str]:
    """Form-encoded ``raw`` as parameters, decoded strictly as UTF-8 (werkzeug would replace bad bytes)."""
    pairs: MultiDict[str, str] = MultiDict()
    for field in raw.split(b"&"):
        if not field:
            continue
        name, _, value = field.partition(b"=")
        pairs.add(_utf8(urllib.parse.unquote_to_bytes(name.replace(b"+", b" ")), what),
                  _utf8(urllib.parse.unquote_to_bytes(value.replace(b"+", b" ")), what))
    return pairs


def _parameters(method: str, query_string: bytes, mimetype: str, charset: str, length: int | None,
                body: Callable[[], bytes], config: Any) -> tuple[MultiDict, str | None]:
    """The protocol parameters and, for a ``application/sparql-query`` POST, the query in the body (``body()``
    gives the body's bytes); refusals raise ``Problem``. Shared by the view and :class:`Front`."""
    if method != "POST":
        if len(query_string) > _query_string_limit(config):
            raise Problem(414, "URI Too Long",
                          f"The query string is longer than {_query_string_limit(config)} bytes; send a long query "
                          f"with POST (Content-Type: {SPARQL_QUERY}).")
        return _pairs(query_string, "query string"), None
    args = _pairs(query_string, "query string")
    if mimetype == FORM:
        form = _pairs(body(), "request body")
        form.update(args)  # the URL's parameters count too (a repeated query is then refused)
        return form, None
    if mimetype == SPARQL_QUERY:
        if charset not in UTF8:
            raise Problem(400, "Malformed query", f"The body is declared as {charset}; send the query as UTF-8.")
        text = _utf8(body(), "request body")
        if "query" in args:
            raise Problem(400, "Malformed query", "Give the query once: in the body or as query=, not both.")
        return args, text
    if mimetype == SPARQL_UPDATE:
        raise Problem(415, "Updates are not offered",
                      "This endpoint is read-only: SPARQL Update is not offered. Queries are POSTed as "
                      f"{SPARQL_QUERY} or {FORM}.")
    if not mimetype and not length:
        return args, None  # an empty POST: like a GET without a query
    raise Problem(415, "Unsupported Media Type",
                  f"POST the query as {SPARQL_QUERY} (the body is the query) or as {FORM} (query=…).")


def _query(params: MultiDict, body: str | None, config: Any) -> str | None:
    """The query text of a request's parameters, None when there is none; refusals raise ``Problem``."""
    if "update" in params:
        raise Problem(400, "Updates are not offered", policy.read_only().detail)
    for name in ("default-graph-uri", "named-graph-uri"):
        if name in params:
            raise Problem(400, "The dataset is fixed", policy.fixed_dataset(f"the {name} parameter").detail)
    unknown = sorted(set(params) - set(PARAMETERS) - set(GLOBAL))
    if unknown:
        raise bad(unknown[0], f"not a parameter of this route; it takes: {', '.join(PARAMETERS)}")
    for name in ("lang", "question"):
        if len(params.getlist(name)) > 1:
            raise bad(name, "given more than once; give it once")
    if "lang" in params and params["lang"] not in LANGUAGES:
        raise bad("lang", f"'{params['lang'][:20]}' is not one of {', '.join(LANGUAGES)}")
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
    limit = _query_limit(config)
    if len(text.encode("utf-8")) > limit:
        raise Problem(413, "Content Too Large", f"The query is longer than {limit} bytes, the longest this endpoint takes.")
    return text


def _chosen_format(params: MultiDict) -> tuple[str | None, str | None] | None:
    """The (results, graph) formats ``format=``, ``output=`` or ``results=`` asks for (None: none given, Accept
    decides): one parameter under three names, each given in the query string or a POSTed form; every value given
    must name the same format; an unknown value is a 400 naming the parameter and the values it takes."""
    chosen = None
    for name in FORMAT_PARAMETERS:
        for value in params.getlist(name):
            found = FORMAT_NAMES.get(value)
            if found is None:
                names = [n for n in FORMAT_NAMES if "/" not in n]
                raise bad(name, f"'{value[:40]}' is not a format of this endpoint; it takes {', '.join(names)} or "
                                f"one of the media types {offered({**RESULT_FORMATS, **GRAPH_FORMATS})}")
            if chosen is not None and found != chosen:
                raise bad(name, "asks for another format than the other format parameter does; give one")
            chosen = found
    return chosen


def _read_query() -> tuple[str | None, tuple[str | None, str | None] | None]:
    """The query text of this (Flask) request (None when there is none) and the formats its ``format``/``output``
    asks for (None: Accept decides); refusals raise ``Problem``."""
    config = current_app.config
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    params, body = _parameters(request.method, request.query_string, request.mimetype, charset,
                               request.content_length, lambda: request.get_data(cache=True), config)
    text = _query(params, body, config)
    return text, _chosen_format(params)


def _negotiate(table: dict[str, str]) -> str | None:
    """The format for the best acceptable media type of ``table`` (the first when Accept says nothing)."""
    return _best(request.headers.get("Accept", ""), table)


def _best(accept: str, table: dict[str, str]) -> str | None:
    if not accept.strip():
        return next(iter(table.values()))
    match = parse_accept_header(accept, MIMEAccept).best_match(list(table))
    return table[match] if match else None


# ----------------------------------------------------------------------------------------------------
# The route
# ----------------------------------------------------------------------------------------------------

@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """SPARQL 1.1 Protocol, query operation; without a query, the service description."""
    outcome = request.environ.pop(OUTCOME, None)
    if outcome is not None:  # Front read the request and ran the query (or refused it): answer what it found
        if isinstance(outcome, (PoolError, dict)):
            return _answer(outcome)
        raise outcome  # a Problem (its handler), or an unexpected error (logged, 500)
    if editor.wants_page(request.headers.get("Accept", "")):
        return _page()
    text, chosen = _read_query()
    if text is None:
        return _service_description(chosen)
    results_format, graph_format = chosen or (_negotiate(RESULT_TYPES), _negotiate(GRAPH_TYPES))
    if results_format is None and graph_format is None:
        return problem(406, "Not Acceptable", f"Answers are given as {offered({**RESULT_FORMATS, **GRAPH_FORMATS})}; "
                       "none of them is in the Accept header.")
    try:
        reply = _run(text, results_format, graph_format)
    except PoolError as error:
        return _answer(error)
    return _answer(reply)


def _run(text: str, results_format: str | None, graph_format: str | None) -> dict:
    """Run ``text`` on the bound release's query processes, or forward it to the remote store."""
    pool: QueryPool | None = bound().resources.get(EXTENSION)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if pool is not None:
        return admitted(app, request.remote_addr or "", lambda: pool.run(text, results_format, graph_format))
    return admitted(app, request.remote_addr or "", lambda: _forward(text, results_format, graph_format), pooled=False)


def _page() -> Response:
    """The editor page for a browser (:mod:`api.editor`): the query read with the protocol's checks and run on
    its path (JSON results, N-Triples for a graph), every refusal a message on the page with its status."""
    question = request.args.get("question")
    try:
        text, _chosen = _read_query()
    except Problem as refusal:
        return editor.page(error=(refusal.status, refusal.title, refusal.detail), question=question)
    if text is None:
        return editor.page(question=question)
    try:
        reply = _run(text, "json", "ntriples")
    except PoolError as error:
        response = editor.page(query=text, error=(error.status, error.title, error.detail), question=question)
        response.headers.update(error.headers or {})  # e.g. Retry-After when every query process is busy
        return response
    if reply["status"] != 200:
        return editor.page(query=text, error=(reply["status"], reply["title"], reply["detail"]), question=question)
    return editor.page(query=text, reply=reply, question=question)


def _answer(reply: dict | PoolError) -> Response:
    """The response for a query process's reply (or the pool's error)."""
    if isinstance(reply, PoolError):
        return problem(reply.status, reply.title, reply.detail, reply.headers, **reply.extra)
    if reply["status"] != 200:
        return problem(reply["status"], reply["title"], reply["detail"], **reply.get("extra", {}))
    return Response(reply["body"], status=200, content_type=reply["content_type"])


_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE",
                "HTTP_RANGE", "HTTP_IF_RANGE")
_NEGOTIATED = 256  # Accept headers whose negotiation Front keeps (clients send few different ones)


class Front:
    """The lean path of ``/sparql`` (module docstring): a query the embedded store answers with 200, without
    Flask's request machinery; every other request, and every refusal, goes to ``app`` (the Flask app's WSGI
    callable) — a refusal found after the query ran as an :data:`OUTCOME` in the environ, so the query
    never runs twice. ``enabled = False`` sends everything to the view (the tests compare the two)."""

    def __init__(self, app: Callable, flask_app: Flask) -> None:
        self.app, self.flask_app = app, flask_app
        self.enabled = True
        self.answered = 0  # queries this layer answered itself (the tests check that it did)
        self._negotiated: dict[str, tuple[str | None, str | None, bool]] = {}

    def _formats(self, accept: str) -> tuple[str | None, str | None, bool]:
        """The results and graph formats ``accept`` asks for, and whether it asks for the editor's page."""
        found = self._negotiated.get(accept)
        if found is None:
            found = (_best(accept, RESULT_TYPES), _best(accept, GRAPH_TYPES), editor.wants_page(accept))
            if len(self._negotiated) >= _NEGOTIATED:
                self._negotiated.clear()
            self._negotiated[accept] = found
        return found

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if (environ.get("PATH_INFO") != "/sparql" or method not in ("GET", "POST") or not self.enabled
                or any(name in environ for name in _CONDITIONAL)):
            return self.app(environ, start_response)
        bound_to: Served | None = environ.get(ENVIRON)
        pool: QueryPool | None = bound_to.resources.get(EXTENSION) if bound_to is not None else None
        if bound_to is None or pool is None:  # a remote store: the view forwards the query
            return self.app(environ, start_response)
        results_format, graph_format, page = self._formats(environ.get("HTTP_ACCEPT", ""))
        if page:  # a browser: the editor's page (the view)
            return self.app(environ, start_response)
        config = self.flask_app.config
        try:
            query_string = environ.get("QUERY_STRING", "").encode("latin-1")
            mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
            length = get_content_length(environ)
        except Exception:  # noqa: BLE001 - anything odd: the view's own handling (and its error handlers)
            return self.app(environ, start_response)
        raw = b""
        if method == "POST":
            try:
                buffered = _buffer(environ, length, config)
            except (PoolError, Problem) as refusal:  # too slow or too large: the body is gone, say so
                environ[OUTCOME] = refusal
                return self.app(environ, start_response)
            if buffered is None and length is None:
                return self.app(environ, start_response)  # werkzeug's own fallback decides
            raw = buffered or b""
            length = len(raw)
        try:
            params, body = _parameters(method, query_string, mimetype.lower(), options.get("charset", "utf-8").lower(),
                                       length, lambda: raw, config)
            text = _query(params, body, config)
            chosen = _chosen_format(params)
        except Exception:  # noqa: BLE001 - a refusal: the view finds the same one (the body was put back)
            return self.app(environ, start_response)
        if chosen is not None:
            results_format, graph_format = chosen
        if text is None or (results_format is None and graph_format is None):
            return self.app(environ, start_response)  # the service description, or 406
        try:
            reply = admitted(self.flask_app, environ.get("REMOTE_ADDR", ""),
                             lambda: pool.run(text, results_format, graph_format))
        except PoolError as error:
            environ[OUTCOME] = error
            return self.app(environ, start_response)
        except Exception as error:  # noqa: BLE001 - the view's error handler logs it and answers 500
            environ[OUTCOME] = error
            return self.app(environ, start_response)
        if reply["status"] != 200:
            environ[OUTCOME] = reply
            return self.app(environ, start_response)
        body_bytes: bytes = reply["body"]
        content_type: str = reply["content_type"]
        release = bound_to.release
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body_bytes))),
                   *self.flask_app.extensions["osteokg_cors"], (RELEASE_HEADER, release.id)]
        if method == "GET":  # what api.http.finish and make_conditional give a GET 200
            etag = etag_of(release, f"/sparql?{query_string.decode()}", content_type.split(";")[0].strip(), None)
            headers += [("ETag", f'"{etag}"'), ("Cache-Control", cache_control(self.flask_app)),
                        ("Vary", ", ".join(VARY)), ("Date", http_date())]
        self.answered += 1
        start_response(_STATUS_200, headers)
        return [body_bytes]


_STATUS_200 = f"200 {HTTP_STATUS_CODES[200].upper()}"


def _forward(text: str, results_format: str | None, graph_format: str | None) -> dict:
    """Answer a query over a remote store: checked by the same policy, parsed here (a malformed query is this
    endpoint's 400), relative IRIs resolved against this endpoint's IRI (a ``BASE`` put before the query),
    then sent to the store with the negotiated media types; its answer is passed on as it is. The store's
    own limits apply to what it runs (time: ``OSTEOKG_STORE_TIMEOUT``; rows: the store's)."""
    base = endpoint_iri(current_app.config)
    try:
        text = policy.check(text)
        try:
            check_syntax(text, base)
        except (SyntaxError, UnicodeEncodeError) as error:
            raise policy.unparsable(text, error) from None
    except policy.Refusal as refusal:
        return refusal.reply()
    accept = ", ".join(media.split(";")[0] for media, _ in
                       ([RESULT_FORMATS[results_format]] if results_format else [])
                       + ([GRAPH_FORMATS[graph_format]] if graph_format else []))
    try:
        answer = served().store.query(f"BASE <{base}>\n{text}", accept)
    except StoreError as error:
        raise PoolError(502, "Store unavailable", f"The store behind this endpoint did not answer the query: {error}")
    return {"status": 200, "content_type": answer.content_type or "application/octet-stream", "body": answer.body}


SD_PREFIXES = prefixes("sd", "formats", "void", "dcterms", "rdfs", "xsd")  # kg.vocab's one prefix map
SD, FORMATS, VOID, DCTERMS = (SD_PREFIXES[name] for name in ("sd", "formats", "void", "dcterms"))
RDF_TYPE = f"{prefixes('rdf')['rdf']}type"
SD_RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                     "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


#: a triple of the service description, in pyoxigraph's terms
_SdTriple = tuple[pyoxigraph.NamedNode | pyoxigraph.BlankNode, pyoxigraph.NamedNode,
                  pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal]


def _service_description(chosen: tuple[str | None, str | None] | None = None) -> Response:
    """SPARQL 1.1 Service Description of this endpoint, built as triples (never as text); in the graph format
    ``chosen`` (format=…) names, else Accept's."""
    fmt = chosen[1] if chosen is not None else _negotiate(GRAPH_TYPES)
    if fmt is None:
        return problem(406, "Not Acceptable", f"The service description is given as {offered(GRAPH_FORMATS)}; "
                       "none of them is in the Accept header.")
    config = current_app.config
    nn, lit = pyoxigraph.NamedNode, pyoxigraph.Literal
    service = nn(endpoint_iri(config))
    a = nn(RDF_TYPE)
    dataset, graph = pyoxigraph.BlankNode(), pyoxigraph.BlankNode()
    timeout, max_rows = float(config.get("SPARQL_TIMEOUT", 10.0)), int(config.get("SPARQL_MAX_ROWS", 10_000))
    triples: list[_SdTriple] = [
        (service, a, nn(SD + "Service")),
        (service, nn(SD + "endpoint"), service),
        (service, nn(SD + "supportedLanguage"), nn(SD + "SPARQL11Query")),
        *((service, nn(SD + "resultFormat"), nn(FORMATS + name)) for name in SD_RESULT_FORMATS),
        (service, nn(SD + "defaultEntailmentRegime"), nn("http://www.w3.org/ns/entailment/Simple")),
        (service, nn(DCTERMS + "title"), lit("osteokg SPARQL endpoint", language="en")),
        (service, nn(PREFIXES["rdfs"] + "comment"), lit(
            f"Read-only SPARQL 1.1 query endpoint over the osteokg graph (inferences materialized at build "
            f"time). No SPARQL Update, no SERVICE, one fixed dataset. A query may run {timeout:g} s, "
            f"nest {policy.MAX_NESTING} levels and return {max_rows} rows or triples.", language="en")),
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
