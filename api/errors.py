"""Errors as RFC 9457 problem details (``application/problem+json``); never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, Response, has_request_context, json, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from kg.service import BadValue, NotFound

PROBLEM = "application/problem+json"
log = logging.getLogger("osteokg.api")


class Problem(Exception):
    """A client error with a status and a message that says what was wrong."""

    def __init__(self, status: int, title: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, /, **extra: object) -> Response:
    """The problem response; ``extra`` are the body's further members (any name: the others are positional). A
    browser (a client that prefers text/html) gets the same status as a page in its language instead."""
    if has_request_context() and _for_a_person():
        response = _page(status, title, detail)
        if response is not None:
            for key, value in (headers or {}).items():
                response.headers[key] = value
            return response
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _for_a_person() -> bool:
    from api.explorer import wants_html

    return request.method in ("GET", "HEAD") and wants_html()


def _page(status: int, title: str, detail: str) -> Response | None:
    """The error page, or None when even it cannot be rendered (then the problem JSON is the answer)."""
    from api.explorer.views import error_page

    try:
        return error_page(status, title, detail)
    except Exception:
        log.exception("could not render the error page for %s", status)
        return None


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return problem(error.status, error.title, error.detail, **error.extra)

    @app.errorhandler(BadValue)
    def _bad_value(error: BadValue) -> Response:
        return problem(400, "Bad Request", str(error), parameter=error.parameter)

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound) -> Response:
        return problem(404, "Not Found", error.message, **({"id": error.id} if error.id is not None else {}))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:  # a 405 says what is allowed
            headers["Allow"] = ", ".join(error.valid_methods)
        detail = error.description or error.name
        if error.code == 404:
            detail = "There is no such resource here; see /openapi.json for the routes."
        return problem(error.code or 500, error.name, detail, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        server_error = InternalServerError()
        return problem(500, server_error.name, "The server could not answer this request; the error was logged.")
