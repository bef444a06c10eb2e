"""The home page's search box in chromium: suggestions as you type, picked with the keyboard or the mouse, and the
ARIA combobox behaviour around them (api/static/explorer.js over the markup of api/templates/_macros.html).

The contract: ``#q`` is ``role=combobox`` controlling ``#q-listbox`` (``role=listbox``) of ``role=option`` items;
ArrowDown/ArrowUp move ``aria-activedescendant`` (the active option ``aria-selected=true``), Enter on an option
opens its entity page, Enter without one submits the search, Escape closes the list and a second Escape clears
the box; ``#q-status`` says how many suggestions there are.
"""
from __future__ import annotations

import re

import pytest

from tests.api.explorer.conftest import WAIT_MS, Tab, wait_for

OSTEONECROSIS = "OSTEOKG:0000106"
LABEL = {"nl": "botnecrose", "en": "osteonecrosis"}


def type_in_search(tab: Tab, text: str, lang: str = "nl") -> None:
    """Open the home page and type ``text`` into its search box as a person does (a key at a time); wait for the
    suggestions."""
    tab.goto(f"/?lang={lang}")
    box = tab.page.locator("#q")
    box.click()
    box.press_sequentially(text, delay=60)
    tab.page.wait_for_selector("#q-listbox [role=option]", state="visible", timeout=WAIT_MS)
    assert box.get_attribute("aria-expanded") == "true"


def options(tab: Tab) -> list[dict[str, str]]:
    return tab.page.eval_on_selector_all(
        "#q-listbox [role=option]",
        "els => els.map(o => ({id: o.id, entity: o.dataset.id, text: o.textContent, selected: o.getAttribute('aria-selected')}))")


def on_entity_page(tab: Tab, entity: str, lang: str) -> None:
    tab.page.wait_for_url(re.compile(re.escape(entity)), timeout=WAIT_MS)
    assert tab.page.evaluate("decodeURIComponent(location.pathname)") == f"/entities/{entity}"
    assert tab.page.evaluate("document.documentElement.lang") == lang
    assert tab.page.locator("h1").inner_text().strip() == LABEL[lang]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_type_botnec_and_pick_the_suggestion_with_the_keyboard(tab: Tab, lang: str) -> None:
    type_in_search(tab, "botnec", lang)
    found = options(tab)
    assert found[0]["entity"] == OSTEONECROSIS, f"the first suggestion for 'botnec' is osteonecrosis: {found}"
    assert LABEL[lang] in found[0]["text"] or "botnecrose" in found[0]["text"]
    assert all(o["id"] and o["selected"] == "false" for o in found)
    status = tab.page.locator("#q-status")
    wait_for(tab.page, "document.getElementById('q-status').textContent.trim() !== ''")
    assert str(len(found)) in status.inner_text()
    tab.shot("suggestions")
    box = tab.page.locator("#q")
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == found[0]["id"]
    assert tab.page.locator(f"#{found[0]['id']}").get_attribute("aria-selected") == "true"
    if len(found) > 1:  # down and up again: the active option follows
        box.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") == found[1]["id"]
        assert tab.page.locator(f"#{found[0]['id']}").get_attribute("aria-selected") == "false"
        box.press("ArrowUp")
        assert box.get_attribute("aria-activedescendant") == found[0]["id"]
    tab.shot("first-suggestion-active")
    if lang == "nl":  # the combobox open, an option active: a state of the home page axe must check too
        tab.assert_accessible("home, suggestions open")
    box.press("Enter")
    on_entity_page(tab, OSTEONECROSIS, lang)
    tab.shot("osteonecrosis")


def test_type_botnec_and_pick_the_suggestion_with_the_mouse(tab: Tab) -> None:
    type_in_search(tab, "botnec", "nl")
    tab.page.locator(f"#q-listbox [role=option][data-id='{OSTEONECROSIS}']").click()
    on_entity_page(tab, OSTEONECROSIS, "nl")
    tab.shot("osteonecrosis")


def test_escape_closes_then_clears_tab_closes_and_enter_without_an_option_searches(tab: Tab) -> None:
    type_in_search(tab, "botnec", "nl")
    box = tab.page.locator("#q")
    box.press("Escape")
    assert tab.page.locator("#q-listbox").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "botnec"
    box.press("Escape")
    assert box.input_value() == ""
    box.press_sequentially("kaak", delay=60)
    tab.page.wait_for_selector("#q-listbox [role=option]", state="visible", timeout=WAIT_MS)
    box.press("Tab")  # leaving the box closes the list
    tab.page.wait_for_selector("#q-listbox", state="hidden", timeout=WAIT_MS)
    assert box.get_attribute("aria-expanded") == "false"
    box.fill("")
    box.focus()
    box.press_sequentially("heupfrac", delay=60)
    tab.page.wait_for_selector("#q-listbox [role=option]", state="visible", timeout=WAIT_MS)
    box.press("Enter")  # no option active: the form is submitted
    tab.page.wait_for_url(re.compile(r"/search\?"), timeout=WAIT_MS)
    assert "q=heupfrac" in tab.page.url
    results = tab.page.locator("main ol.results li")
    assert results.count() >= 1
    assert "heupfractuur" in results.first.inner_text()
    tab.shot("results")


def test_without_scripts_the_search_form_still_searches(open_tab) -> None:
    """Progressive enhancement: with JavaScript off the box is a plain form that submits to /search."""
    tab = open_tab(locale="nl-NL", java_script_enabled=False)
    tab.goto("/")
    tab.page.locator("#q").fill("heupfractuur")
    tab.page.locator("form[role=search] button[type=submit]").click()
    tab.page.wait_for_url(re.compile(r"/search\?"), timeout=WAIT_MS)
    assert tab.page.evaluate("document.documentElement.lang") == "nl"
    results = tab.page.locator("main ol.results li a")
    assert results.count() >= 1
    assert results.first.inner_text().strip() == "heupfractuur"
    tab.shot("results-without-scripts")
