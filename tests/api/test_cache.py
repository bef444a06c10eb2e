"""The response cache in front of the app: repeats are answered without Flask, and answered alike."""
from __future__ import annotations

import pytest

from api.cache import EXTENSION, MARK


def test_a_repeat_is_answered_by_the_cache_identically(app, client) -> None:
    cache = app.extensions[EXTENSION]
    url = "/entities/OSTEOKG:0000107/relations?lang=nl&limit=5"  # a view's answer (api/front.py answers limit-less)
    first = client.get(url)
    assert MARK not in first.headers
    # no Accept (none given), no Accept-Language (English), no language cookie
    key = (app.extensions["osteokg"].id, "/entities/OSTEOKG:0000107/relations", "lang=nl&limit=5", (False, ()), "en", "")
    assert key in cache.items
    hits = cache.hits
    second = client.get(url)
    assert cache.hits == hits + 1
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == "application/json" and MARK not in second.headers


def test_each_representation_is_kept_apart(client) -> None:
    url = "/entities/OSTEOKG:0000108"
    as_json = client.get(url)
    as_turtle = client.get(url, headers={"Accept": "text/turtle"})
    in_dutch = client.get(url, headers={"Accept-Language": "nl"})
    assert as_json.mimetype == "application/json" and as_turtle.mimetype == "text/turtle"
    assert in_dutch.json["label"] == "kaakbotnecrose" and as_json.json["label"] == "osteonecrosis of the jaw"
    assert len({as_json.headers["ETag"], as_turtle.headers["ETag"], in_dutch.headers["ETag"]}) == 3


def test_cached_answer_honours_if_none_match(client) -> None:
    url = "/entities/OSTEOKG:0000109/children?limit=3"
    etag = client.get(url).headers["ETag"]
    client.get(url)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b"" and response.headers["ETag"] == etag


def test_errors_and_other_methods_are_never_cached(app, client) -> None:
    cache = app.extensions[EXTENSION]
    for _ in range(2):
        assert client.get("/entities/OSTEOKG:9999998").status_code == 404
    assert not [k for k in cache.items if k[1] == "/entities/OSTEOKG:9999998"]
    assert client.post("/entities/OSTEOKG:0000106").status_code == 405
    assert client.head("/entities/OSTEOKG:0000106").status_code == 200


def test_the_cache_is_bounded(build_dir) -> None:
    from api import create_app

    small = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "RESPONSE_CACHE_SIZE": 3})
    client = small.test_client()
    for digits in ("0000100", "0000101", "0000102", "0000103", "0000104"):
        assert client.get(f"/entities/OSTEOKG:{digits}", headers={"Accept": "text/turtle"}).status_code == 200
    assert len(small.extensions[EXTENSION].items) == 3


def test_the_lean_paths_answers_are_not_kept(app, client) -> None:
    """api/front.py answers a lookup for less than a cache miss costs: the cache keeps none of them."""
    cache = app.extensions[EXTENSION]
    front = app.extensions["osteokg_front"]
    before = front.answered
    assert client.get("/entities/OSTEOKG:0000110").status_code == 200 and front.answered == before + 1
    assert not [k for k in cache.items if k[1] == "/entities/OSTEOKG:0000110"]



DUTCH = ["nl", "NL", "nl-BE", "nl-NL,nl;q=0.9,en;q=0.8", "fr, nl;q=0.5", "nl, nl", "de;q=0.9, nl;q=0.8, en;q=0.1"]
ENGLISH = ["", "en", "en-GB,en;q=0.9", "fr", "x-klingon", "*", "nl;q=0, en;q=0", "de, en;q=0.2, nl;q=0.1", ";;,"]


@pytest.mark.parametrize("url", ["/entities/OSTEOKG:0000113/relations?limit=3", "/search?q=botnecrose",
                                 "/entities/OSTEOKG:0000113/ancestors?limit=2"])
def test_accept_language_keys_on_the_language_the_answer_gets(app, client, url: str) -> None:
    """Every spelling of 'Dutch' (and of 'not Dutch': English) is one entry, answered from the cache after the first."""
    cache = app.extensions[EXTENSION]
    answers = {}
    for language, headers in (("nl", DUTCH), ("en", ENGLISH)):
        first = client.get(url, headers={"Accept-Language": headers[0]} if headers[0] else {})
        assert first.status_code == 200
        hits = cache.hits
        for header in headers[1:]:
            again = client.get(url, headers={"Accept-Language": header})
            assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"], header
        assert cache.hits == hits + len(headers) - 1  # none of them reached the app
        answers[language] = first.data
    assert answers["nl"] != answers["en"]
    assert len([k for k in cache.items if (k[1], k[2]) == tuple(url.split("?"))]) == 2


def test_the_cached_answer_is_the_one_the_app_gives(build_dir) -> None:
    """Each header's answer through the cache is byte for byte what a cache-less app gives that header."""
    from api import create_app

    cached = create_app({"TESTING": True, "BUILD_DIR": str(build_dir)}).test_client()
    bare = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "RESPONSE_CACHE_SIZE": 0}).test_client()
    url = "/entities/OSTEOKG:0000114/relations?limit=6"
    for header in DUTCH + ENGLISH:
        headers = {"Accept-Language": header} if header else {}
        assert cached.get(url, headers=headers).data == bare.get(url, headers=headers).data, header


def test_spellings_of_one_accept_share_an_entry(app, client) -> None:
    cache = app.extensions[EXTENSION]
    url = "/entities/OSTEOKG:0000115"
    first = client.get(url, headers={"Accept": "text/turtle;q=0.5, application/ld+json;q=0.4"})
    assert first.mimetype == "text/turtle"
    hits = cache.hits
    for spelling in ("text/turtle; q=0.50,application/ld+json ;q=0.4", "application/ld+json;q=0.4,text/turtle;q=0.5"):
        again = client.get(url, headers={"Accept": spelling})
        assert again.data == first.data and again.mimetype == "text/turtle"
    assert cache.hits == hits + 2
    other = client.get(url, headers={"Accept": "text/turtle;q=0.4, application/ld+json;q=0.5"})
    assert other.mimetype == "application/ld+json" and cache.hits == hits + 2  # another meaning: its own entry


CONDITIONALS = [{"If-None-Match": "*"}, {"If-None-Match": "{etag}"}, {"If-None-Match": "W/{etag}"},
                {"If-None-Match": '"other", {etag}'}, {"If-None-Match": '"other"'}, {"If-Match": "{etag}"},
                {"If-Match": '"other"'}, {"If-Match": "*"}, {"If-None-Match": "*", "If-Match": "{etag}"}]


@pytest.mark.parametrize("conditional", CONDITIONALS, ids=lambda h: "|".join(f"{k}:{v}" for k, v in h.items()))
def test_a_conditional_request_is_answered_alike_by_the_cache_and_the_app(app, client, conditional) -> None:
    """The cache decides a conditional request as the Flask path does (werkzeug's make_conditional): status, body
    and headers alike, whichever of the two answers (``If-None-Match: *`` a 304: RFC 9110 §13.1.2)."""
    cache = app.extensions[EXTENSION]
    url = "/entities/OSTEOKG:0000110/parents?limit=4"
    etag = client.get(url).headers["ETag"]
    headers = {name: value.format(etag=etag) for name, value in conditional.items()}
    cache.clear()
    hits = cache.hits
    uncached = client.get(url, headers=headers)
    assert cache.hits == hits and uncached.status_code in (200, 304, 412)
    cache.clear()  # (a 200 of the app's is kept)
    client.get(url)  # kept now
    cached = client.get(url, headers=headers)
    assert cache.hits == hits + 1
    assert (cached.status_code, cached.data) == (uncached.status_code, uncached.data)
    assert sorted(k for k, _ in cached.headers if k != "Date") == sorted(k for k, _ in uncached.headers if k != "Date")
    if conditional == {"If-None-Match": "*"}:
        assert cached.status_code == 304


def test_if_none_match_star_on_a_missing_entity_is_its_404(client) -> None:
    for _ in range(2):  # the second could only come from the cache if a 404 were kept
        answer = client.get("/entities/OSTEOKG:9999997", headers={"If-None-Match": "*"})
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
