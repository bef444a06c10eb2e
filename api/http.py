"""Cross-cutting HTTP behaviour: CORS without credentials, caching with ETags, security headers.

Rendered GET answers are kept by the response cache in front of the app (:mod:`api.cache`) with
their headers finished here, so a repeated request never reaches Flask; :func:`finish` is the one
place the headers are decided.

Security headers
    Every answer carries :func:`security_headers` — the Flask path (:func:`finish`), the response cache's
    replay and its 304 (the finished headers are what it keeps), and the two lean paths below Flask
    (:mod:`api.front`, :class:`api.sparql.Front`), which take them with CORS from the one list
    :func:`every_answer` puts in ``app.extensions["osteokg_cors"]``:

    - ``Content-Security-Policy``: :data:`POLICY` — scripts only from this origin (``script-src 'self'``:
      no inline script, no ``eval``; a ``<script type="application/json">`` data block is never executed,
      so it needs nothing), styles from this origin plus the SHA-256 of each literal ``<style>`` block in
      the app's templates (:func:`template_style_hashes`: the API docs page's, the entity page's
      ``<noscript>`` one) and of the fixed ``<style>`` a library adds itself (:data:`LIBRARY_STYLES`), nothing to frame the pages (``frame-ancestors 'none'``), no plugins, no
      ``<base>``, forms posting only here. The release's own pages (``/ontology``, ``/ontology/review.html``,
      written by the build to open without a server, with their CSS inline) get the hashes of their
      own ``<style>`` blocks added (:data:`BUILT_PAGES`); a style block in an answer is never trusted
      from the answer itself otherwise, so reflected input could not bring one in.
    - ``Referrer-Policy: no-referrer``: a page's URL can hold a search for a clinical term; nothing here
      reads ``Referer``, so no other site needs to see even our origin.
    - ``X-Content-Type-Options: nosniff``.

    No ``Server`` header is set here: granian sends ``server: granian`` (no version; an app's own
    ``Server`` would replace it), and hyper's bare answers below the app (a URI of 64 KiB or more, a
    malformed request line) carry none; tests/api/test_http.py checks the served headers.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import re

from flask import Flask, Response, request
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import http_date, parse_accept_header

from api.graph import served
from kg.service import Release
from kg.vocab import LANGUAGES

FINISHED = "_osteokg_finished"
RELEASE_HEADER = "X-Osteokg-Release"  # the id of the release an answer comes from, on every answer
EVERY_ANSWER = "osteokg_cors"  # app.extensions: the headers every answer carries (CORS and security)
CSP = "Content-Security-Policy"

#: the Content-Security-Policy's directives; ``style-src`` gets the hashes of the pages' inline style blocks
POLICY = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
          "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'")
#: routes that answer a page the build wrote (its CSS inline, so that it opens as a file): their own style hashes
BUILT_PAGES = ("meta.ontology_docs", "meta.ontology_file")
#: the ``<style>`` elements a vendored library (api/assets.py) writes into a page itself, by the file that writes
#: it, each as the pieces of source text the library joins: fixed texts, allowed by their hashes as the templates'
#: blocks are (tests/api/test_http.py checks that each piece is still in the installed file, so an upgrade that
#: changes one fails there, not in a reader's browser)
LIBRARY_STYLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cytoscape.min.js", (".", "__________cytoscape_container", " { position: relative; }")),  # its container
    ("yasgui.min.js", ("*{cursor:", "col-resize", "!important}")),  # YASR's table: a column being resized
    ("yasgui.min.js", ((
        ' .grip-resizable{table-layout:fixed;} .grip-resizable > tbody > tr > td, .grip-resizable > tbody'
        ' > tr > th{overflow:hidden} .grip-padding > tbody > tr > td, .grip-padding > tbody > tr > th{pad'
        'ding-left:0!important; padding-right:0!important;} .grip-container{ height:0px; position:relativ'
        'e;} .grip-handle{margin-left:-5px; position:absolute; z-index:5; } .grip-handle .grip-resizable{'
        'position:absolute;background-color:red;filter:alpha(opacity=1);opacity:0;width:10px;height:100%;'
        'cursor: col-resize;top:0px} .grip-lastgrip{position:absolute; width:1px; } .grip-drag{ border-le'
        'ft:1px dotted black;\t} .grip-flex{width:auto!important;} .grip-handle.grip-disabledgrip .grip-re'
        'sizable{cursor:default; display:none;}'
    ),)),  # YASR's table: its column-resize grips
)
_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def style_hash(css: bytes) -> str:
    """The CSP source that allows one inline ``<style>`` block whose text is ``css``."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(css).digest()).decode()}'"


def content_security_policy(style_hashes: list[str] | tuple[str, ...] = ()) -> str:
    """:data:`POLICY` as a header value, with ``style_hashes`` (CSP sources) allowed as inline styles."""
    return "; ".join(f"{part} {' '.join(style_hashes)}" if part == "style-src 'self'" and style_hashes else part
                     for part in POLICY)


def template_style_hashes(app: Flask) -> list[str]:
    """The hash of every literal ``<style>`` block in the app's templates (``api/templates``; one with Jinja in it is not literal:
    it is left out, and the browser tests would see it refused)."""
    loader = app.jinja_loader
    found: set[str] = set()
    if loader is not None:
        for name in loader.list_templates():
            source = loader.get_source(app.jinja_env, name)[0].encode("utf-8")
            found.update(style_hash(css) for css in _STYLE.findall(source) if b"{{" not in css and b"{%" not in css)
    return sorted(found)


def security_headers(style_hashes: list[str]) -> list[tuple[str, str]]:
    """The security headers of every answer (module docstring), inline styles with ``style_hashes`` allowed."""
    return [(CSP, content_security_policy(style_hashes)),
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff")]


def cors_headers(app: Flask) -> list[tuple[str, str]]:
    return [
        ("Access-Control-Allow-Origin", app.config["CORS_ORIGIN"]),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        # Authorization: the CDS Hooks bearer token (a browser-based CDS client's preflight asks for it)
        ("Access-Control-Allow-Headers", "Accept, Accept-Language, Authorization, Content-Type, If-None-Match"),
        ("Access-Control-Expose-Headers", f"ETag, Link, {RELEASE_HEADER}"),
    ]


def every_answer(app: Flask) -> list[tuple[str, str]]:
    """CORS and the security headers: what every answer carries, whichever layer writes it."""
    return [*cors_headers(app), *security_headers(app.extensions[STYLE_HASHES])]


def finish(app: Flask, response: Response) -> Response:
    """Add CORS, the security headers and the release id, and for a GET 200 an ETag (release × URL × media type ×
    language) and caching headers."""
    for key, value in app.extensions[EVERY_ANSWER]:
        response.headers[key] = value
    if request.endpoint in BUILT_PAGES and response.mimetype == "text/html" and not response.is_streamed:
        own = [style_hash(css) for css in _STYLE.findall(response.get_data())]
        response.headers[CSP] = content_security_policy([*app.extensions[STYLE_HASHES], *own])
    response.headers[RELEASE_HEADER] = served().id
    if request.method in ("GET", "HEAD") and response.status_code == 200 and request.endpoint not in NO_STORE:
        response.set_etag(etag_of(served(), request.full_path, response.mimetype,
                                  response.headers.get("Content-Language", "")))
        response.headers["Cache-Control"] = cache_control(app)
        response.vary.update(VARY)
        if response.mimetype == "text/html":  # a page for people follows the reader's language switch (a cookie)
            response.vary.add("Cookie")
    elif request.endpoint in NO_STORE:
        response.headers["Cache-Control"] = "no-store"
    setattr(response, FINISHED, True)
    return response


VARY = ("Accept", "Accept-Language")
#: GET answers no cache may keep: the health check (live), the CDS owner's feedback view (live, behind a token)
NO_STORE = ("meta.health", "cds.feedback_view")
STYLE_HASHES = "osteokg_style_hashes"  # app.extensions: template_style_hashes(app), computed once


def etag_of(release: Release, full_path: str, mimetype: str | None, language: str | None) -> str:
    """The ETag of a GET 200: the release × the URL (path and query) × the media type × the answer's language."""
    variant = f"{release.etag}|{full_path}|{mimetype}|{language or ''}"
    return hashlib.sha256(variant.encode("utf-8")).hexdigest()[:32]


def cache_control(app: Flask) -> str:
    return f"public, max-age={app.config['CACHE_MAX_AGE']}"


def answer_headers(app: Flask, release: Release, full_path: str, mimetype: str, length: int,
                   language: str | None = None) -> list[tuple[str, str]]:
    """Every header :func:`finish` and ``make_conditional`` give a GET 200 of ``length`` bytes, for a WSGI layer
    that answers below Flask (:mod:`api.front`)."""
    headers = [("Content-Type", mimetype), ("Content-Length", str(length))]
    if language:
        headers.append(("Content-Language", language))
    headers += [*app.extensions[EVERY_ANSWER], (RELEASE_HEADER, release.id),
                ("ETag", f'"{etag_of(release, full_path, mimetype, language)}"'),
                ("Cache-Control", cache_control(app)), ("Vary", ", ".join(VARY)), ("Date", http_date())]
    return headers


@functools.lru_cache(maxsize=1024)
def header_language(accept_language: str) -> str:
    """The answer's language for an ``Accept-Language`` header: its best of nl and en, else English — what
    :func:`api.params.language` picks without ``lang=`` (tests/api/test_http.py compares the two). Memoised:
    clients send few different headers, and a flood of distinct ones costs one parse each."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES) or "en"


@functools.lru_cache(maxsize=1024)
def accept_key(accept: str) -> tuple[bool, tuple[tuple[str, float], ...]]:
    """The ``Accept`` header as werkzeug reads it: whether one was given, and its parsed entries (media range,
    quality) in werkzeug's order — spacing, ``q=1.0`` for none, ``q=0.50`` and the order of entries werkzeug
    sorts are gone. Two headers with one key are one ``MIMEAccept`` to every negotiation here (each reads the
    parsed header: :func:`api.negotiate.best_of`, :func:`api.explorer.wants_html`), so they get one media type.
    Keyed on this, not on the media type picked: which types a URL offers is the view's to know."""
    parsed = parse_accept_header(accept, MIMEAccept)
    return bool(parsed.provided), tuple(parsed)


def init_app(app: Flask) -> None:
    app.extensions[STYLE_HASHES] = [*template_style_hashes(app),
                                    *sorted(style_hash("".join(pieces).encode()) for _, pieces in LIBRARY_STYLES)]
    app.extensions[EVERY_ANSWER] = every_answer(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        if not getattr(response, FINISHED, False):
            finish(app, response)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.make_conditional(request)
        return response
