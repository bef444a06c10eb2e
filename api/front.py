"""The lean path of the hot entity routes: answered from the release's documents without Flask's request machinery.

A decision-support tool or a mixed load reads ``/entities/{CURIE}`` (JSON) and its ``/relations``,
``/parents``, ``/children``, ``/ancestors``, ``/descendants`` over and over, each time another
entity. Their answers are precomputed (:mod:`kg.service.documents`), so what is left per request is
HTTP: Flask's request and response objects, routing, the after-request hooks. :class:`Front` is a
WSGI layer in front of the Flask app that answers exactly these requests itself — a GET with no
parameter but ``lang=en|nl`` and ``release`` (each once; the release the request is bound to, :mod:`api.graph`,
is the one it answers from, and a refused one never reaches this layer), no conditional header, an Accept that picks JSON, for an entity ID
(an entity without a document is computed by the service, as the view would) — with the same body (the service's bytes, :meth:`Service.entity_json`
and friends), status and headers (:func:`api.http.answer_headers`: CORS and the security headers, release, ETag, caching,
Vary, Content-Language, Date) as the Flask view; tests/api/test_front.py compares the two, header
for header, for every entity. Every other request (another parameter, a code that redirects, an ID
that is not there, a conditional request, another format, an error of any kind) goes to the app,
which answers as it always has: nothing is decided here that the app would decide differently.

Its answers are not kept by the response cache around it: reading a document costs less than the
cache's miss (scale_bench at a million triples, every entity in turn: 0.64 × ``/health`` with them
cached in the 4,096-entry cache, 0.96 × without), and a repeat costs about what a cache hit does.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from api.entities import links_of, with_links_encoded
from api.graph import ENVIRON
from api.http import answer_headers, header_language
from api.negotiate import ENTITY_TYPES, JSON, best_of
from kg.service import HIERARCHY, Resolved, ServiceError
from kg.service.pinned import PARAMETER as RELEASE
from kg.service.values import CURIE
from kg.vocab import LANGUAGES

PATH = re.compile(r"/entities/([^/]+?)(?:/(relations|parents|children|ancestors|descendants))?")  # fullmatch
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE",
                "HTTP_RANGE", "HTTP_IF_RANGE")
_TAKEN = ("lang", RELEASE)  # the parameters this layer reads a query of (any other: the app's)
_KEPT = 256  # Accept headers whose negotiation is kept (clients send few different ones)
_STATUS_200 = "200 OK"


class Front:
    """The WSGI layer (module docstring). ``enabled = False`` sends everything to the app (the tests compare)."""

    def __init__(self, app: Callable, flask_app: Flask) -> None:
        self.app, self.flask_app = app, flask_app
        self.enabled = True
        self.answered = 0  # requests this layer answered itself (the tests check that it did)
        self._formats: dict[str, str | None] = {}

    def _format(self, accept: str) -> str | None:
        """The entity route's media type for this Accept header (None: not JSON, or not acceptable: the app's)."""
        found = self._formats.get(accept, "")
        if found == "":
            try:
                found = best_of(parse_accept_header(accept, MIMEAccept), ENTITY_TYPES)
            except Exception:  # noqa: BLE001 - a 406, or anything odd: the app answers it
                found = None
            self._keep(self._formats, accept, found)
        return found

    def _language(self, environ: dict, query: str) -> str | None:
        """The answer's language, or None for a query the app must read (another parameter, one given twice)."""
        if not query:
            return header_language(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        lang, seen = None, set()
        for part in query.split("&"):
            name, sep, value = part.partition("=")
            if not sep or name in seen or name not in _TAKEN:
                return None
            seen.add(name)
            if name == "lang":
                if value not in LANGUAGES:
                    return None
                lang = value
        return lang or header_language(environ.get("HTTP_ACCEPT_LANGUAGE", ""))

    @staticmethod
    def _keep(kept: dict, key: str, value) -> None:
        if len(kept) >= _KEPT:
            kept.clear()
        kept[key] = value

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.enabled or environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in _CONDITIONAL):
            return self.app(environ, start_response)
        matched = PATH.fullmatch(environ.get("PATH_INFO", ""))
        served = environ.get(ENVIRON)
        if matched is None or served is None or served.service.documents is None:
            return self.app(environ, start_response)
        curie, route = matched.groups()
        query = environ.get("QUERY_STRING", "")
        lang = self._language(environ, query)
        if lang is None or not CURIE.fullmatch(curie):
            return self.app(environ, start_response)
        service = served.service
        try:
            resolved = service.resolve(curie)
            if resolved.kind != "entity":  # a code: the view redirects
                return self.app(environ, start_response)
            if route is None:
                media_type = self._format(environ.get("HTTP_ACCEPT", ""))
                if media_type != JSON:
                    return self.app(environ, start_response)
                base = f"{environ.get('SCRIPT_NAME', '')}/entities/{resolved.id}"
                body = with_links_encoded(service.entity_json(resolved, lang), links_of(resolved, base))
            else:
                body = self._listing(service, resolved, route, lang)
        except ServiceError:  # the app raises the same one and answers it
            return self.app(environ, start_response)
        body += b"\n"
        headers = answer_headers(self.flask_app, served.release, f"{environ['PATH_INFO']}?{query}", JSON,
                                 len(body), lang if route is None else None)
        self.answered += 1
        start_response(_STATUS_200, headers)
        return [body]

    def _listing(self, service, resolved: Resolved, route: str, lang: str) -> bytes:
        limit = self.flask_app.config["PAGE_DEFAULT"]
        if route == "relations":
            return service.relations_json(resolved, lang, limit=limit)
        assert route in HIERARCHY
        return service.hierarchy_json(resolved, route, lang, limit, 0)


def init_app(app: Flask) -> Front:
    """Put :class:`Front` in front of the app's WSGI callable (inside the response cache and the release binding)."""
    front = Front(app.wsgi_app, app)
    app.wsgi_app = front  # type: ignore[method-assign]
    app.extensions["osteokg_front"] = front
    return front
