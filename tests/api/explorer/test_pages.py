"""The explorer's pages through the Flask app: languages, the switch that sticks, search, entity, category,
statement and source pages, errors for a person, and the JSON API unchanged for every other client."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from api.params import LANG_COOKIE

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
OSTEONECROSIS, JAW_OSTEONECROSIS = "OSTEOKG:0000106", "OSTEOKG:0000108"


def page(client, url: str, **headers: str) -> str:
    response = client.get(url, headers={**BROWSER, **headers})
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs))


def links(html: str) -> list[dict]:
    parser = Links()
    parser.feed(html)
    return parser.links


@pytest.fixture
def client(app):
    return app.test_client()  # a fresh cookie jar per test


def test_home_is_in_the_readers_language(client) -> None:
    nl = page(client, "/", **{"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert '<html lang="nl">' in nl and "Voorbeeldvragen" in nl and "geen medisch hulpmiddel" in nl
    assert 'role="combobox"' in nl and 'aria-controls="q-listbox"' in nl
    en = page(client, "/?lang=en")
    assert '<html lang="en">' in en and "not a medical device" in en
    hrefs = {link["href"] for link in links(en)}
    assert {"/sparql", "/docs"} <= hrefs and any(h.startswith("/categories/") for h in hrefs)
    assert any(h.startswith("/ontology/osteokg.ttl") for h in hrefs)


def test_the_language_switch_sticks_and_the_cache_keeps_the_languages_apart(client, app) -> None:
    first = page(client, "/entities/OSTEOKG:0000106?lang=nl")
    assert "botnecrose" in first
    switch = next(link for link in links(first) if link.get("hreflang") == "en")
    assert "lang=en" in switch["href"]
    page(client, switch["href"])  # following the switch keeps English ...
    assert '<html lang="en">' in page(client, "/entities/OSTEOKG:0000107")  # ... on the next page without lang=
    other = app.test_client()  # another reader, same URL, no cookie, Dutch browser: not the cached English page
    assert '<html lang="nl">' in page(other, "/entities/OSTEOKG:0000107", **{"Accept-Language": "nl"})
    response = client.get("/entities/OSTEOKG:0000107", headers=BROWSER)
    assert "Cookie" in response.headers["Vary"]
    json = client.get("/entities/OSTEOKG:0000107", headers={"Accept-Language": "nl"})  # the API ignores the cookie
    assert json.mimetype == "application/json" and json.json["lang"] == "nl"


def test_a_bad_cookie_is_ignored(client) -> None:
    client.set_cookie(LANG_COOKIE, "xx")
    assert '<html lang="en">' in page(client, "/", **{"Accept-Language": "en"})


def test_search_page_shows_label_category_and_why_it_matched(client) -> None:
    html = page(client, "/search?q=botontkalking&lang=nl")
    assert 'href="/entities/OSTEOKG:0000100?lang=nl"' in html  # osteoporose, through its lay synonym
    assert "osteoporose" in html and "aandoening" in html
    assert "synoniem" in html and "“<span lang=\"nl\">botontkalking</span>”" in html
    empty = page(client, "/search?lang=en")
    assert "Type a word to search." in empty
    none = page(client, "/search?q=zzzzzzqqq&lang=en")
    assert "Nothing found" in none


def test_search_pages_are_paged(client) -> None:
    html = page(client, "/search?q=fractuur&lang=nl&limit=2")
    assert 'rel="next"' in html and "1–2 van" in html
    assert 'rel="prev"' in page(client, "/search?q=fractuur&lang=nl&limit=2&offset=2")


def test_an_entity_page_leads_to_its_children_and_says_where_each_fact_comes_from(client) -> None:
    html = page(client, f"/entities/{OSTEONECROSIS}?lang=nl")
    children = html.split('id="children"', 1)[1].split("</ul>", 1)[0]
    assert f'href="/entities/{JAW_OSTEONECROSIS}?lang=nl"' in children and "kaakbotnecrose" in children
    assert 'aria-label="U bent hier"' in html and "Codes in andere terminologieën" in html
    assert "“De botten die het meest worden aangetast" in html  # the quote of a has-location edge
    assert 'id="graph"' in html and 'id="graph-table"' in html and "/entities/OSTEOKG:0000106/graph?lang=nl" in html
    jaw = page(client, f"/entities/{JAW_OSTEONECROSIS}?lang=en")
    assert 'href="/entities/OSTEOKG:0001004?lang=en">jaw</a>' in jaw  # its location, concluded from its definition
    assert "follows from the definition of osteonecrosis of the jaw" in jaw


def test_a_category_page_lists_its_members_paged(client) -> None:
    html = page(client, "/categories/OSTEOKG:0000010?lang=en&limit=5")
    members = html.split('<ul class="grid">', 1)[1].split("</ul>", 1)[0]
    assert members.count('<li><a href="/entities/') == 5 and 'rel="next"' in html
    entity = page(client, "/entities/OSTEOKG:0000010?lang=en")  # the category's own page lists them too
    assert "Terms of this kind" in entity
    assert "Browse by kind" in page(client, "/categories?lang=en")


def test_a_statement_page_reads_its_numbers_and_quotes_its_source(client) -> None:
    html = page(client, "/entities/OSTEOKG:0007000?lang=nl")
    assert "<strong>1 op de 3</strong>" in html and "vrouwen boven de 50 jaar" in html
    assert "“Eén op de drie vrouwen en één op de vijf mannen boven de 50 jaar" in html
    about = page(client, "/entities/OSTEOKG:0000100?lang=en")
    assert "<strong>1 in 3</strong>" in about


def test_a_source_page_links_its_publisher_as_an_external_site(client) -> None:
    html = page(client, "/entities/OSTEOKG:0008001?lang=en")
    (website,) = [link for link in links(html) if link["href"].startswith("https://www.uzgent.be")]
    assert "external" in website["rel"] and "noopener" in website["rel"]
    assert all(not link["href"].startswith("/entities/https") for link in links(html))


@pytest.mark.parametrize("url, status", [("/no/such/page", 404), ("/entities/OSTEOKG:9999999", 404),
                                         ("/search?q=heup&limit=0", 400), ("/entities/OSTEOKG:0000106?lang=xx", 400)])
def test_errors_in_a_browser_are_pages_with_a_way_back(client, url: str, status: int) -> None:
    response = client.get(url, headers={**BROWSER, "Accept-Language": "nl"})
    assert response.status_code == status and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Er ging iets mis" in html and "Terug naar de startpagina" in html and 'role="combobox"' in html
    assert re.search(r"<strong>Wat er mis was:</strong> <span lang=\"en\">[^<]+</span>", html)
    api = client.get(url, headers={"Accept": "application/json"})  # the JSON API is unchanged
    assert api.status_code == status and api.mimetype == "application/problem+json" and api.json["status"] == status


def test_the_home_and_questions_routes_answer_json_to_a_client(client) -> None:
    assert client.get("/").json["links"]["sparql"] == "/sparql"
    assert client.get("/", headers={"Accept": "*/*"}).mimetype == "application/json"
