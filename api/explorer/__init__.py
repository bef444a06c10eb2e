"""The explorer: osteokg's pages for people (educators, students, clinicians without SPARQL).

Served by ``osteokg serve`` beside the JSON API, on the same service layer (:mod:`kg.service`, and
:mod:`kg.service.pages` for what only pages show): no SPARQL text and no graph logic here. A route of
the API answers a page when the client asks for HTML (``Accept: text/html``, as a browser does) and
JSON otherwise; the pages of their own are ``/`` and ``/questions``.

Every page is in Dutch or English: ``lang=``, else the reader's last switch (a cookie set by following
the switch in the header, :func:`render`), else Accept-Language. Every string comes from
:mod:`api.explorer.strings`. Pages pull nothing from another host: their scripts and styles are
``/static`` (ours, in ``api/static``) and ``/static/vendor`` (the libraries installed from npm,
:mod:`api.assets`).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, g, render_template, request, url_for

from api import params
from api.explorer.strings import STRINGS, for_scripts, text
from api.graph import pinned_release, releases_of, served
from api.pinning import openapi_path, takes_release
from kg.service.pinned import PARAMETER
from kg.vocab import LANGUAGES

bp = Blueprint("explorer", __name__, static_folder="../static", static_url_path="/static")
HTML = "text/html"
COOKIE_AGE = 365 * 24 * 3600  # a reader's language switch is kept a year
KEEP = "osteokg_keep_release"  # in flask.g: the release this request's page links keep (None: none)


def other(lang: str) -> str:
    return next(code for code in LANGUAGES if code != lang)


def url_with(**changes: Any) -> str:
    """This page's URL (path and query) with ``changes`` to its query (a value None drops the parameter)."""
    args = {key: value for key, value in request.args.items(multi=False)}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    query = urlencode(args)
    # the path quoted again: a backslash in it ('/\\host') would be, to a browser, a link to another host
    return quote(request.path, safe="/:@!$&'()*+,;=~") + (f"?{query}" if query else "")


def number(value: object, lang: str) -> str:
    """A number as the page's language writes it: no trailing ``.0``, a decimal comma in Dutch."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "nl" else text


def static(filename: str) -> str:
    return url_for("explorer.static", filename=filename)


def render(template: str, status: int = 200, lang: str | None = None, **context: Any) -> Response:
    """The page ``template`` in the reader's language, with the frame every page has (language switch, permalink,
    the scripts' strings, and on a page of an earlier release a note saying so with a link to the current one).
    Following the switch (``lang=`` in the URL) also keeps the choice in a cookie."""
    lang = lang or params.page_language()
    html = render_template(
        template, lang=lang, other_lang=other(lang), t=lambda key, **values: text(key, lang, **values),
        has_t=STRINGS.__contains__, number=lambda value: number(value, lang),
        static=static, url_with=url_with, other_language_url=url_with(lang=other(lang)),
        permalink=url_with(lang=lang), script_strings=for_scripts(lang),
        release_version=served().manifest.get("version_iri") or served().id,
        earlier_release=served().id if served().id != releases_of(current_app).current.release.id else None,
        **context)
    response = current_app.response_class(html, status=status, mimetype=HTML)
    response.headers["Content-Language"] = lang
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(params.LANG_COOKIE) != chosen:
        response.set_cookie(params.LANG_COOKIE, chosen, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
    return response


def wants_html() -> bool:
    """True when the client prefers a page to JSON (a browser: text/html before */*)."""
    accept = request.accept_mimetypes
    return bool(accept.provided) and accept.best_match(("application/json", HTML)) == HTML


def init_app(app) -> None:
    from api.explorer import views  # noqa: F401 - the routes

    app.register_blueprint(bp)
    app.jinja_env.globals["pinned_release"] = pinned_release  # the forms' hidden field (macros have no page context)
    takes: dict[str, bool] = {}  # endpoint → whether its route takes ``release`` (the URL map is fixed by then)

    @app.url_defaults
    def _stay_in_the_release(endpoint: str, values: dict) -> None:
        """The links of a page pinned to a release (``?release=``) name it, where their route takes one: a reader
        who opened an earlier release stays in it. Pages only: a JSON answer's links are the same on the lean path
        and in the view (the lean path's are the release's documents, written at build time)."""
        if KEEP not in g:  # decided once per request: a page makes hundreds of links
            pinned = pinned_release()
            setattr(g, KEEP, pinned if pinned is not None and wants_html() else None)
        pinned = getattr(g, KEEP)
        if pinned is None or PARAMETER in values:
            return
        if endpoint not in takes:
            try:
                rules = list(app.url_map.iter_rules(endpoint))
            except KeyError:  # no such endpoint: url_for's own BuildError says so
                rules = []
            takes[endpoint] = any("GET" in (rule.methods or ()) and takes_release(openapi_path(rule.rule))
                                  for rule in rules)
        if takes[endpoint]:
            values[PARAMETER] = pinned
