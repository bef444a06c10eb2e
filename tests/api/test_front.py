"""The lean path of the hot entity routes (api/front.py) answers exactly as the Flask views do."""
from __future__ import annotations

import pytest

from api.cache import EXTENSION

ROUTES = ("", "/relations", "/parents", "/children", "/ancestors", "/descendants")
OSTEONECROSIS = "OSTEOKG:0000106"


@pytest.fixture
def front(app):
    found = app.extensions["osteokg_front"]
    found.enabled = True
    yield found
    found.enabled = True


def both(client, front, path: str, **headers):
    """(the answer of the lean path, the answer of the Flask view) to the same request, neither from the cache."""
    cache = client.application.extensions[EXTENSION]
    front.enabled, before = True, front.answered
    cache.clear()
    fast = client.get(path, headers=headers)
    lean = front.answered - before
    front.enabled = False
    cache.clear()
    slow = client.get(path, headers=headers)
    cache.clear()
    front.enabled = True
    return fast, slow, lean


def same(fast, slow) -> None:
    assert fast.status == slow.status and fast.data == slow.data
    assert sorted((k, v) for k, v in fast.headers if k != "Date") == sorted((k, v) for k, v in slow.headers if k != "Date")


def test_every_entity_route_answers_as_the_view_header_for_header(app, client, front) -> None:
    from kg.service import open_release

    release = open_release(app.config["BUILD_DIR"])
    ids = [iri.replace("https://w3id.org/osteokg/OSTEOKG_", "OSTEOKG:") for iri in release.entries
           if iri.startswith("https://w3id.org/osteokg/OSTEOKG_")]
    release.close()
    assert len(ids) > 150
    for curie in ids:
        for route in ROUTES:
            for query, headers in (("", {}), ("?lang=nl", {}), ("", {"Accept-Language": "nl-BE, nl;q=0.9"})):
                fast, slow, lean = both(client, front, f"/entities/{curie}{route}{query}", **headers)
                assert lean == 1, (curie, route, query)
                same(fast, slow)
    assert front.answered >= len(ids) * len(ROUTES) * 3


@pytest.mark.parametrize("path, headers, status", [
    (f"/entities/{OSTEONECROSIS}?limit=5", {}, 400),  # a parameter the route refuses: the view says so
    (f"/entities/{OSTEONECROSIS}/relations?limit=5", {}, 200),  # a parameter the lean path leaves to the view
    (f"/entities/{OSTEONECROSIS}?lang=de", {}, 400),
    ("/entities/OSTEOKG:9999999", {}, 404),
    ("/entities/not-a-curie", {}, 400),
    (f"/entities/{OSTEONECROSIS}", {"Accept": "text/turtle"}, 200),
    (f"/entities/{OSTEONECROSIS}", {"Accept": "text/html"}, 200),
    (f"/entities/{OSTEONECROSIS}", {"Accept": "image/png"}, 406),
    (f"/entities/{OSTEONECROSIS}/siblings", {}, 400),  # {curie} takes the rest of the path: not a CURIE
])
def test_what_the_lean_path_leaves_to_the_view(client, front, path: str, headers: dict, status: int) -> None:
    fast, slow, lean = both(client, front, path, **headers)
    assert lean == 0 and fast.status_code == status
    same(fast, slow)


def test_a_code_still_redirects_and_a_conditional_request_still_gets_304(client, front) -> None:
    xrefs = client.get(f"/entities/{OSTEONECROSIS}").json["xrefs"]
    code = next(x["id"] for x in xrefs if x["match"] == "exactMatch")
    fast, slow, lean = both(client, front, f"/entities/{code}")
    assert lean == 0 and fast.status_code in (303, 200)
    same(fast, slow)
    etag = client.get(f"/entities/{OSTEONECROSIS}").headers["ETag"]
    fast, slow, lean = both(client, front, f"/entities/{OSTEONECROSIS}", **{"If-None-Match": etag})
    assert lean == 0 and fast.status_code == 304
    same(fast, slow)


def test_json_is_chosen_as_the_view_chooses_it(client, front) -> None:
    for accept in ("", "*/*", "application/json", "application/json, text/html;q=0.5", "text/html;q=0.2, */*"):
        fast, slow, _ = both(client, front, f"/entities/{OSTEONECROSIS}", Accept=accept)
        same(fast, slow)
        assert fast.mimetype == slow.mimetype


@pytest.mark.parametrize("path", ["/entities/OSTEOKG:0000106%0A", "/entities/OSTEOKG:0000106%0A/relations"])
def test_a_trailing_newline_is_not_an_id(client, path) -> None:
    """The lean path's route pattern lets no final newline by (a regex's $ did: the entity answered 200); the
    app's own routing then finds no such resource."""
    answer = client.get(path)
    assert answer.status_code == 404 and answer.json["detail"]
