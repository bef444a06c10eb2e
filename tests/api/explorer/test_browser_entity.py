"""Entity pages in chromium: osteonecrosis leads somewhere (its children, then the jaw), and its graph view is
alive (double-click expands, a relation filtered off hides its edges, the permalink keeps that view, a click
recentres).

The graph's hooks (api/static/graph.js): the cytoscape instance is ``#graph._cy``, ``#graph[data-state=ready]``
once drawn, ``data-centre`` the id in the centre, a checkbox per relation in ``#graph-controls`` (labelled with
the relation and its count) and ``#graph-open``, the link to the centre's page. What the graph should gain on
expanding is read from the API (``/entities/{id}/graph``), not written here.
"""
from __future__ import annotations

import re

import pytest

from tests.api.explorer.conftest import WAIT_MS, Tab, wait_for

OSTEONECROSIS = "OSTEOKG:0000106"
JAW_OSTEONECROSIS = "OSTEOKG:0000108"
JAW = "OSTEOKG:0001004"
LOCATED_IN = "OSTEOKG:0009003"  # the relation "has location" / "gelokaliseerd in"

NAMES = {  # label per language, as the tables have them (ontology/terms/*.tsv)
    "nl": {OSTEONECROSIS: "botnecrose", JAW_OSTEONECROSIS: "kaakbotnecrose", JAW: "kaak"},
    "en": {OSTEONECROSIS: "osteonecrosis", JAW_OSTEONECROSIS: "osteonecrosis of the jaw", JAW: "jaw"},
}


def path_of(tab: Tab) -> str:
    return tab.page.evaluate("decodeURIComponent(location.pathname)")


def wait_ready(tab: Tab) -> None:
    tab.page.wait_for_selector("#graph[data-state=ready]", state="attached", timeout=WAIT_MS)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_from_osteonecrosis_through_its_children_to_the_jaw(tab: Tab, lang: str) -> None:
    names = NAMES[lang]
    tab.goto(f"/entities/{OSTEONECROSIS}?lang={lang}")
    page = tab.page
    assert page.locator("h1").inner_text().strip() == names[OSTEONECROSIS]
    children = page.locator("#children + ul a")
    assert children.count() >= 7, "osteonecrosis lists its children (one per bone site and more)"
    tab.shot("osteonecrosis")
    page.locator("#children + ul").get_by_role("link", name=names[JAW_OSTEONECROSIS], exact=True).click()
    page.wait_for_url(re.compile(re.escape(JAW_OSTEONECROSIS)))
    assert path_of(tab) == f"/entities/{JAW_OSTEONECROSIS}"
    assert page.locator("h1").inner_text().strip() == names[JAW_OSTEONECROSIS]
    assert page.evaluate("document.documentElement.lang") == lang
    # its parents lead back up; its location is the jaw
    assert page.locator("#parents + ul").get_by_role("link", name=names[OSTEONECROSIS], exact=True).count() == 1
    tab.shot("osteonecrosis-of-the-jaw")
    # the jaw, as a reader finds it: a link to it in what the page says (opening a folded section if it is in one)
    open_and_click(tab, f"main section:not(#graph-view) a[href^='/entities/{JAW}?']", "its location")
    page.wait_for_url(re.compile(re.escape(JAW)))
    assert path_of(tab) == f"/entities/{JAW}"
    assert page.locator("h1").inner_text().strip() == names[JAW]
    tab.shot("jaw")


def open_and_click(tab: Tab, selector: str, step: str) -> None:
    """Click the first link ``selector`` finds; when it is inside a closed ``<details>``, open that first by
    clicking its summary, as a reader would."""
    link = tab.page.locator(selector).first
    assert link.count() == 1, f"no link {selector} on {tab.page.url}"
    if not link.is_visible():
        summary = link.locator("xpath=ancestor::details[1]/summary")
        assert summary.count() == 1, f"{selector} is hidden, and not in a <details> a reader can open"
        summary.click()
        tab.shot(f"{step}-opened")
    link.click()


def graph_ids(tab: Tab, selector: str = "node") -> set[str]:
    return set(tab.page.evaluate(f"document.getElementById('graph')._cy.elements({selector!r}).map(e => e.id())"))


def node_point(tab: Tab, node_id: str) -> tuple[float, float]:
    """Where ``node_id`` is drawn, in page coordinates (scrolled into view first)."""
    tab.page.locator("#graph").scroll_into_view_if_needed()
    box = tab.page.locator("#graph").bounding_box()
    assert box is not None
    at = tab.page.evaluate("id => document.getElementById('graph')._cy.getElementById(id).renderedPosition()", node_id)
    x, y = box["x"] + at["x"], box["y"] + at["y"]
    assert box["x"] <= x <= box["x"] + box["width"] and box["y"] <= y <= box["y"] + box["height"], \
        f"{node_id} is drawn outside the canvas at {at}"
    return x, y


def test_the_graph_expands_filters_and_recentres(open_tab) -> None:
    tab = open_tab()
    tab.goto(f"/entities/{OSTEONECROSIS}?lang=en")
    page = tab.page
    wait_ready(tab)
    assert page.locator("#graph").get_attribute("data-centre") == OSTEONECROSIS
    before = graph_ids(tab)
    assert OSTEONECROSIS in before and len(before) > 5
    tab.shot("drawn")

    # double-click a node whose own neighbourhood (from the API) has terms not drawn yet: they are merged in
    target, new = None, set()
    for candidate in [JAW, JAW_OSTEONECROSIS, *sorted(before - {OSTEONECROSIS})]:
        if candidate not in before:
            continue
        own = page.request.get(f"/entities/{candidate}/graph?lang=en").json()
        new = {n["id"] for n in own["nodes"]} - before
        if new:
            target = candidate
            break
    assert target, "some neighbour's graph adds nodes to osteonecrosis' (else the test proves nothing)"
    page.mouse.dblclick(*node_point(tab, target))
    wait_for(page, f"document.getElementById('graph')._cy.nodes().length > {len(before)}")
    wait_ready(tab)
    after = graph_ids(tab)
    assert new <= after, f"not merged in: {sorted(new - after)}"
    assert before <= after
    every = tab.page.evaluate("document.getElementById('graph')._cy.elements().map(e => e.id())")
    assert len(every) == len(set(every)), "each node and edge once"
    assert page.locator("#graph").get_attribute("data-centre") == target
    tab.shot("expanded")
    tab.assert_accessible("entity, graph expanded")

    # a relation filtered off: fewer visible edges, none of that relation
    visible = "document.getElementById('graph')._cy.edges(':visible')"
    shown = page.evaluate(f"{visible}.length")
    located = page.evaluate(f"{visible}.filter(e => e.data('predicate') === {LOCATED_IN!r}).length")
    assert located > 0
    label = page.evaluate(f"document.getElementById('graph')._cy.edges().filter(e => e.data('predicate') === "
                          f"{LOCATED_IN!r})[0].data('label')")
    box = page.locator("#graph-controls").get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)} \(\d+\)$"))
    assert box.is_checked()
    box.uncheck()
    wait_for(page, f"{visible}.length < {shown}")
    assert page.evaluate(f"{visible}.filter(e => e.data('predicate') === {LOCATED_IN!r}).length") == 0
    assert page.evaluate(f"{visible}.length") == shown - located
    tab.shot("filtered")

    # the permalink keeps the view: opened elsewhere, the same terms, centre and hidden relation
    permalink = page.locator("footer a[rel~=bookmark]").get_attribute("href")
    assert permalink and "#" in permalink, f"the permalink carries the graph's state: {permalink}"
    elsewhere = open_tab(label="permalink")
    elsewhere.goto(permalink)
    wait_ready(elsewhere)
    assert graph_ids(elsewhere) == graph_ids(tab)
    assert elsewhere.page.locator("#graph").get_attribute("data-centre") == target
    assert elsewhere.page.evaluate(f"{visible}.length") == shown - located
    elsewhere.shot("permalink-opened")

    box.check()
    wait_for(page, f"{visible}.length === {shown}")

    # a click recentres: the centre, its highlight and the "open this term's page" link follow
    wait_ready(tab)
    page.mouse.click(*node_point(tab, OSTEONECROSIS))
    wait_for(page, f"document.getElementById('graph').dataset.centre === {OSTEONECROSIS!r}")
    assert page.evaluate("document.getElementById('graph')._cy.nodes('.centre').map(n => n.id())") == [OSTEONECROSIS]
    wait_ready(tab)
    link = page.locator("#graph-open")
    assert link.get_attribute("href").split("?")[0] == f"/entities/{OSTEONECROSIS}"
    tab.shot("recentred")
    link.click()
    page.wait_for_url(re.compile(re.escape(OSTEONECROSIS)))
    assert path_of(tab) == f"/entities/{OSTEONECROSIS}"


def test_the_edges_table_holds_what_the_graph_draws(tab: Tab) -> None:
    """The table beside the graph (for keyboard and screen-reader users) connects the same pairs of terms as the
    graph drawn on load (a row may read an edge in its inverse direction); the graph's hierarchy edges are the
    page's parents and children lists."""
    tab.goto(f"/entities/{OSTEONECROSIS}?lang=en")
    wait_ready(tab)
    page = tab.page
    cell_id = "c => c.querySelector('a') ? decodeURIComponent(new URL(c.querySelector('a').href).pathname).split('/').pop() : null"
    rows = page.eval_on_selector_all("#graph-table tbody tr", f"rs => rs.map(r => [...r.cells].map({cell_id}))")
    table = {frozenset((row[0], row[2])) for row in rows}
    edges = page.evaluate("document.getElementById('graph')._cy.edges().map(e => [e.data('source'), "
                          "e.data('target'), e.data('predicate')])")
    drawn = {frozenset((s, t)) for s, t, predicate in edges if predicate != "rdfs:subClassOf"}
    assert table and table == drawn, f"only in the table: {table - drawn}; only drawn: {drawn - table}"
    listed = set(page.eval_on_selector_all("#parents + ul a, #children + ul a", "els => els.map(a => "
                                           "decodeURIComponent(new URL(a.href).pathname).split('/').pop())"))
    hierarchy = {t if s == OSTEONECROSIS else s for s, t, predicate in edges if predicate == "rdfs:subClassOf"
                 and OSTEONECROSIS in (s, t)}
    assert hierarchy <= listed, f"drawn as 'is a' but not in parents or children: {hierarchy - listed}"
