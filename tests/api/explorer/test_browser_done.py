"""The issue's "Done when", in chromium: a person with no SPARQL finds from ``/``, in Dutch and in English, which
bones osteonecrosis can affect, what follows a hip fracture and which osteoporosis treatment can cause jaw
osteonecrosis, each with its quote — by clicking and typing only (the home page's example questions, the search
box's suggestions, the links of the answers).

What must be found is read from the editors' tables (ontology/relations.tsv, ontology/terms/*.tsv), not written
here: every asserted edge of those relations must be on the page the person reaches, linking its other end and
carrying its quote (the source's Dutch words; for an English reader also a rendering marked as a translation).
"""
from __future__ import annotations

import re

import pytest

from tests.api.explorer.conftest import WAIT_MS, Tab, asserted_edges, term_labels

OSTEONECROSIS = "OSTEOKG:0000106"
HIP_FRACTURE = "OSTEOKG:0000102"
IV_BISPHOSPHONATE = "OSTEOKG:0005003"
JAW_OSTEONECROSIS = "OSTEOKG:0000108"
QUESTION = {  # the home page's example questions these start from (kg/queries/competency/<name>.rq)
    "bones": "bones-osteonecrosis-can-affect",
    "treatment": "osteoporosis-treatment-causing-osteonecrosis",
}


def click_through(tab: Tab, locator, step: str) -> None:
    locator.click()
    tab.page.wait_for_load_state("load")
    tab.shot(step)


def pick_suggestion(tab: Tab, typed: str, entity: str) -> None:
    """Type ``typed`` into the page's search box (on a page without one, the header's search link first) and click
    the suggestion for ``entity``."""
    box = tab.page.locator("#q")
    if not box.count():
        click_through(tab, tab.page.locator("header nav a[href^='/search']"), "search-page")
    box.click()
    box.press_sequentially(typed, delay=50)
    option = tab.page.locator(f"#q-listbox [role=option][data-id='{entity}']")
    option.wait_for(state="visible", timeout=WAIT_MS)
    tab.shot(f"suggestions-{typed}")
    option.click()
    tab.page.wait_for_url(re.compile(re.escape(entity)), timeout=WAIT_MS)
    tab.page.wait_for_load_state("load")


def question_link(tab: Tab, name: str):
    """The home page's link to the example question ``name`` (its text is the question in the page's language)."""
    link = tab.page.locator(f"main a[href*='/questions'][href$='#{name}']")
    assert link.count() == 1, f"the home page links the example question {name}"
    return link


def assert_edges_with_quotes(tab: Tab, edges: list[dict[str, str]], lang: str) -> None:
    """Every edge is on the page as a person reads it: an ``.edge`` linking its other end, showing its quote (and,
    in English, a translation beside it)."""
    assert edges, "the table has such edges (else the test proves nothing)"
    missing = []
    for edge in edges:
        shown = tab.page.locator("main .edge").filter(
            has=tab.page.locator(f"a[href^='/entities/{edge['object']}?']")).filter(has_text=edge["quote"])
        if not shown.count() or not shown.first.is_visible():
            missing.append(f"{edge['relation']} {edge['object']}: “{edge['quote']}”")
            continue
        if lang == "en":
            quote = shown.first.locator("blockquote").filter(has_text=edge["quote"]).first
            translation = quote.locator(".translation")
            if not translation.count() or not translation.first.inner_text().strip():
                missing.append(f"{edge['relation']} {edge['object']}: no English rendering beside “{edge['quote']}”")
    assert not missing, f"{tab.page.url}:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_which_bones_osteonecrosis_can_affect(open_tab, lang: str) -> None:
    locale = {"nl": "nl-NL", "en": "en-GB"}[lang]
    tab = open_tab(locale=locale)
    tab.goto("/")
    assert tab.page.evaluate("document.documentElement.lang") == lang
    tab.shot("home")
    # the example question on the home page, then its answer: every bone the sources name
    click_through(tab, question_link(tab, QUESTION["bones"]), "question")
    section = tab.page.locator(f"section#{QUESTION['bones']}")
    expected = asserted_edges(OSTEONECROSIS, {"has location"})
    answer = set(section.locator("table.answer a").evaluate_all(
        "els => els.map(a => decodeURIComponent(new URL(a.href).pathname).split('/').pop())"))
    assert {e["object"] for e in expected} <= answer, f"the answer lacks {sorted({e['object'] for e in expected} - answer)}"
    labels = term_labels()
    assert section.locator("table.answer").get_by_role("link", name=labels["OSTEOKG:0001004"][lang],
                                                       exact=True).count() == 1  # the jaw, in the page's language
    # and each with its quote: the osteonecrosis page, found with the search box
    pick_suggestion(tab, labels[OSTEONECROSIS][lang][:6], OSTEONECROSIS)
    tab.shot("osteonecrosis")
    assert_edges_with_quotes(tab, expected, lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_what_follows_a_hip_fracture(open_tab, lang: str) -> None:
    tab = open_tab(locale={"nl": "nl-NL", "en": "en-GB"}[lang])
    tab.goto("/")
    labels = term_labels()
    pick_suggestion(tab, labels[HIP_FRACTURE][lang][:8], HIP_FRACTURE)
    assert tab.page.locator("h1").inner_text().strip() == labels[HIP_FRACTURE][lang]
    tab.shot("hip-fracture")
    assert_edges_with_quotes(tab, asserted_edges(HIP_FRACTURE, {"has outcome", "causes"}), lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_which_osteoporosis_treatment_can_cause_jaw_osteonecrosis(open_tab, lang: str) -> None:
    tab = open_tab(locale={"nl": "nl-NL", "en": "en-GB"}[lang])
    tab.goto("/")
    labels = term_labels()
    click_through(tab, question_link(tab, QUESTION["treatment"]), "question")
    section = tab.page.locator(f"section#{QUESTION['treatment']}")
    treatment = section.locator("table.answer").get_by_role("link", name=labels[IV_BISPHOSPHONATE][lang], exact=True)
    assert treatment.count() == 1, "the answer names intravenous bisphosphonate"
    click_through(tab, treatment, "treatment")
    assert tab.page.evaluate("decodeURIComponent(location.pathname)") == f"/entities/{IV_BISPHOSPHONATE}"
    edges = [e for e in asserted_edges(IV_BISPHOSPHONATE, {"raises the risk of", "causes"})
             if e["object"] == JAW_OSTEONECROSIS]
    assert_edges_with_quotes(tab, edges, lang)
