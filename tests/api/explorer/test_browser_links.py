"""Every link on a sample of pages, as chromium sees them after the scripts ran: each same-origin link answers
below 400 (fetched over HTTP from 127.0.0.1, as a browser asks: Accept text/html first), each fragment that names
a place (``#files``; not a view's state such as the graph's ``#graph?…``) names an element of its target page,
and each link to another host is marked external (``rel`` contains ``external``) and is not followed.

The sample: the home page, an entity page (osteonecrosis, in Dutch), a source's page (its publisher's URL is the
external link), and the questions page (every answer's links).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.api.explorer.conftest import Tab, follow, split_fragment

SAMPLE = {
    "home": "/?lang=en",
    "entity": "/entities/OSTEOKG:0000106?lang=nl",
    "source": "/entities/OSTEOKG:0008002?lang=en",  # Medicinfo's page: its publisher's URL
    "questions": "/questions?lang=en",
}


class Ids(HTMLParser):
    """The ids (and a names) of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value and (key == "id" or (tag == "a" and key == "name")):
                self.ids.add(value)


def ids_of(html: str) -> set[str]:
    parser = Ids()
    parser.feed(html)
    return parser.ids


@pytest.mark.parametrize("name", list(SAMPLE))
def test_every_link_resolves_and_external_ones_are_marked(tab: Tab, name: str) -> None:
    tab.goto(SAMPLE[name])
    tab.page.wait_for_load_state("networkidle")
    tab.shot(name)
    links = tab.links()
    assert links, f"{name}: no links"
    here = set(tab.page.eval_on_selector_all("[id], a[name]", "els => els.map(e => e.id || e.name)"))
    internal, external, problems = [], [], []
    for link in links:
        href = link["href"]
        if href.startswith(tab.origin + "/") or href == tab.origin:
            internal.append(link)
        elif re.match(r"https?://", href):
            external.append(link)
        else:
            problems.append(f"not a web link: {link['raw']!r} ({link['text']!r})")
    for link in external:
        if "external" not in link["rel"].split():
            problems.append(f"external link not marked rel=external: {link['href']} ({link['text']!r}, "
                            f"rel={link['rel']!r})")
    answers = follow([split_fragment(link["href"])[0] for link in internal])
    for link in internal:
        target, fragment = split_fragment(link["href"])
        status, body = answers[target]
        if status >= 400:
            problems.append(f"{status} for {link['raw']} ({link['text']!r})")
            continue
        if fragment and re.fullmatch(r"[A-Za-z][\w.:-]*", fragment):  # a place on the page, not a view's state
            same_page = target == split_fragment(tab.page.url)[0]
            ids = here if same_page else ids_of(body)
            if fragment not in ids:
                problems.append(f"#{fragment} is not on {target} ({link['text']!r})")
    assert not problems, f"{name} ({tab.page.url}), {len(internal)} internal and {len(external)} external links:\n" \
        + "\n".join(sorted(set(problems)))
    if name == "source":
        assert external, "a source's page links its publisher's site"
