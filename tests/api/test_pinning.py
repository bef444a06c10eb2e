"""``?release=`` over a build folder holding three real releases (tests/kg/pinning_releases.py): the newest
served, the old one answering the entity route (the lean path and the view), /relations, /search, an explorer page
and /version from its own content; the version form; 404 and 400 problems; the response cache keeping the releases
apart; ``If-None-Match: *`` on the cached and the uncached path; /sparql refusing it; the OpenAPI document."""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from api import create_app
from api.cache import EXTENSION as CACHE
from api.graph import pinned_of
from api.http import RELEASE_HEADER
from api.pinning import with_release
from kg.releases import CURRENT, KEEP_RELEASES, MANIFEST, RELEASES
from kg.service.pinned import LOOK_AGAIN, PATTERN
from tests.kg.pinning_releases import (
    BONE_TISSUE,
    ENTITY,
    NEW_LABEL,
    NEW_VERSION,
    OLD_LABEL,
    OLD_VERSION,
    Three,
    write_three,
)

MISSING = "OSTEOKG:0000999"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def three(built, tmp_path_factory) -> Three:
    return write_three(built, tmp_path_factory.mktemp("pinning") / "build")


@pytest.fixture(scope="module")
def app(three):
    return create_app({"TESTING": True, "BUILD_DIR": str(three.root)})


@pytest.fixture
def client(app):
    return app.test_client()


def front(app):
    return app.extensions["osteokg_front"]


def problem_of(answer, status: int) -> dict:
    assert answer.status_code == status, answer.data[:300]
    assert answer.mimetype == PROBLEM and answer.headers["Access-Control-Allow-Origin"]
    return answer.json


def test_the_entity_route_answers_from_the_pinned_release(app, client, three) -> None:
    lean = front(app)
    before = lean.answered
    old = client.get(f"/entities/{ENTITY}?release={three.old}")
    assert lean.answered == before + 1  # the lean path answered it, from the old release's documents
    assert old.status_code == 200 and old.json["label"] == OLD_LABEL and old.headers[RELEASE_HEADER] == three.old
    current = client.get(f"/entities/{ENTITY}")
    assert current.json["label"] == NEW_LABEL and current.headers[RELEASE_HEADER] == three.new
    assert old.headers["ETag"] != current.headers["ETag"]
    lean.enabled = False
    try:
        view = client.get(f"/entities/{ENTITY}?release={three.old}")
    finally:
        lean.enabled = True
    assert lean.answered == before + 2
    assert view.data == old.data and view.headers["ETag"] == old.headers["ETag"]
    both = client.get(f"/entities/{ENTITY}?lang=nl&release={three.old}")
    assert both.status_code == 200 and both.headers["Content-Language"] == "nl" and lean.answered == before + 3


def test_the_version_form_names_the_same_release(client, three) -> None:
    assert client.get(f"/entities/{ENTITY}?release={OLD_VERSION}").json["label"] == OLD_LABEL
    current = client.get(f"/entities/{ENTITY}?release={NEW_VERSION}")  # the current release has it: the current one
    assert current.headers[RELEASE_HEADER] == three.new and current.json["label"] == NEW_LABEL


def test_relations_search_and_version_answer_from_the_pinned_release(app, client, three) -> None:
    def targets(query: str) -> set[str]:
        answer = client.get(f"/entities/{ENTITY}/relations?limit=200{query}")
        assert answer.status_code == 200
        return {item["object"]["id"] for item in answer.json["items"]}

    assert BONE_TISSUE in targets(f"&release={three.old}") and BONE_TISSUE in targets(f"&release={three.middle}")
    assert BONE_TISSUE not in targets("")  # the newest release removed the edge
    lean = front(app)
    before = lean.answered
    listed = client.get(f"/entities/{ENTITY}/relations?release={three.old}")  # the lean path's listing
    assert lean.answered == before + 1 and BONE_TISSUE in {i["object"]["id"] for i in listed.json["items"]}

    def labels(query: str) -> list[str]:
        answer = client.get(f"/search?q=osteonecrosis&lang=en{query}")
        assert answer.status_code == 200
        return [item["label"] for item in answer.json["items"] if item["id"] == ENTITY]

    assert labels(f"&release={three.old}") == [OLD_LABEL] and labels("") == [NEW_LABEL]
    assert client.get(f"/version?release={three.old}").json["release"] == three.old
    assert client.get(f"/version?release={three.old}").json["version_iri"].endswith(f"/{OLD_VERSION}/osteokg.owl")


def test_an_explorer_page_answers_from_the_pinned_release(client, three) -> None:
    old = client.get(f"/entities/{ENTITY}?release={three.old}", headers={"Accept": "text/html"})
    new = client.get(f"/entities/{ENTITY}", headers={"Accept": "text/html"})
    assert old.status_code == new.status_code == 200 and old.mimetype == "text/html"
    assert f"<title>{OLD_LABEL}" in old.text and f"<title>{NEW_LABEL}" in new.text
    assert old.headers[RELEASE_HEADER] == three.old


@pytest.mark.parametrize("value", ["cccccccccccccccc", "9.9.9"])
def test_a_release_not_kept_is_a_404_listing_the_kept_ones(client, three, value) -> None:
    for path in (f"/entities/{ENTITY}", "/search?q=bone&", "/version"):
        joined = "&" if "?" in path and not path.endswith("&") else ("" if path.endswith("&") else "?")
        body = problem_of(client.get(f"{path}{joined}release={value}"), 404)
        assert all(r in body["detail"] for r in (three.old, three.middle, three.new)) and body["id"] == value


@pytest.mark.parametrize("query", ["release=xyz", "release=", "release=0.1.0%0A", f"release={'a' * 17}",
                                   "release=0.1.0&release=0.0.9", "re%6Cease=xyz"])
def test_a_malformed_release_is_a_400(client, query) -> None:
    for path in (f"/entities/{ENTITY}", f"/entities/{ENTITY}/relations", "/categories"):
        body = problem_of(client.get(f"{path}?{query}"), 400)
        assert body["parameter"] == "release"


def test_a_browser_gets_the_error_page(client) -> None:
    answer = client.get(f"/entities/{ENTITY}?release=cccccccccccccccc", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert answer.headers["Access-Control-Allow-Origin"] and "cccccccccccccccc" in answer.text


def test_sparql_refuses_release(client, three) -> None:
    query = "SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%201"
    body = problem_of(client.get(f"/sparql?query={query}&release={three.old}"), 400)
    assert "current release only" in body["detail"]
    posted = client.post(f"/sparql?release={three.old}", data={"query": "ASK {}"})
    assert "current release only" in problem_of(posted, 400)["detail"]
    assert client.get(f"/sparql?query={query}").status_code == 200  # without it: answered


def test_other_methods_refuse_release(client, three) -> None:
    body = problem_of(client.post(f"/cds-services/osteokg-order-sign?release={three.old}", json={}), 400)
    assert body["parameter"] == "release" and "GET" in body["detail"]
    assert client.put(f"/entities/{ENTITY}?release={three.old}").status_code == 405  # no such method: the app's
    assert client.get(f"/nowhere?release={three.old}").status_code == 404
    preflight = client.options(f"/entities/{ENTITY}?release=cccccccccccccccc")
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"]  # CORS, whatever the value


def test_the_cache_keeps_the_releases_apart(app, client, three) -> None:
    cache = app.extensions[CACHE]
    cache.clear()
    url = f"/entities/{ENTITY}"
    turtle = {"Accept": "text/turtle"}  # not the lean path's JSON: the view answers, and the cache keeps it
    new = client.get(url, headers=turtle)
    hits = cache.hits
    old = client.get(f"{url}?release={three.old}", headers=turtle)
    assert cache.hits == hits  # not the current release's answer
    assert OLD_LABEL in old.text and NEW_LABEL in new.text and old.headers["ETag"] != new.headers["ETag"]
    again = client.get(f"{url}?release={three.old}", headers=turtle)
    assert cache.hits == hits + 1 and again.data == old.data and again.headers[RELEASE_HEADER] == three.old
    by_version = client.get(f"{url}?release={OLD_VERSION}", headers=turtle)
    assert by_version.data == old.data  # its own entry (another URL), the same release's content
    stale = client.get(url, headers={**turtle, "If-None-Match": old.headers["ETag"]})
    assert stale.status_code == 200 and stale.data == new.data  # an old release's ETag is not the current one's


@pytest.mark.parametrize("cached", [True, False])
def test_if_none_match_star(app, client, three, cached: bool) -> None:
    cache = app.extensions[CACHE]
    for query in ("", f"?release={three.old}"):
        cache.clear()
        turtle = {"Accept": "text/turtle"}
        if cached:
            assert client.get(f"/entities/{ENTITY}{query}", headers=turtle).status_code == 200
        hits = cache.hits
        answer = client.get(f"/entities/{ENTITY}{query}", headers={**turtle, "If-None-Match": "*"})
        assert answer.status_code == 304 and answer.data == b"" and answer.headers["ETag"]
        assert cache.hits == hits + (1 if cached else 0)  # which path answered
        json_answer = client.get(f"/entities/{ENTITY}{query}", headers={"If-None-Match": "*"})  # past the lean path
        assert json_answer.status_code == 304
        missing = client.get(f"/entities/{MISSING}{query}", headers={**turtle, "If-None-Match": "*"})
        assert missing.status_code == 404 and missing.mimetype == PROBLEM
        weak = client.get(f"/entities/{ENTITY}{query}", headers={**turtle, "If-None-Match": f'W/{answer.headers["ETag"]}'})
        assert weak.status_code == 304  # the weak comparison RFC 9110 asks of If-None-Match, on both paths


def test_params_admit_release_everywhere_they_admit_lang(client, three) -> None:
    for path in ("/relations", "/categories", "/statements", "/questions", "/openapi.json", "/health"):
        assert client.get(f"{path}?release={three.old}").status_code == 200, path
    refused = client.get("/relations?colour=red").json
    assert "release" in refused["detail"]  # the route's parameters, the global one with them


def check_documented(spec: dict) -> None:
    defined = spec["components"]["parameters"]["Release"]
    assert defined["name"] == "release" and f"The {KEEP_RELEASES} releases kept" in defined["description"]
    assert defined["schema"]["pattern"] == PATTERN
    ref = {"$ref": "#/components/parameters/Release"}
    for path in ("/entities/{curie}", "/entities/{curie}/relations", "/search", "/version", "/questions", "/changes"):
        operation = spec["paths"][path]["get"]
        assert ref in operation["parameters"] and {"400", "404"} <= set(operation["responses"]), path
    for path in ("/sparql", "/metrics", "/static/{filename}", "/cds-services"):
        assert ref not in spec["paths"][path]["get"].get("parameters", []), path
    assert "current release only" in spec["paths"]["/sparql"]["get"]["responses"]["400"]["description"]
    assert json.dumps(spec).count('"name": "release"') == 1
    validate(spec)  # a valid OpenAPI 3.1 document, the references resolved


def test_the_document_defines_release_once_and_references_it() -> None:
    from api.openapi import document

    check_documented(with_release(document()))
    check_documented(with_release(with_release(document())))  # applied twice, the same


def test_the_served_document_has_it(client) -> None:
    check_documented(client.get("/openapi.json").json)


def test_a_pruned_release_is_a_404(built, three, tmp_path: Path) -> None:
    root = tmp_path / "build"  # a copy of this test's own: newer builds push the old release out
    (root / RELEASES).mkdir(parents=True)
    for identifier in (three.old, three.middle, three.new):
        shutil.copytree(three.root / RELEASES / identifier, root / RELEASES / identifier, symlinks=True)
    (root / CURRENT).symlink_to(Path(RELEASES) / three.new)
    app = create_app({"TESTING": True, "BUILD_DIR": str(root)})
    client = app.test_client()
    assert client.get(f"/entities/{ENTITY}?release={three.old}").json["label"] == OLD_LABEL
    for n in range(KEEP_RELEASES - 1):
        identifier = f"{n + 1:x}" * 16
        folder = root / RELEASES / identifier
        shutil.copytree(root / RELEASES / three.middle, folder, symlinks=True)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        manifest.update(release=identifier, built_at=f"2099-01-0{n + 1}T00:00:00+00:00")
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    time.sleep(LOOK_AGAIN)  # the folder is looked at again within LOOK_AGAIN seconds
    body = problem_of(client.get(f"/entities/{ENTITY}?release={three.old}"), 404)
    assert three.old not in body["detail"].split("kept:")[1]
    shutil.rmtree(root / RELEASES / three.old)  # pruned from the disk too: the same answer
    problem_of(client.get(f"/entities/{ENTITY}?release={three.old}"), 404)
    assert three.old not in pinned_of(app).held()
    pinned_of(app).close()


def test_changes_and_head_follow_the_pin(client, three) -> None:
    changes = client.get(f"/changes?since={three.old}&release={three.middle}").json
    assert changes["from"]["release"] == three.old and changes["to"]["release"] == three.middle
    assert [t["after"] for t in changes["terms"]["relabelled"] if t["id"] == ENTITY] == [NEW_LABEL]
    assert not changes["edges"]["removed"]  # the edge went in the newest release, not this one
    head = client.head(f"/entities/{ENTITY}?release={three.old}")
    assert head.status_code == 200 and head.headers[RELEASE_HEADER] == three.old and head.data == b""
    refused = client.head(f"/entities/{ENTITY}?release=xyz")
    assert refused.status_code == 400 and refused.mimetype == PROBLEM and refused.data == b""


def test_a_served_process_pins_requests_from_many_threads(three) -> None:
    """A real ``osteokg serve`` (granian, threads) on 127.0.0.1: requests for the three releases at once, each
    answered from its own release, and the refusals as problems."""
    import concurrent.futures
    import urllib.error
    import urllib.request

    from tests.api.conftest import start_server, stop_server

    process, base = start_server(three.root)
    try:
        def get(query: str) -> tuple[int, str, dict]:
            request = urllib.request.Request(f"{base}/entities/{ENTITY}{query}", headers={"Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return answer.status, answer.headers[RELEASE_HEADER], json.loads(answer.read())
            except urllib.error.HTTPError as refused:
                return refused.code, refused.headers.get("Content-Type", ""), json.loads(refused.read())

        asked = [f"?release={three.old}", f"?release={three.middle}", "", f"?release={OLD_VERSION}"] * 25
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(get, asked))
        expected = {f"?release={three.old}": (three.old, OLD_LABEL), f"?release={three.middle}": (three.middle, NEW_LABEL),
                    "": (three.new, NEW_LABEL), f"?release={OLD_VERSION}": (three.old, OLD_LABEL)}
        for query, (status, release, body) in zip(asked, answers):
            assert status == 200 and (release, body["label"]) == expected[query], query
        status, kind, body = get("?release=cccccccccccccccc")
        assert status == 404 and kind == PROBLEM and three.old in body["detail"]
        assert get("?release=nope")[0] == 400
    finally:
        stop_server(process)


def test_after_a_reload_the_old_current_release_is_pinned_and_the_new_one_current(three, tmp_path: Path) -> None:
    from api.graph import releases_of
    from kg.releases import switch

    root = tmp_path / "build"
    (root / RELEASES).mkdir(parents=True)
    for identifier in (three.old, three.middle, three.new):
        (root / RELEASES / identifier).symlink_to(three.root / RELEASES / identifier, target_is_directory=True)
    (root / CURRENT).symlink_to(Path(RELEASES) / three.new)
    app = create_app({"TESTING": True, "BUILD_DIR": str(root)})
    client = app.test_client()
    assert client.get(f"/entities/{ENTITY}?release={three.middle}").headers[RELEASE_HEADER] == three.middle
    switch(root, three.middle)  # a rollback
    assert releases_of(app).check()
    pinned = pinned_of(app)
    opened = pinned.opened
    current = client.get(f"/entities/{ENTITY}?release={three.middle}")
    assert current.headers[RELEASE_HEADER] == three.middle and pinned.opened == opened  # the current one now
    before = client.get(f"/entities/{ENTITY}/relations?limit=200&release={three.new}")
    assert before.headers[RELEASE_HEADER] == three.new and pinned.opened == opened + 1  # the one it replaced
    assert BONE_TISSUE not in {i["object"]["id"] for i in before.json["items"]}
    pinned.close()
    releases_of(app).close()


def test_a_kept_release_that_cannot_be_opened_is_a_503(three, tmp_path: Path) -> None:
    root = tmp_path / "build"
    (root / RELEASES).mkdir(parents=True)
    for identifier in (three.old, three.new):
        (root / RELEASES / identifier).symlink_to(three.root / RELEASES / identifier, target_is_directory=True)
    damaged = root / RELEASES / three.middle
    shutil.copytree(three.root / RELEASES / three.middle, damaged, symlinks=True)
    shutil.rmtree(damaged / "oxigraph")
    (damaged / "osteokg.nt").unlink()  # its graph gone: it cannot be opened
    (root / CURRENT).symlink_to(Path(RELEASES) / three.new)
    app = create_app({"TESTING": True, "BUILD_DIR": str(root)})
    client = app.test_client()
    body = problem_of(client.get(f"/entities/{ENTITY}?release={three.middle}"), 503)
    assert three.middle in body["detail"] and "Traceback" not in body["detail"]
    assert client.get(f"/entities/{ENTITY}?release={three.old}").json["label"] == OLD_LABEL  # the others still answer
    pinned_of(app).close()


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|action|data-src|data-suggest)="([^"#]+)', html)


def test_a_pinned_page_keeps_its_release_in_every_link_that_takes_it(client, three) -> None:
    page = client.get(f"/entities/{ENTITY}?lang=en&release={three.old}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    note = re.search(r'<p class="notice release-note" role="note">(.*?)</p>', page.text, re.DOTALL)
    assert note and three.old in note.group(1)
    links = [link.replace("&amp;", "&") for link in _links(page.text.replace(note.group(0), ""))]
    own = [link for link in links if link.startswith("/") and not link.startswith(("/static/", "/sparql"))]
    assert len(own) > 10 and all(f"release={three.old}" in link for link in own), own
    assert all("release=" not in link for link in links if link.startswith(("/static/", "/sparql")))
    assert any(link.startswith(f"/entities/{ENTITY}/graph?") for link in own)  # the graph's data comes from it too
    # the note: an earlier release, and the same page in the current one
    (current_link,) = re.findall(r'href="([^"]+)"', note.group(1))
    assert "release=" not in current_link and current_link.startswith(f"/entities/{ENTITY}")
    now = client.get(current_link.replace("&amp;", "&"), headers={"Accept": "text/html"})
    assert now.status_code == 200 and "release-note" not in now.text and f"<title>{NEW_LABEL}" in now.text
    assert all("release=" not in link for link in _links(now.text))


def test_pinned_to_the_current_release_links_keep_it_without_a_note(client, three) -> None:
    page = client.get(f"/search?q=heup&lang=nl&release={three.new}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "release-note" not in page.text
    entity_links = [link for link in _links(page.text) if link.startswith("/entities/")]
    assert entity_links and all(f"release={three.new}" in link for link in entity_links)
    assert f'name="release" value="{three.new}"' in page.text  # the search form (a GET form drops its action's query)
    assert 'name="release"' not in client.get("/search?q=heup", headers={"Accept": "text/html"}).text


def test_a_json_answer_links_alike_pinned_or_not(client, three) -> None:
    """The lean path's answers are the release's documents (written at build time): the view's links match them."""
    pinned = client.get(f"/categories?release={three.old}").json["items"]
    assert pinned == client.get("/categories").json["items"] and all("release" not in i["href"] for i in pinned)


def test_a_refused_release_is_not_carried_into_links(client) -> None:
    """Its error page's menu leads out of it (the language switch and the permalink are that page itself)."""
    page = client.get("/?release=9.9.9", headers={"Accept": "text/html"})
    menu = re.search(r"<nav .*?</nav>", page.text, re.DOTALL)
    assert page.status_code == 404 and menu and "/search" in menu.group(0) and "release=" not in menu.group(0)
