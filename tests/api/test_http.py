"""The headers every answer carries (api/http.py): CORS and the security headers on each kind of answer — a view's
JSON, the lean paths' JSON and SPARQL results, a page, the response cache's replay and its 304, Flask's 304, errors
as problem+json and as pages, the app's own 413 and 414 — over Flask and over a real ``osteokg serve`` (granian);
the inline styles each page has are the ones its policy allows, and it has no inline script; the readings of
Accept-Language and Accept that the response cache keys on (api/cache.py) agree with the views'."""
from __future__ import annotations

import http.client
import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from api import params
from api.http import (
    CSP,
    EVERY_ANSWER,
    LIBRARY_STYLES,
    STYLE_HASHES,
    accept_key,
    content_security_policy,
    header_language,
    style_hash,
)
from api.negotiate import ENTITY_TYPES, best_of

SECURITY = ("Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options")
CORS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
        "Access-Control-Expose-Headers")
ASK = "ASK { ?s ?p ?o }"
SPARQL_JSON = "application/sparql-results+json"


def assert_every_header(app, headers, page_hashes: tuple[str, ...] = ()) -> None:
    """``headers`` (a mapping, case-insensitive) hold CORS and the security headers as the app lists them, once each."""
    expected = dict(app.extensions[EVERY_ANSWER])
    if page_hashes:
        expected[CSP] = content_security_policy([*app.extensions[STYLE_HASHES], *page_hashes])
    for name in (*SECURITY, *CORS):
        values = headers.getlist(name) if hasattr(headers, "getlist") else headers.get_all(name)
        assert values == [expected[name]], (name, values)
    policy = headers.get(CSP)
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in policy.split("; ")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers.get("Referrer-Policy") == "no-referrer" and headers.get("X-Content-Type-Options") == "nosniff"
    server = headers.get("Server")
    assert server is None or not re.search(r"\d", server), f"the Server header names a version: {server}"


# ---------------------------------------------------------------- every kind of answer, over Flask


def test_a_views_json_its_cached_replay_and_the_caches_304(app, client) -> None:
    url = "/entities/OSTEOKG:0000111/relations?limit=4"  # a view's answer, kept by the response cache
    first = client.get(url)
    assert first.status_code == 200 and first.is_json
    assert_every_header(app, first.headers)
    replay = client.get(url)
    assert replay.data == first.data
    assert_every_header(app, replay.headers)
    not_modified = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert_every_header(app, not_modified.headers)


def test_flasks_own_304(app, client) -> None:
    etag = client.get("/version").headers["ETag"]  # not a cached route: werkzeug's make_conditional answers
    response = client.get("/version", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert_every_header(app, response.headers)


def test_the_lean_entity_path(app, client) -> None:
    front = app.extensions["osteokg_front"]
    before = front.answered
    response = client.get("/entities/OSTEOKG:0000112")
    assert response.status_code == 200 and front.answered == before + 1  # answered below Flask
    assert_every_header(app, response.headers)


def test_sparql_results_on_the_lean_path_and_through_the_view(app, client) -> None:
    front = app.extensions["osteokg.sparql.front"]
    before = front.answered
    lean = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": SPARQL_JSON})
    assert lean.status_code == 200 and front.answered == before + 1 and lean.json["boolean"] is True
    assert_every_header(app, lean.headers)
    view = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": SPARQL_JSON,
                                                                       "If-None-Match": '"other"'})
    assert view.status_code == 200 and front.answered == before + 1  # a conditional request: the view's
    assert_every_header(app, view.headers)


@pytest.mark.parametrize("url", ["/", "/questions", "/search?q=bot", "/entities/OSTEOKG:0000106", "/categories",
                                 "/sparql", f"/sparql?query={quote(ASK)}", "/docs"])
def test_pages(app, client, url: str) -> None:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_every_header(app, response.headers)
    assert_inline_content_allowed(response.get_data(as_text=True), response.headers[CSP])


@pytest.mark.parametrize("url", ["/ontology", "/ontology/review.html"])
def test_the_pages_the_build_wrote_get_their_own_styles(app, client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    own = tuple(style_hash(css.encode()) for css in re.findall(r"<style>(.*?)</style>", text, re.DOTALL))
    assert own, "the build's page has its CSS inline"
    assert_every_header(app, response.headers, own)
    assert_inline_content_allowed(text, response.headers[CSP])


def test_static_files(app, client) -> None:
    response = client.get("/static/explorer.css")
    try:
        assert response.status_code == 200
        assert_every_header(app, response.headers)
    finally:
        response.close()


@pytest.mark.parametrize("url, accept, status", [
    ("/entities/OSTEOKG:9999998", None, 404), ("/nowhere", None, 404), ("/search?q=bot&limit=0", None, 400),
    ("/entities/OSTEOKG:0000106", "text/csv", 406), ("/nowhere", "text/html", 404),
    ("/search?q=bot&limit=0", "text/html", 400)])
def test_errors_as_problems_and_as_pages(app, client, url: str, accept: str | None, status: int) -> None:
    response = client.get(url, headers={"Accept": accept} if accept else {})
    assert response.status_code == status
    assert response.mimetype == ("text/html" if accept == "text/html" else "application/problem+json")
    assert_every_header(app, response.headers)
    if response.mimetype == "text/html":
        assert_inline_content_allowed(response.get_data(as_text=True), response.headers[CSP])


def test_method_not_allowed_and_options(app, client) -> None:
    refused = client.delete("/entities/OSTEOKG:0000106")
    assert refused.status_code == 405 and refused.mimetype == "application/problem+json"
    assert_every_header(app, refused.headers)
    preflight = client.options("/entities/OSTEOKG:0000106", headers={"Origin": "https://example.org",
                                                                     "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert_every_header(app, preflight.headers)


def test_the_apps_own_413_and_414_are_problems_with_cors(app, client) -> None:
    too_long = client.get("/sparql", query_string={"query": "#" + "x" * 40_000 + "\n" + ASK},
                          headers={"Accept": SPARQL_JSON})
    assert too_long.status_code == 414 and too_long.mimetype == "application/problem+json"
    assert too_long.json["status"] == 414 and "POST" in too_long.json["detail"]
    assert_every_header(app, too_long.headers)
    limit = app.config["MAX_CONTENT_LENGTH"]
    too_large = client.post("/sparql", data=b"#" * (limit + 1) + b"\n" + ASK.encode(),
                            content_type="application/sparql-query", headers={"Accept": SPARQL_JSON})
    assert too_large.status_code == 413 and too_large.mimetype == "application/problem+json"
    assert too_large.json["status"] == 413 and str(limit) in too_large.json["detail"]
    assert_every_header(app, too_large.headers)


def test_the_styles_a_library_writes_are_the_installed_librarys() -> None:
    """Each fixed ``<style>`` the policy allows for a vendored library is still written by the installed file."""
    from api import assets

    assets.ensure()  # npm ci once, when the libraries are missing (as the browser tests and osteokg serve do)
    for name, pieces in LIBRARY_STYLES:
        source = assets.path(name).read_text(encoding="utf-8")
        for piece in pieces:
            assert len(piece) == 1 or piece in source, (name, piece[:60])


# ---------------------------------------------------------------- the pages' inline content against their policy


class _Inline(HTMLParser):
    """The inline ``<style>`` texts, the inline scripts (with their type), and the attributes a CSP governs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.styles: list[str] = []
        self.scripts: list[tuple[str, str]] = []
        self.attributes: list[str] = []  # style=, on*=, javascript: URLs
        self._open: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.attributes.append(f"<{tag} {name}={value!r}>")
        if tag == "style" or (tag == "script" and "src" not in found):
            self._open, self._text = (tag, found.get("type") or ""), []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            text = "".join(self._text)
            (self.styles.append(text) if tag == "style" else self.scripts.append((self._open[1], text)))
            self._open = None


def assert_inline_content_allowed(html: str, policy: str) -> None:
    """No inline script but data blocks (JSON that parses), no inline handler or style attribute, and every
    ``<style>`` block's hash among the policy's ``style-src`` sources."""
    found = _Inline()
    found.feed(html)
    assert not found.attributes, found.attributes
    for kind, text in found.scripts:
        assert kind == "application/json", f"an inline script would be refused: {text[:120]!r}"
        json.loads(text)
    style_src = next(part for part in policy.split("; ") if part.startswith("style-src "))
    for css in found.styles:
        assert style_hash(css.encode()) in style_src.split(), f"an inline style the policy refuses: {css[:80]!r}"


# ---------------------------------------------------------------- what the response cache keys on


@pytest.mark.parametrize("header", ["", "nl", "NL", "en", "nl-BE", "nl-NL,nl;q=0.9,en;q=0.8", "en-GB, en;q=0.9",
                                    "fr", "fr-FR,fr;q=0.9", "*", "de, nl;q=0.3", "de, en;q=0.3, nl;q=0.2",
                                    "nl;q=0.5, en;q=0.5", "en;q=0.5, nl;q=0.5", "nl, nl", "nl;q=0, en;q=0",
                                    "nl;q=abc", "x" * 300, ";;;,,,", "nl;q=0.001"])
def test_the_caches_language_is_the_views(app, header: str) -> None:
    with app.test_request_context("/search", headers={"Accept-Language": header} if header else {}):
        assert header_language(header) == params.language()


ACCEPTS = ["", "*/*", "application/json", "application/json,*/*;q=0.1", "text/turtle", "text/turtle;q=0.9, */*;q=0.1",
           "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
           "application/ld+json; q=0.5, application/n-triples; q=0.5", "application/n-triples;q=0.5,application/ld+json;q=0.5",
           "TEXT/HTML", "text/*", "application/*;q=0.2, text/csv", "text/csv", "application/json;q=0", ";;,,",
           "text/html;level=1;q=0.7, text/html;q=0.3", "application/json;q=1.0", "application/json ;q=0.50"]


@pytest.mark.parametrize("header", ACCEPTS)
def test_the_caches_accept_key_is_the_header_as_parsed(header: str) -> None:
    """The key is the parsed header's entries in order: a header with that key negotiates alike."""
    original = parse_accept_header(header, MIMEAccept)
    provided, entries = accept_key(header)
    rebuilt = MIMEAccept(entries) if provided else MIMEAccept(None)
    assert list(rebuilt) == list(original) and rebuilt.provided == original.provided
    assert str(rebuilt) == str(original)


def test_spellings_of_one_accept_share_a_key_and_meanings_do_not(app) -> None:
    alike = [("application/json;q=1.0", "application/json"), ("text/turtle ; q=0.50 ,*/*;q=0.1", "text/turtle;q=0.5, */*;q=0.1"),
             ("*/*;q=0.1, text/turtle;q=0.5", "text/turtle;q=0.5,*/*;q=0.1")]
    for one, other in alike:
        assert accept_key(one) == accept_key(other)
        for offered in (ENTITY_TYPES, ("application/json", "text/html")):
            assert best_of(parse_accept_header(one, MIMEAccept), offered) == \
                best_of(parse_accept_header(other, MIMEAccept), offered)
    assert accept_key("text/turtle") != accept_key("application/json")
    assert accept_key("") != accept_key(";;,,")  # given but empty: werkzeug tells them apart, so does the key
    with app.test_request_context("/", headers={"Accept": "text/html,*/*;q=0.8"}):
        from api.explorer import wants_html
        assert wants_html()


# ---------------------------------------------------------------- over a real osteokg serve (granian)


def _get(base: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_served_answers_carry_every_header_and_no_server_version(app, server) -> None:
    for target, headers in [("/health", {}), ("/entities/OSTEOKG:0000106", {}),
                            ("/entities/OSTEOKG:0000106/relations?limit=3", {}),
                            ("/entities/OSTEOKG:0000106/relations?limit=3", {}),  # the cache's replay
                            (f"/sparql?query={quote(ASK)}", {"Accept": SPARQL_JSON}), ("/", {"Accept": "text/html"}),
                            ("/nowhere", {})]:
        status, answer, _ = _get(server, target, headers)
        assert status in (200, 404), (target, status)
        assert_every_header(app, answer)
        assert answer.get("Server") in (None, "granian"), answer.get("Server")


def test_served_414_up_to_the_http_servers_limit_is_ours(app, server) -> None:
    """The app's 414 is problem+json with CORS up to 64 KiB; from 65,534 bytes of URI hyper (granian's HTTP layer)
    refuses the request line itself with a bare 414 before the app sees it (the ``http`` crate's ``Uri`` limit,
    not configurable: docs/deploy.md says what a front proxy must do). If that changes, this test says so."""
    padding = "#" + "x" * 60_000 + "\n"
    status, answer, body = _get(server, f"/sparql?query={quote(padding + ASK)}", {"Accept": SPARQL_JSON})
    assert status == 414 and answer.get_content_type() == "application/problem+json"
    assert json.loads(body)["status"] == 414
    assert_every_header(app, answer)
    status, answer, body = _get(server, f"/sparql?query={quote('#' + 'x' * 66_000 + chr(10) + ASK)}",
                                {"Accept": SPARQL_JSON})
    assert status == 414 and body == b"" and answer.get("Access-Control-Allow-Origin") is None
