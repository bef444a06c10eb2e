"""A page pinned to a release (``?release=``) keeps it in what its scripts make, in chromium: the search box's
suggestions (their request and the page they open), a search submitted with Enter, and the graph's "open this
term" link (api/static/explorer.js, api/static/graph.js). The session's server has one release, so the page is
pinned to the current one by its id: a pin the server accepts, and the links must still carry it. The server's
own links and the note on an earlier release's page are tests/api/test_pinning.py's."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.api.explorer.conftest import WAIT_MS, Tab, wait_for
from tests.api.explorer.test_browser_entity import node_point, wait_ready

OSTEONECROSIS = "OSTEOKG:0000106"


def release_of(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query).get("release", [])


def test_suggestions_search_and_the_graph_keep_the_pinned_release(tab: Tab) -> None:
    page = tab.page
    release = page.request.get(f"{tab.base}/version").json()["release"]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/suggest" in r.url else None)

    tab.goto(f"/?lang=nl&release={release}")
    box = page.locator("#q")
    box.click()
    box.press_sequentially("botnec", delay=60)
    page.wait_for_selector("#q-listbox [role=option]", state="visible", timeout=WAIT_MS)
    assert asked and all(release_of(url) == [release] for url in asked), asked
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(re.escape(OSTEONECROSIS)), timeout=WAIT_MS)
    assert release_of(page.url) == [release] and parse_qs(urlsplit(page.url).query)["lang"] == ["nl"]
    tab.shot("pinned-entity")

    wait_ready(tab)
    others = page.evaluate("document.getElementById('graph')._cy.nodes().map(n => n.id())")
    neighbour = next(node for node in others if node != OSTEONECROSIS)
    page.mouse.click(*node_point(tab, neighbour))
    wait_for(page, f"document.getElementById('graph').dataset.centre === {neighbour!r}")
    link = page.locator("#graph-open").get_attribute("href") or ""
    assert urlsplit(link).path == f"/entities/{neighbour}" and release_of(link) == [release], link

    tab.goto(f"/?lang=en&release={release}")
    page.locator("#q").fill("heup")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"), timeout=WAIT_MS)
    assert release_of(page.url) == [release] and parse_qs(urlsplit(page.url).query)["q"] == ["heup"]
