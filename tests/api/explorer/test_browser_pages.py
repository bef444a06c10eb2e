"""Every page type of the explorer in chromium: accessible (axe-core), readable on a phone, pulling nothing
from another host, and errors as pages.

The page types are the issue's list: home, search results, entity, category, statement, questions, editor and
error (a 404 in a browser). Each is opened once on a desktop viewport, with its scripts done (the graph drawn,
the editor built), and axe-core run on it: a violation of impact serious or critical fails the test; every
violation, whatever its impact, is written to ``test-artifacts/browser/axe/<page type>.json`` (and the
summary beside it). Each is opened again 390 px wide (a phone): the page must not scroll sideways. The
fixtures (conftest.py) fail any test whose pages request another origin or log a console error.
"""
from __future__ import annotations

import pytest

from tests.api.explorer.conftest import PHONE, WAIT_MS, Tab

OSTEONECROSIS = "OSTEOKG:0000106"
DISORDER = "OSTEOKG:0000010"  # the upper category "disorder"
STATEMENT = "OSTEOKG:0007000"  # a quantitative statement
UNKNOWN = "OSTEOKG:9999999"  # a well-formed id no term has

# page type -> (path, expected status); a page type's path is opened in the language its query names
PAGES: dict[str, tuple[str, int]] = {
    "home": ("/?lang=nl", 200),
    "results": ("/search?q=botnecrose&lang=nl", 200),
    "entity": (f"/entities/{OSTEONECROSIS}?lang=en", 200),
    "category": (f"/categories/{DISORDER}?lang=nl", 200),
    "statement": (f"/entities/{STATEMENT}?lang=en", 200),
    "questions": ("/questions?lang=nl", 200),
    "editor": ("/sparql?lang=en", 200),
    "error": (f"/entities/{UNKNOWN}?lang=nl", 404),
}


def settle(tab: Tab) -> None:
    """Wait until the page's scripts are done (``goto`` waits for the load event, by which the deferred scripts have
    run): the graph drawn where there is one, the editor built (and its requests done) where there is one."""
    page = tab.page
    if page.locator("#graph").count():
        page.wait_for_selector("#graph[data-state=ready]", state="attached", timeout=WAIT_MS)
    if "/sparql" in page.url:
        page.wait_for_selector(".yasgui .CodeMirror", timeout=WAIT_MS)
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)


def open_page(tab: Tab, page_type: str) -> None:
    path, status = PAGES[page_type]
    response = tab.goto(path, status=status)
    assert response.headers["content-type"].startswith("text/html"), (path, response.headers["content-type"])
    settle(tab)


@pytest.mark.parametrize("page_type", list(PAGES))
def test_no_serious_or_critical_axe_violation(tab: Tab, page_type: str) -> None:
    open_page(tab, page_type)
    tab.shot(page_type)  # the top of the page; the whole page is the phone test's shot
    tab.assert_accessible(page_type)


@pytest.mark.parametrize("page_type", list(PAGES))
def test_no_sideways_scrolling_on_a_phone(open_tab, page_type: str) -> None:
    tab = open_tab(viewport=PHONE)
    open_page(tab, page_type)
    tab.shot(f"{page_type}-390px", full_page=True)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    wide = tab.page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .filter(el => ![...el.querySelectorAll('*')].some(c => c.getBoundingClientRect().right >
                       document.documentElement.clientWidth + 1))
        .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                         (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
                         + ' right=' + Math.round(el.getBoundingClientRect().right))""")
    assert width <= PHONE["width"], f"{page_type}: scrollWidth {width} > {PHONE['width']}; widest: {wide}"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_error_in_a_browser_is_a_page_in_its_language_with_a_way_back(tab: Tab, lang: str) -> None:
    for path in (f"/entities/{UNKNOWN}?lang={lang}", f"/no-such-page?lang={lang}"):
        tab.goto(path, status=404)
        page = tab.page
        assert page.evaluate("document.documentElement.lang") == lang, path
        assert page.locator("h1").count() == 1, path
        home = page.locator("main a[href^='/?'], main a[href='/']")
        assert home.count() >= 1, f"{path}: no link back home in the page"
        assert page.locator("main #q[role=combobox]").count() == 1, f"{path}: no search box on the error page"
        tab.shot(f"error-{lang}-{path.split('?')[0].strip('/').replace('/', '-')}")
        home.first.click()
        page.wait_for_load_state("load")
        assert page.evaluate("location.pathname") == "/", path
        assert page.evaluate("document.documentElement.lang") == lang, f"{path}: the way back changed the language"
