"""/sparql for a browser (api/editor.py, api/sparql.py): the SPARQL editor's page, a browser's query results as a
page, refusals as readable pages; the protocol's answers for every other client unchanged (test_sparql.py).

The Flask client checks the pages; one real ``osteokg serve`` and Debian's chromium check what YASGUI does in a
browser: every request it makes (the page, its libraries, the query, the completions) goes to this server."""
from __future__ import annotations

import json
import re
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api import create_app, sparql
from kg.service import Service
from kg.vocab import PREFIXES

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
OSTEONECROSIS = "https://w3id.org/osteokg/OSTEOKG_0000106"
LABELS = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
          f"SELECT ?term ?label WHERE {{ BIND(<{OSTEONECROSIS}> AS ?term) ?term rdfs:label ?label }} ORDER BY ?label")
QUESTION = "bones-osteonecrosis-can-affect"


class Page(HTMLParser):
    """What a page references (every src, href and action, with its tag), its elements' ids and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.scripts: dict[str, str] = {}  # id -> text of a <script id=…>
        self._script: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if found.get(name):
                self.refs.append((tag, str(found[name]), found))
        self._script = str(found["id"]) if tag == "script" and found.get("id") else None

    def handle_data(self, data: str) -> None:
        if self._script:
            self.scripts[self._script] = self.scripts.get(self._script, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def page(client, path: str, status: int = 200, **headers: str):
    response = client.get(path, headers={"Accept": BROWSER, **headers})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Traceback" not in html
    return response, html, Page(html)


def config_of(parsed: Page) -> dict:
    return json.loads(parsed.scripts["editor-config"])


def sparql_url(query: str, **params: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **params})


# ---------------------------------------------------------------------------------------------- the editor

@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_editor_has_every_example_question_as_a_tab_with_its_query(client, app, lang: str) -> None:
    response, html, parsed = page(client, f"/sparql?lang={lang}")
    assert response.headers["Content-Language"] == lang
    with app.app_context():
        from api.graph import service

        found: Service = service()
        questions = found.competency_questions()
        expected = [{"id": q.name, "name": getattr(q, lang), "query": found.competency_sparql(q.name, lang)}
                    for q in questions]
    assert len(questions) >= 20
    config = config_of(parsed)
    assert [{key: tab[key] for key in ("id", "name", "query")} for tab in config["tabs"]] == expected
    assert config["selected"] == questions[0].name and config["query"] is None
    assert config["endpoint"] == "/sparql" and config["lang"] == lang
    for q in questions:  # and, for a reader without scripts, a link per question that opens its tab
        assert f'href="/sparql?question={q.name}&amp;lang={lang}"' in html
        assert getattr(q, lang).replace('"', "&#34;") in html
    assert 'src="/static/vendor/yasgui.min.js"' in html and 'href="/static/vendor/yasgui.min.css"' in html
    assert 'src="/static/editor.js"' in html


def test_the_editor_knows_osteokg_s_prefixes(client) -> None:
    _, html, parsed = page(client, "/sparql?lang=en")
    assert config_of(parsed)["prefixes"] == PREFIXES
    for name, namespace in PREFIXES.items():
        assert f"<td><code>{name}:</code></td><td><code>{namespace}</code></td>" in html
    config = config_of(parsed)
    assert config["suggest"] == "/suggest" and config["relations"] == "/relations"  # completion: osteokg's own


def test_the_question_link_opens_the_editor_on_that_question(client) -> None:
    _, html, parsed = page(client, f"/sparql?question={QUESTION}&lang=nl")
    config = config_of(parsed)
    assert config["selected"] == QUESTION
    tab = next(t for t in config["tabs"] if t["id"] == QUESTION)
    assert tab["name"] == "Welke botten kan botnecrose treffen?"
    assert f'<a href="/sparql?question={QUESTION}&amp;lang=nl" aria-current="true">' in html
    textarea = re.search(r'<textarea id="sparql-query"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert textarea is not None and "OSTEOKG:0000106" in textarea.group(1)  # the form holds that question's query


def test_an_unknown_question_is_a_404_page_that_lists_the_questions(client) -> None:
    _, html, parsed = page(client, "/sparql?question=no-such-question&lang=en", status=404)
    assert "unknown-question" in parsed.ids
    assert "There is no example question named “no-such-question”" in html
    assert f'href="/sparql?question={QUESTION}&amp;lang=en"' in html


@pytest.mark.parametrize("accept", [None, "*/*", "text/turtle", "text/turtle, text/html", "text/html;q=0.5, text/turtle"])
def test_a_client_that_does_not_prefer_html_gets_the_service_description(client, accept: str | None) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    assert b"sparql-service-description" in response.data


def test_a_client_that_does_not_prefer_html_gets_the_results(client) -> None:
    for accept in ("*/*", "application/sparql-results+json, text/html", "text/html;q=0.1, application/json"):
        response = client.get(sparql_url(LABELS), headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == "application/sparql-results+json", accept
    response = client.get(sparql_url("SELEC"), headers={"Accept": "*/*"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


# ---------------------------------------------------------------------------------------------- off-server

def _local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return not parts.scheme and not parts.netloc and (url.startswith(("/", "#")) or url == "")


@pytest.mark.parametrize("path", ["/sparql?lang=en", sparql_url(LABELS, lang="nl"), sparql_url("SELEC")])
def test_the_page_and_what_it_loads_point_to_no_other_host(client, path: str) -> None:
    response = client.get(path, headers={"Accept": BROWSER})
    parsed = Page(response.get_data(as_text=True))
    off = [(tag, url) for tag, url, _ in parsed.refs if not _local(url)]
    assert off == []  # every src, href and action of the page is this server's
    loaded = [url for tag, url, attrs in parsed.refs
              if tag in ("script", "img", "iframe", "source") or (tag == "link" and attrs.get("rel") != "alternate")]
    assert any(url.endswith("yasgui.min.js") for url in loaded)
    for url in loaded:
        with client.get(url) as answer:
            assert answer.status_code == 200, url
            body = answer.get_data(as_text=True)
        if url.endswith(".css"):  # a stylesheet pulls fonts and images by url() and @import
            assert "@import" not in body, url
            for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", body):
                assert ref.startswith("data:") or _local(ref), (url, ref)
        if url.endswith("editor.js"):  # what would call other hosts is switched off (a browser checks it below)
            for completer in ('"prefixes"', '"property"', '"class"'):
                assert completer in body
            assert "delete base[name]" in body and "populateFromUrl: false" in body


# ---------------------------------------------------------------------------------------------- results

def test_a_browser_s_query_result_is_an_html_table_with_entity_links(client) -> None:
    _, html, parsed = page(client, sparql_url(LABELS, lang="nl"))
    assert "results" in parsed.ids
    assert "<th scope=\"col\">?term</th><th scope=\"col\">?label</th>" in html
    assert '<a href="/entities/OSTEOKG:0000106?lang=nl">botnecrose</a> <span class="id">OSTEOKG:0000106</span>' in html
    assert '<span lang="nl">botnecrose</span>' in html and '<span lang="en">osteonecrosis</span>' in html
    assert config_of(parsed)["query"] == LABELS and config_of(parsed)["selected"] == "query"
    links = [url for tag, url, _ in parsed.refs if tag == "a" and url.startswith("/entities/")]
    assert links and all(url.endswith("?lang=nl") for url in links)


def test_a_query_result_in_english_links_english_pages(client) -> None:
    _, html, _ = page(client, sparql_url(LABELS, lang="en"))
    assert '<a href="/entities/OSTEOKG:0000106?lang=en">osteonecrosis</a>' in html


def test_an_example_question_s_answer_as_a_page(client, app) -> None:
    with app.app_context():
        from api.graph import service

        query = service().competency_sparql(QUESTION, "en")
    _, html, _ = page(client, sparql_url(query, lang="en"))
    assert re.search(r"<p>\d+ rows", html)
    assert 'href="/entities/OSTEOKG:' in html


def test_an_ask_answer_says_yes_or_no(client) -> None:
    _, html, _ = page(client, sparql_url(f"ASK {{ <{OSTEONECROSIS}> ?p ?o }}", lang="en"))
    assert '<p class="ask">The answer is yes.</p>' in html
    _, html, _ = page(client, sparql_url("ASK { <https://example.org/nothing> ?p ?o }", lang="nl"))
    assert '<p class="ask">Het antwoord is nee.</p>' in html


def test_a_construct_answer_is_a_table_of_triples(client) -> None:
    query = f"CONSTRUCT {{ <{OSTEONECROSIS}> ?p ?o }} WHERE {{ <{OSTEONECROSIS}> ?p ?o }}"
    _, html, _ = page(client, sparql_url(query, lang="en"))
    assert '<th scope="col">subject</th><th scope="col">predicate</th><th scope="col">object</th>' in html
    assert re.search(r"<p>\d+ triples", html)
    assert '<span class="iri" title="http://www.w3.org/2000/01/rdf-schema#label">rdfs:label</span>' in html


def test_an_empty_answer_says_so(client) -> None:
    _, html, _ = page(client, sparql_url("SELECT ?s WHERE { ?s <https://example.org/none> ?o }", lang="en"))
    assert "The query found nothing." in html


def test_a_form_post_from_a_browser_is_a_page(client) -> None:
    response = client.post("/sparql", data={"query": LABELS, "lang": "en"}, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert '<a href="/entities/OSTEOKG:0000106?lang=en">osteonecrosis</a>' in response.get_data(as_text=True)


@pytest.mark.parametrize("query, status, words", [
    ("SELEC ?s WHERE { ?s ?p ?o }", 400, "Malformed"),
    ("INSERT DATA { <https://example.org/a> <https://example.org/b> <https://example.org/c> }", 400, "pdate"),
    ("SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }", 400, "SERVICE"),
    ("SELECT * FROM <https://example.org/g> WHERE { ?s ?p ?o }", 400, "dataset"),
])
def test_a_refused_query_is_a_readable_page_with_the_protocol_s_status(client, query: str, status: int,
                                                                       words: str) -> None:
    _, html, parsed = page(client, sparql_url(query, lang="en"), status=status)
    assert "query-error" in parsed.ids and "results" not in parsed.ids
    assert "The query could not be run" in html and words in html
    assert config_of(parsed)["query"] == query  # the editor opens on the query, to mend it
    assert re.search(r'<pre class="detail" lang="en">[^<]{10,}</pre>', html)  # the endpoint's own explanation


def test_an_empty_query_is_a_400_page(client) -> None:
    _, html, _ = page(client, "/sparql?query=+&lang=nl", status=400)
    assert "De query kon niet worden uitgevoerd" in html and "The query is empty." in html


@pytest.fixture
def limited(build_dir: Path):
    """An app whose queries may run half a second and return 5 rows (its query processes stopped after)."""
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "SPARQL_TIMEOUT": 0.5, "SPARQL_MAX_ROWS": 5,
                      "SPARQL_WORKERS": 1, "SPARQL_MAX_COST": 0})  # no cost guard: the clock stops the runaway
    try:
        yield app
    finally:
        sparql.shutdown(app)


def test_the_time_limit_and_the_row_limit_are_pages_too(limited) -> None:
    client = limited.test_client()
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 }"
    _, html, _ = page(client, sparql_url(endless, lang="en"), status=504)
    assert "time limit" in html
    _, html, _ = page(client, sparql_url("SELECT * WHERE { ?s ?p ?o }", lang="en"), status=422)
    assert "The query could not be run" in html


def test_the_lean_path_leaves_pages_to_the_view(app, client) -> None:
    front = app.extensions[sparql.FRONT]
    before = front.answered
    page(client, sparql_url(LABELS))
    assert front.answered == before  # a browser: the view made the page
    response = client.get(sparql_url(LABELS), headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and front.answered == before + 1  # a client: the lean path, as before


# ---------------------------------------------------------------------------------------------- in a browser

@pytest.fixture(scope="module")
def served(build_dir: Path):
    from api import assets
    from tests.api.conftest import start_server, stop_server
    from tests.api.explorer.conftest import require_browser

    executable = require_browser()
    assets.ensure()
    process, base = start_server(build_dir, workers=1)
    try:
        yield base, executable
    finally:
        stop_server(process)


def test_in_a_browser_yasgui_asks_only_this_server(served) -> None:
    """Open the editor on a question, run it, complete a prefix, a relation and a term by typing, show the raw
    response: every request goes to this server, the completions come from /suggest and /relations, and the
    results' osteokg IRIs link to the entity pages. (In a thread of its own: the browser tests' session may
    hold Playwright's sync API, and its event loop, in the main thread.)"""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_yasgui_asks_only_this_server, *served).result(timeout=300)


def _yasgui_asks_only_this_server(base: str, executable: str) -> None:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    off: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def route(intercepted) -> None:
                url = intercepted.request.url
                requests.append(url)
                if url.startswith((base + "/", "data:", "blob:")):
                    intercepted.continue_()
                else:
                    off.append(url)
                    intercepted.abort()

            page.route("**/*", route)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/sparql?question={QUESTION}&lang=en", wait_until="load")
            page.wait_for_selector("#yasgui .tabsList .tab", timeout=10_000)
            assert page.locator("#sparql-form").is_hidden()  # YASGUI replaced the plain form
            assert page.locator("#yasgui .tabsList .tab").count() >= 20
            assert page.locator("#yasgui .tabsList .tab.active").inner_text().splitlines()[0].strip() == \
                "Which bones can osteonecrosis affect?"
            page.locator("#yasgui .tabPanel.active .yasqe_queryButton").click()
            page.wait_for_selector("#yasgui .tabPanel.active .yasr table tbody tr a", timeout=10_000)
            hrefs = page.eval_on_selector_all("#yasgui .tabPanel.active .yasr a[href]",
                                              "els => els.map(e => e.getAttribute('href'))")
            assert hrefs and all(h.startswith("/entities/OSTEOKG:") and h.endswith("?lang=en") for h in hrefs), hrefs

            hints: dict[str, list[str]] = {}
            for typed in ("PREFIX sk", "SELECT * WHERE { ?x loc", "SELECT * WHERE { OSTEOKG:botnec"):
                page.locator("#new-query").click()
                page.keyboard.press("Control+End")
                page.keyboard.type("\n" + typed, delay=20)
                try:
                    page.wait_for_selector(".CodeMirror-hints li", timeout=3000)
                except Exception:  # noqa: BLE001 - not shown as it was typed: ask for it
                    page.keyboard.press("Control+Space")
                    page.wait_for_selector(".CodeMirror-hints li", timeout=5000)
                hints[typed] = page.eval_on_selector_all(".CodeMirror-hints li", "els => els.map(e => e.textContent)")
                page.keyboard.press("Enter")
            assert hints["PREFIX sk"][0] == f"skos: <{PREFIXES['skos']}>"
            assert "OSTEOKG:0009003 — has location" in hints["SELECT * WHERE { ?x loc"]
            assert hints["SELECT * WHERE { OSTEOKG:botnec"][0] == "OSTEOKG:0000106 — osteonecrosis"
            value = page.evaluate("window.osteokgEditor.getTab().getYasqe().getValue()")
            assert value.rstrip().endswith("OSTEOKG:0000106")

            page.locator("#yasgui .tabPanel.active .yasqe_queryButton").click()
            page.wait_for_timeout(500)

            page.goto(f"{base}/sparql?question={QUESTION}&lang=nl", wait_until="load")  # YASGUI's words in Dutch
            page.wait_for_selector("#yasgui .tabsList .tab", timeout=10_000)
            page.locator("#yasgui .tabPanel.active .yasqe_queryButton").click()
            page.wait_for_selector("#yasgui .tabPanel.active .yasr table tbody tr a", timeout=10_000)
            page.wait_for_function("/resultaten? in/.test(document.querySelector("
                                   "'#yasgui .tabPanel.active .yasr_response_chip').textContent)", timeout=5000)
            panel = page.locator("#yasgui .tabPanel.active")
            assert panel.locator(".select_table").inner_text().strip() == "Tabel"
            assert panel.locator(".yasqe_queryButton").get_attribute("aria-label") == "Voer de query uit"
            assert panel.locator("input.tableFilter").get_attribute("placeholder") == "Filter de resultaten"
        finally:
            browser.close()
    assert off == [] and errors == []
    paths = {urllib.parse.urlsplit(url).path for url in requests}
    assert {"/static/vendor/yasgui.min.js", "/static/vendor/yasgui.min.css", "/static/editor.js", "/sparql",
            "/suggest", "/relations"} <= paths
