"""Search finds the words people use: Dutch (Netherlands and Belgium) and English, lay and clinical,
with the synonym's scope saying how well the word fits (issue 7)."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("words, expected, field", [
    ("kaaknecrose", "OSTEOKG:0000108", "exact synonym"),           # lay Dutch for osteonecrosis of the jaw
    ("kunstheup", "OSTEOKG:0005011", "narrow synonym"),            # an artificial hip: one kind of joint replacement
    ("DEXA scan", "OSTEOKG:0004000", "exact synonym"),
    ("botdichtheidsmeting", "OSTEOKG:0004000", "exact synonym"),   # the Dutch (NL) word; the brochure's is botdensiteitsmeting
    ("heupkopnecrose", "OSTEOKG:0000107", "label"),
    ("broken hip", "OSTEOKG:0000102", "exact synonym"),
    ("benauwdheid", "OSTEOKG:0003005", "exact synonym"),
    ("Fractuur Liaisonservice", "OSTEOKG:0006000", "label"),
])
def test_the_words_people_search_with_find_the_term(client, words: str, expected: str, field: str) -> None:
    body = client.get("/search", query_string={"q": words}).json
    top = body["items"][0]
    assert top["id"] == expected and top["match"]["field"] == field and top["match"]["type"] == "exact"


@pytest.mark.parametrize("words", ["brittle bone disease", "Liaison-service"])
def test_a_misnamed_synonym_is_gone(client, words: str) -> None:
    """No entity has the text any more; a search may still find entities by its words, never as that text."""
    items = client.get("/search", query_string={"q": words, "limit": 100}).json["items"]
    assert all(item["match"]["type"] != "exact" for item in items)
    assert all(item["match"]["text"].casefold() != words.casefold() for item in items)


@pytest.mark.parametrize("words", ["o", "bot", "breuk"])
def test_search_pages_follow_one_total_order(client, words: str) -> None:
    """The same question twice gives the same order, and the pages put together are the whole list (issue 8)."""
    query = {"q": words, "lang": "nl", "limit": 500}
    full = client.get("/search", query_string=query).json
    assert full == client.get("/search", query_string=query).json and full["total"] > 10
    pages = [item for offset in range(0, full["total"], 7)
             for item in client.get("/search", query_string={**query, "limit": 7, "offset": offset}).json["items"]]
    assert pages == full["items"] and len({item["id"] for item in pages}) == full["total"]
