"""The language in chromium: a page follows the browser's language (Accept-Language), ``?lang=`` overrides it, and
the visible switch in the header sticks: the next page opened without ``lang=`` is in the language chosen."""
from __future__ import annotations

from tests.api.explorer.conftest import Tab

OSTEONECROSIS = "OSTEOKG:0000106"


def lang_of(tab: Tab) -> str:
    return tab.page.evaluate("document.documentElement.lang")


def switch(tab: Tab) -> None:
    """Follow the header's language switch, as a reader clicks it."""
    link = tab.page.locator("header a.lang")
    assert link.count() == 1, "one language switch in the header"
    link.click()
    tab.page.wait_for_load_state("load")


def test_the_browser_language_then_the_switch_that_sticks(open_tab) -> None:
    tab = open_tab(locale="nl-NL")
    tab.goto("/")
    assert lang_of(tab) == "nl", "a Dutch browser gets the Dutch home page"
    assert tab.page.locator("header a.lang").inner_text().strip() == "English"
    tab.shot("home-nl")
    switch(tab)
    assert lang_of(tab) == "en" and "lang=en" in tab.page.url
    tab.shot("home-en")
    # pages opened without lang= keep the choice
    tab.goto("/questions")
    assert lang_of(tab) == "en"
    assert tab.page.locator("h1").inner_text().strip() == "Example questions"
    tab.goto(f"/entities/{OSTEONECROSIS}")
    assert lang_of(tab) == "en"
    assert tab.page.locator("h1").inner_text().strip() == "osteonecrosis"
    tab.shot("entity-en-without-lang")
    switch(tab)  # and back
    assert lang_of(tab) == "nl"
    assert tab.page.locator("h1").inner_text().strip() == "botnecrose"
    tab.goto("/search?q=heup")
    assert lang_of(tab) == "nl"
    tab.shot("search-nl-without-lang")


def test_lang_in_the_url_beats_the_browser_language(open_tab) -> None:
    tab = open_tab(locale="en-GB")
    tab.goto("/")
    assert lang_of(tab) == "en"
    tab.goto(f"/entities/{OSTEONECROSIS}?lang=nl")
    assert lang_of(tab) == "nl"
    assert tab.page.locator("h1").inner_text().strip() == "botnecrose"
    # a page's own links carry its language on
    tab.page.locator("header nav a", has_text="Voorbeeldvragen").click()
    tab.page.wait_for_load_state("load")
    assert lang_of(tab) == "nl"
