"""The response cache in front of the app: repeats are answered without Flask, and answered alike."""
from __future__ import annotations

from api.cache import EXTENSION, MARK


def test_a_repeat_is_answered_by_the_cache_identically(app, client) -> None:
    cache = app.extensions[EXTENSION]
    url = "/entities/OSTEOKG:0000107/relations?lang=nl&limit=5"  # a view's answer (api/front.py answers limit-less)
    first = client.get(url)
    assert MARK not in first.headers
    key = (app.extensions["osteokg"].id, "/entities/OSTEOKG:0000107/relations", "lang=nl&limit=5", "", "", "")  # no Accept, Accept-Language or language cookie
    assert key in cache.items
    second = client.get(url)
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
    assert not [k for k in cache.items if k[0] == "/entities/OSTEOKG:9999998"]
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

