"""api/changes.py over a build folder holding two releases (the real graph, and an edit of it): the JSON
and Atom answers, the default `since`, and the 400/404 answers."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
from rdflib import RDFS, Graph, Literal, URIRef

from api import create_app
from kg.build import Built
from kg.releases import CURRENT, RELEASES
from tests.kg.conftest import write_release_folder

OLD, NEW = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
OSTEONECROSIS = URIRef("https://w3id.org/osteokg/OSTEOKG_0000106")


@pytest.fixture(scope="module")
def client(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    (root / RELEASES).mkdir()
    old = root / RELEASES / OLD
    old.mkdir()
    write_release_folder(built, old, release=OLD, built_at="2026-11-01T00:00:00+00:00")
    graph = Graph()
    for triple in built.graph:
        graph.add(triple)
    graph.remove((OSTEONECROSIS, RDFS.label, Literal("osteonecrosis", lang="en")))
    graph.add((OSTEONECROSIS, RDFS.label, Literal("bone death", lang="en")))
    new = root / RELEASES / NEW
    new.mkdir()
    write_release_folder(Built(graph, {}), new, release=NEW, built_at="2026-12-01T00:00:00+00:00")
    os.symlink(os.path.join(RELEASES, NEW), root / CURRENT)
    return create_app({"TESTING": True, "BUILD_DIR": str(root)}).test_client()


def test_changes_since_a_kept_release(client) -> None:
    answer = client.get(f"/changes?since={OLD}")
    assert answer.status_code == 200 and answer.headers["ETag"]
    body = answer.json
    assert body["from"]["release"] == OLD and body["to"]["release"] == NEW
    assert body["terms"]["relabelled"] == [{"id": "OSTEOKG:0000106", "lang": "en", "before": "osteonecrosis",
                                            "after": "bone death"}]
    assert client.get("/changes").json == body  # the newest kept release before the current one


def test_the_atom_feed(client) -> None:
    answer = client.get(f"/changes.atom?since={OLD}")
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
    feed = ET.fromstring(answer.data)
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Term relabelled (en): osteonecrosis → bone death" in titles


@pytest.mark.parametrize(("query", "status", "says"), [
    ("since=xyz", 400, "release id"),
    ("since=cccccccccccccccc", 404, OLD),
    (f"since={OLD}&colour=red", 400, "colour"),
])
def test_bad_since(client, query, status, says) -> None:
    for path in ("/changes", "/changes.atom"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == status and says in answer.json["detail"]


def test_since_the_current_release_is_no_change(client) -> None:
    body = client.get(f"/changes?since={NEW}").json
    assert all(not items for part in ("edges", "statements", "terms") for items in body[part].values())
