"""The example questions in chromium: "Welke botten kan botnecrose treffen?" answered on the questions page, opened
in the SPARQL editor (YASGUI) with that question's tab, run there — and the same from the editor alone; and a
query's result asked for by a browser is a page with a table of links.

The editor's DOM is YASGUI's (``@zazuko/yasgui``, mounted by api/static/editor.js): tabs ``.tabsList .tab``
(the active one ``.active``, its name in ``a[role=tab]``), the active tab's panel ``.tabPanel.active`` with its
CodeMirror (``.CodeMirror``, whose element holds the editor: ``.CodeMirror.getValue()``), the run button
``.yasqe_queryButton`` and the results (``.yasr``). Both answers — the questions page's and the editor's — come
from the same query, so the entities they link must be the same.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.api.explorer.conftest import WAIT_MS, Tab, wait_for

NAME = "bones-osteonecrosis-can-affect"
QUESTION = {"nl": "Welke botten kan botnecrose treffen?", "en": "Which bones can osteonecrosis affect?"}
JAW = "OSTEOKG:0001004"
LINKED = ("els => els.map(a => decodeURIComponent(new URL(a.href, location.href).pathname))"
          ".filter(p => p.startsWith('/entities/')).map(p => p.split('/').pop())")


def editor_ready(tab: Tab) -> None:
    tab.page.wait_for_selector(".yasgui .tabPanel.active .CodeMirror", timeout=WAIT_MS)
    tab.page.wait_for_load_state("networkidle", timeout=WAIT_MS)


def active_tab_name(tab: Tab) -> str:
    return tab.page.locator(".yasgui .tabsList .tab.active a[role=tab] span").first.inner_text().strip()


def active_query(tab: Tab) -> str:
    return tab.page.evaluate("document.querySelector('.yasgui .tabPanel.active .CodeMirror').CodeMirror.getValue()")


def run_in_editor(tab: Tab) -> set[str]:
    """Press the active tab's run button; wait for the results table; the entities its links open."""
    panel = tab.page.locator(".yasgui .tabPanel.active")
    with tab.page.expect_response(lambda r: "/sparql" in r.url and r.request.method in ("GET", "POST")
                                  and r.request.resource_type in ("xhr", "fetch"), timeout=WAIT_MS) as answer:
        panel.locator(".yasqe_queryButton").click()
    assert answer.value.status == 200, answer.value.text()[:500]
    panel.locator(".yasr table tbody tr").first.wait_for(timeout=WAIT_MS)
    panel.locator(".yasr table").scroll_into_view_if_needed()
    tab.shot("results-in-the-editor")
    return set(panel.locator(".yasr table a").evaluate_all(LINKED))


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_question_on_its_page_then_in_the_editor(tab: Tab, lang: str) -> None:
    tab.goto(f"/questions?lang={lang}")
    section = tab.page.locator(f"section#{NAME}")
    assert section.locator("h2").inner_text().strip() == QUESTION[lang]
    answer = set(section.locator("table.answer a").evaluate_all(LINKED))
    assert JAW in answer, "the answer on the page lists the jaw"
    jaw = {"nl": "kaak", "en": "jaw"}[lang]
    assert section.locator("table.answer").get_by_role("link", name=jaw, exact=True).count() == 1
    sparql = section.locator("pre code").text_content()
    section.scroll_into_view_if_needed()
    tab.shot("answer-on-the-questions-page")

    section.get_by_role("link", name=re.compile("editor", re.IGNORECASE)).click()
    tab.page.wait_for_url(re.compile(r"/sparql\?"), timeout=WAIT_MS)
    assert f"question={NAME}" in tab.page.url
    editor_ready(tab)
    assert active_tab_name(tab) == QUESTION[lang]
    assert tab.page.evaluate("document.documentElement.lang") == lang
    assert normalise(active_query(tab)) == normalise(sparql), "the editor's tab holds the query the page shows"
    tab.shot("editor-with-the-question")
    assert run_in_editor(tab) == answer, "the editor's results link the entities of the page's answer"


def test_the_question_from_the_editor_alone(tab: Tab) -> None:
    tab.goto("/sparql?lang=nl")
    editor_ready(tab)
    tab.page.locator(".yasgui .tabsList .tab a[role=tab]", has_text=QUESTION["nl"]).first.click()
    wait_for(tab.page, "document.querySelector('.yasgui .tabsList .tab.active a[role=tab] span').textContent.trim() "
             f"=== {QUESTION['nl']!r}")
    editor_ready(tab)
    assert "# question-nl: " + QUESTION["nl"] in active_query(tab)
    linked = run_in_editor(tab)
    assert JAW in linked
    tab.assert_accessible("editor, results")
    # the results link to the entity pages: follow the jaw's
    tab.page.locator(f".yasgui .tabPanel.active .yasr table a[href*='{JAW}']").first.click()
    tab.page.wait_for_url(re.compile(re.escape(JAW)), timeout=WAIT_MS)
    assert tab.page.locator("h1").inner_text().strip() == "kaak"


def test_a_query_result_asked_for_by_a_browser_is_a_page(tab: Tab) -> None:
    text = ("PREFIX OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?bone ?label WHERE { OSTEOKG:0000106 OSTEOKG:0009003 ?bone . ?bone rdfs:label ?label . "
            "FILTER(lang(?label) = 'en') } ORDER BY ?label")
    response = tab.goto(f"/sparql?lang=en&query={quote(text)}")
    assert response.headers["content-type"].startswith("text/html")
    table = tab.page.locator("table.sparql-results")
    assert table.count() == 1
    assert JAW in set(table.locator("a").evaluate_all(LINKED))
    assert table.get_by_text("jaw", exact=True).count() >= 1
    tab.shot("result-page")
    # a query that does not parse: a readable page, status 400, still the editor
    tab.goto(f"/sparql?lang=en&query={quote('SELECT WHERE {')}", status=400)
    assert tab.page.locator("#query-error").is_visible()
    tab.shot("parse-error")
