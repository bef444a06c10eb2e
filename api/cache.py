"""A response cache in front of the Flask app (WSGI middleware).

The graph only changes with a release, so a GET answer depends only on the release the request is
bound to (:mod:`api.graph`), the URL, the Accept and Accept-Language headers and the reader's language
cookie (:data:`api.params.LANG_COOKIE`, which the explorer's pages read); the cache is cleared
when a new release is swapped in.

The key holds what the answer depends on, not the headers' spelling: for Accept-Language, the language the
answer gets (:func:`api.http.header_language`: nl or en — an unknown, repeated or reordered header is one of
the two), for Accept, the header as werkzeug parses it (:func:`api.http.accept_key`: every view negotiates
from that). Keyed on the raw headers, a client sending a random Accept-Language per request missed every
time (issue 12 measured 34 × less throughput; ``bench/cache_language_bench.py`` measures both keys in one
run). A view marks its answer as cacheable (``mark``); the middleware keeps
the finished status, headers and body in a bounded LRU and answers the next identical request
itself — without entering Flask — including the conditional requests, decided as the Flask path decides them
(werkzeug's ``is_resource_modified`` over the kept ETag, then ``make_conditional``'s 304, or 412 under
``If-Match``): ``If-None-Match: *`` is a 304 for an answer that exists (RFC 9110 §13.1.2), and a missing
entity's 404 is never kept, so it stays a 404 either way. Errors, non-GET requests and unmarked routes always
go through the app. A request pinned to a kept release (``?release=``, :mod:`api.graph`) is keyed on that
release's id, so no answer of one release is given for another.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from threading import Lock

from werkzeug.http import is_entity_header, is_resource_modified, parse_etags

from api.graph import ENVIRON
from api.http import accept_key, header_language
from api.params import LANG_COOKIE

MARK = "X-Osteokg-Cacheable"
EXTENSION = "osteokg_cache"  # the app's ResponseCache, in app.extensions
_KEPT_ON_304 = ("expires", "content-location")  # the entity headers werkzeug keeps on a 304 (the Flask path's)
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE")
_COOKIE = re.compile(rf"(?:^|;)\s*{LANG_COOKIE}=([a-z]{{2}})\b")


def cookie_language(environ: dict) -> str:
    """The language cookie's value ('' without one): part of the key, as the explorer's pages depend on it."""
    found = _COOKIE.search(environ.get("HTTP_COOKIE", ""))
    return found.group(1) if found else ""


def mark(response):
    """Flag a Flask response for the middleware (the header never leaves the server)."""
    response.headers[MARK] = "1"
    return response


def key_of(environ: dict) -> tuple:
    """The cache key of a GET: release, path, query, the Accept header as parsed, the answer's language from
    Accept-Language, the language cookie (module docstring)."""
    served = environ.get(ENVIRON)
    return (served.release.id if served is not None else "", environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""), accept_key(environ.get("HTTP_ACCEPT", "")),
            header_language(environ.get("HTTP_ACCEPT_LANGUAGE", "")), cookie_language(environ))


class ResponseCache:
    def __init__(self, app: Callable, size: int = 4096) -> None:
        self.app, self.size = app, size
        self.items: OrderedDict[tuple, tuple[str, list[tuple[str, str]], bytes, str | None]] = OrderedDict()
        self.lock = Lock()
        self.hits = 0  # requests answered from the cache (the tests check that a repeat was one)

    def clear(self) -> None:
        """Forget every answer (a new release is served)."""
        with self.lock:
            self.items.clear()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        key = key_of(environ)
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                self.hits += 1
        if hit is not None:
            status, headers, body, etag = hit
            if etag and any(name in environ for name in _CONDITIONAL) and not is_resource_modified(environ, etag):
                if parse_etags(environ.get("HTTP_IF_MATCH")):  # as make_conditional: 412 under If-Match
                    start_response("412 PRECONDITION FAILED", headers)
                    return [body]
                start_response("304 NOT MODIFIED", [h for h in headers
                                                    if not is_entity_header(h[0]) or h[0].lower() in _KEPT_ON_304])
                return [b""]
            start_response(status, headers)
            return [body]
        captured: dict = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, [h for h in headers if h[0] != MARK], exc_info)

        result = self.app(environ, capture)
        headers = captured.get("headers", [])
        if not captured.get("status", "").startswith("200") or not any(h[0] == MARK for h in headers):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        kept = [h for h in headers if h[0] != MARK and h[0].lower() != "date"]  # a stored Date would go stale
        etag = next((v for k, v in kept if k.lower() == "etag"), None)
        with self.lock:
            self.items[key] = (captured["status"], kept, body, etag)
            if len(self.items) > self.size:
                self.items.popitem(last=False)
        return [body]
