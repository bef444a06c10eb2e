"""Cross-cutting HTTP behaviour: CORS without credentials, caching with ETags, security headers.

Rendered GET answers are kept by the response cache in front of the app (:mod:`api.cache`) with
their headers finished here, so a repeated request never reaches Flask; :func:`finish` is the one
place the headers are decided.
"""
from __future__ import annotations

import hashlib

from flask import Flask, Response, request
from werkzeug.http import http_date

from api.graph import served
from kg.service import Release

FINISHED = "_osteokg_finished"
RELEASE_HEADER = "X-Osteokg-Release"  # the id of the release an answer comes from, on every answer


def cors_headers(app: Flask) -> list[tuple[str, str]]:
    return [
        ("Access-Control-Allow-Origin", app.config["CORS_ORIGIN"]),
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
        # Authorization: the CDS Hooks bearer token (a browser-based CDS client's preflight asks for it)
        ("Access-Control-Allow-Headers", "Accept, Accept-Language, Authorization, Content-Type, If-None-Match"),
        ("Access-Control-Expose-Headers", f"ETag, Link, {RELEASE_HEADER}"),
        ("X-Content-Type-Options", "nosniff"),
    ]


def finish(app: Flask, response: Response) -> Response:
    """Add CORS and the release id, and for a GET 200 an ETag (release × URL × media type × language) and caching headers."""
    for key, value in app.extensions["osteokg_cors"]:
        response.headers[key] = value
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
    headers += [*app.extensions["osteokg_cors"], (RELEASE_HEADER, release.id),
                ("ETag", f'"{etag_of(release, full_path, mimetype, language)}"'),
                ("Cache-Control", cache_control(app)), ("Vary", ", ".join(VARY)), ("Date", http_date())]
    return headers


def init_app(app: Flask) -> None:
    app.extensions["osteokg_cors"] = cors_headers(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        if not getattr(response, FINISHED, False):
            finish(app, response)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.make_conditional(request)
        return response
