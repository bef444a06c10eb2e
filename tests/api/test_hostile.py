"""Hostile input through every parameter: a clear 4xx (or an honest empty answer), never a 500,
never a change to the graph, never user text spliced into a query; and through every page that shows what a
reader sent (search, an entity or category ID, error pages, the SPARQL editor) and the pages its links carry
the input on to, never markup: no element, attribute, script or comment of the input's, nothing verbatim."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from kg import queries

PAYLOADS = [
    '"> } ; DROP ALL ; #',
    "OSTEOKG:0000106> } INSERT DATA { <urn:a> <urn:b> <urn:c> } #",
    "https://w3id.org/osteokg/OSTEOKG_0000106> ?p ?o } #",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "\u202e\u0000\ufffd",
    "x" * 5000,
    "OSTEOKG:0000106\n}",
    "?_entity",
]
ROUTES = [
    ("/entities/{v}", None), ("/entities/{v}/relations", None), ("/entities/{v}/parents", None),
    ("/entities/{v}/children", None), ("/entities/{v}/ancestors", None), ("/entities/{v}/descendants", None),
    ("/categories/{v}", None),
    ("/entities", "iri"), ("/entities/OSTEOKG:0000106", "lang"), ("/search", "q"), ("/search?q=bot", "category"),
    ("/search?q=bot", "limit"), ("/search?q=bot", "offset"), ("/search?q=bot", "lang"),
    ("/entities/OSTEOKG:0000106/relations", "predicate"), ("/entities/OSTEOKG:0000106/relations", "direction"),
    ("/entities/OSTEOKG:0000106/relations", "inferred"), ("/statements", "about"), ("/statements", "kind"),
    ("/categories", "lang"), ("/relations", "lang"),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize("route, parameter", ROUTES)
def test_hostile_value_is_refused_or_answered_safely(app, client, route: str, parameter: str | None, payload: str) -> None:
    store = app.extensions["osteokg"].store
    before = store.triples()
    if parameter is None:
        url = route.format(v=quote(payload, safe=""))
        response = client.get(url)
    else:
        response = client.get(route, query_string={parameter: payload}) if "?" not in route else \
            client.get(f"{route}&{parameter}={quote(payload, safe='')}")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "pyoxigraph" not in body
    else:  # only search may answer: with hits that are real entities, never an error
        assert response.is_json
    assert store.triples() == before  # counted in the store itself, not a cached figure


def test_parameters_enter_queries_only_as_library_serialized_terms() -> None:
    with pytest.raises(queries.QueryError):
        queries.iri('https://w3id.org/osteokg/OSTEOKG_0000106> } ; DROP ALL ; #')
    literal = queries.literal('"> } ; DROP', "nl")
    bound = queries.bind("parents", entity=queries.iri("https://w3id.org/osteokg/OSTEOKG_0000106"))
    assert "<https://w3id.org/osteokg/OSTEOKG_0000106>" in bound and "?_entity" not in bound
    assert str(literal) == '"\\"> } ; DROP"@nl'
    with pytest.raises(queries.QueryError):
        queries.bind("parents", entity='<urn:x> } DROP ALL')  # raw text is not a term
    with pytest.raises(queries.QueryError):
        queries.bind("parents")  # a missing parameter is an error, not an unbound variable


def test_every_query_file_parses() -> None:
    from rdflib.plugins.sparql import prepareQuery

    assert len(queries.names()) >= 14
    for name in queries.names():
        prepareQuery(queries.text(name))


# ---------------------------------------------------------------- the pages: a hostile walk

#: markup that, were it reflected unescaped, would show in the parsed page as an element, an attribute or a script
MARKUP = [
    '"><osteokg-injected data-injected=1>',
    "'><img src=x data-injected=1 onerror=alert(1)>",
    "<script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "</textarea><osteokg-injected>",
    "</title></style><osteokg-injected>",
    "javascript:alert(1)",
    "<!--",
]
#: pages that show what a reader sent: the search box and its results, an entity or category ID, an error page
#: (a path that is not a route, a bad parameter), the SPARQL editor with a query (and its parser's message)
PAGES = ["/search?q={v}", "/search?q=bot&category={v}", "/search?q=bot&limit={v}", "/entities/{v}",
         "/entities/{v}/relations", "/categories/{v}", "/nowhere/{v}", "/?lang={v}", "/questions?lang={v}",
         "/entities/OSTEOKG:0000106?lang={v}", "/sparql?query={v}", "/sparql?question={v}",
         "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%22{v}%22%20%7D"]


class _Page(HTMLParser):
    """What a page's markup makes: its elements, their attributes, inline script texts, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.scripts: list[tuple[str, str]] = []
        self.comments: list[str] = []
        self._script: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag == "script":
            found = dict(attrs)
            self._script, self._text = ("src" if "src" in found else found.get("type") or ""), []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def links(self) -> list[str]:
        return [value for _, name, value in self.attributes if name in ("href", "src", "action")]


def _read(client, url: str) -> tuple[int, str, _Page]:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])
    page = _Page()
    if response.mimetype == "text/html":
        text = response.get_data(as_text=True)
        assert "<!--" not in text, url  # the templates have no comment: one would be the input, hiding the page
        for payload in MARKUP:
            assert payload not in text or not set(payload) & set("<>\"'"), (url, payload)  # never verbatim
        page.feed(text)
        page.close()
    return response.status_code, response.mimetype, page


def _assert_nothing_injected(url: str, page: _Page) -> None:
    assert "osteokg-injected" not in page.tags, url
    injected = [a for a in page.attributes if a[1] in ("data-injected", "onerror") or a[1].startswith("on")]
    assert not injected, (url, injected)
    for kind, text in page.scripts:
        assert kind in ("src", "application/json"), (url, kind, text[:200])  # no inline script ran
        if kind == "application/json":
            json.loads(text)  # a data block stays data: the input did not end it
            assert "</" not in text, (url, text[:200])
    for link in page.links():
        assert not link.strip().lower().startswith("javascript:"), (url, link)
    assert not page.comments, (url, page.comments[0][:200])


@pytest.mark.parametrize("payload", MARKUP, ids=range(len(MARKUP)))
@pytest.mark.parametrize("template", PAGES)
def test_no_reflected_input_unescaped_in_a_page(client, template: str, payload: str) -> None:
    """Each page that shows the reader's input, with markup as that input, and every page its links lead to that
    carries the input on (the language switch, the permalink, paging): the markup is text, never markup."""
    url = template.replace("{v}", quote(payload, safe=""))
    _, mimetype, page = _read(client, url)
    if mimetype != "text/html":  # a route that answers only JSON
        return
    _assert_nothing_injected(url, page)
    assert page.tags.count("textarea") <= 1 and page.tags.count("title") == 1, url  # none closed early, none added
    marker = quote(payload, safe="")[:12]
    onward = {link for link in page.links() if link.startswith("/") and not link.startswith("//")
              and (marker in link or payload[:12] in link or marker.replace("%20", "+") in link)}
    for link in sorted(onward)[:8]:
        _, next_type, next_page = _read(client, link)
        if next_type == "text/html":
            _assert_nothing_injected(link, next_page)


def test_a_pages_own_links_stay_on_this_site(client) -> None:
    from urllib.parse import urljoin, urlsplit

    base = "https://osteokg.test/"
    for path in ("/\\evil.example", "/%5Cevil.example", "/entities/%5C%5Cevil.example"):
        response = client.get("/x", headers={"Accept": "text/html"}, environ_overrides={"PATH_INFO": path.replace(
            "%5C", "\\")})
        page = _Page()
        page.feed(response.get_data(as_text=True))
        for link in page.links():
            # the WHATWG URL parser reads a backslash as a slash in an http(s) URL, as browsers do
            resolved = urljoin(base, link.replace("\\", "/"))
            assert urlsplit(resolved).netloc == "osteokg.test", (path, link)
