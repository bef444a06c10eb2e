"""Entity pages in chromium: osteonecrosis leads somewhere (its children, then the jaw), and its graph view is
alive (double-click expands, a relation filtered off hides its edges, a click recentres).

The graph's hooks (api/static/graph.js): the cytoscape instance is ``#graph._cy``, ``#graph[data-state=ready]``
once drawn, ``data-centre`` the id in the centre, a checkbox per relation in ``#graph-controls`` (labelled with
the relation and its count) and ``#graph-open``, the link to the centre's page. What the graph should gain on
expanding is read from the API (``/entities/{id}/graph``), not written here.
"""
from __future__ import annotations

import re

import pytest

from tests.api.explorer.conftest import WAIT_MS, Tab

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


def test_the_graph_expands_filters_and_recentres(tab: Tab) -> None:
    tab.goto(f"/entities/{OSTEONECROSIS}?lang=en")
    page = tab.page
    wait_ready(tab)
    assert page.locator("#graph").get_attribute("data-centre") == OSTEONECROSIS
    before = graph_ids(tab)
    assert OSTEONECROSIS in before and len(before) > 5
    tab.shot("drawn")

    # double-click the jaw's osteonecrosis: its own neighbourhood (from the API) is merged in
    own = page.request.get(f"/entities/{JAW_OSTEONECROSIS}/graph?lang=en").json()
    new = {n["id"] for n in own["nodes"]} - before
    assert new, "the jaw osteonecrosis' graph adds nodes to osteonecrosis' (else the test proves nothing)"
    assert JAW_OSTEONECROSIS in before
    page.mouse.dblclick(*node_point(tab, JAW_OSTEONECROSIS))
    page.wait_for_function("n => document.getElementById('graph')._cy.nodes().length > n", arg=len(before),
                           timeout=WAIT_MS)
    wait_ready(tab)
    after = graph_ids(tab)
    assert new <= after, f"not merged in: {sorted(new - after)}"
    assert len(after) == len(set(after)) and before <= after
    assert page.locator("#graph").get_attribute("data-centre") == JAW_OSTEONECROSIS
    tab.shot("expanded")

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
    page.wait_for_function(f"{visible}.length < {shown}", timeout=WAIT_MS)
    assert page.evaluate(f"{visible}.filter(e => e.data('predicate') === {LOCATED_IN!r}).length") == 0
    assert page.evaluate(f"{visible}.length") == shown - located
    tab.shot("filtered")
    box.check()
    page.wait_for_function(f"{visible}.length === {shown}", timeout=WAIT_MS)

    # a click recentres: the centre, its highlight and the "open this term's page" link follow
    wait_ready(tab)
    page.mouse.click(*node_point(tab, OSTEONECROSIS))
    page.wait_for_function(f"document.getElementById('graph').dataset.centre === {OSTEONECROSIS!r}",
                           timeout=WAIT_MS)
    assert page.evaluate("document.getElementById('graph')._cy.nodes('.centre').map(n => n.id())") == [OSTEONECROSIS]
    wait_ready(tab)
    link = page.locator("#graph-open")
    assert link.get_attribute("href").split("?")[0] == f"/entities/{OSTEONECROSIS}"
    tab.shot("recentred")
    link.click()
    page.wait_for_url(re.compile(re.escape(OSTEONECROSIS)))
    assert path_of(tab) == f"/entities/{OSTEONECROSIS}"


def test_the_edges_table_holds_what_the_graph_draws(tab: Tab) -> None:
    """The table beside the graph (for keyboard and screen-reader users) has a row per edge of the API's graph
    that touches the centre, hierarchy aside."""
    tab.goto(f"/entities/{OSTEONECROSIS}?lang=en")
    wait_ready(tab)
    rows = tab.page.locator("#graph-table tbody tr")
    drawn = tab.page.evaluate(
        f"document.getElementById('graph')._cy.edges().filter(e => e.data('predicate') !== 'rdfs:subClassOf' && "
        f"(e.data('source') === {OSTEONECROSIS!r} || e.data('target') === {OSTEONECROSIS!r})).length")
    assert rows.count() >= 1 and drawn >= 1
    assert rows.count() == drawn, f"table rows {rows.count()} vs edges drawn at the centre {drawn}"
