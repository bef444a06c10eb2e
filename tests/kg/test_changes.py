"""kg.service.changes: two releases of the real graph, the second edited as an editor would (an edge
removed, a statement's number changed, a term relabelled, moved and made obsolete), compared; the
Atom feed parses and names each change once."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from rdflib import OWL, RDFS, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.build import Built
from kg.service import Service
from kg.service.changes import atom, diff, snapshot
from kg.vocab import OKG, TERM_REPLACED_BY
from tests.kg.conftest import write_release_folder

O = "https://w3id.org/osteokg/OSTEOKG_"
PREDNISONE, HAS_ADVERSE_EFFECT, OSTEONECROSIS = URIRef(O + "0002001"), URIRef(O + "0009011"), URIRef(O + "0000106")
STATEMENT, FRACTURE_CASCADE, FRACTURE = URIRef(O + "0007000"), URIRef(O + "0000105"), URIRef(O + "0000011")


@pytest.fixture(scope="module")
def releases(built, tmp_path_factory):
    old = write_release_folder(built, tmp_path_factory.mktemp("old"), release="aaaaaaaaaaaaaaaa",
                               built_at="2026-11-01T00:00:00+00:00")
    graph = Graph()
    for triple in built.graph:
        graph.add(triple)
    graph.remove((PREDNISONE, HAS_ADVERSE_EFFECT, OSTEONECROSIS))
    graph.remove((STATEMENT, OKG.value, None))
    graph.add((STATEMENT, OKG.value, Literal(Decimal("0.25"), datatype=XSD.decimal)))
    graph.remove((OSTEONECROSIS, RDFS.label, Literal("osteonecrosis", lang="en")))
    graph.add((OSTEONECROSIS, RDFS.label, Literal("bone death", lang="en")))
    graph.add((FRACTURE_CASCADE, OWL.deprecated, Literal(True)))
    graph.add((FRACTURE_CASCADE, TERM_REPLACED_BY, FRACTURE))
    new = write_release_folder(Built(graph, {}), tmp_path_factory.mktemp("new"), release="bbbbbbbbbbbbbbbb",
                               built_at="2026-12-01T00:00:00+00:00")
    return snapshot(Service.open(old)), snapshot(Service.open(new))


def test_the_same_release_has_no_change(releases) -> None:
    old, _new = releases
    changes = diff(old, old)
    assert all(not items for part in ("edges", "statements", "terms") for items in changes[part].values())


def test_an_edited_release_names_each_change(releases) -> None:
    old, new = releases
    changes = diff(old, new)
    removed = [(e["subject"]["id"], e["predicate"]["id"], e["object"]["id"]) for e in changes["edges"]["removed"]]
    assert ("OSTEOKG:0002001", "OSTEOKG:0009011", "OSTEOKG:0000106") in removed
    assert not changes["edges"]["added"]
    [statement] = changes["statements"]["changed"]
    assert statement["id"] == "OSTEOKG:0007000" and statement["changed"] == ["value"]
    assert statement["before"]["value"] == ["0.3333"] and statement["after"]["value"] == ["0.25"]
    assert {"id": "OSTEOKG:0000106", "lang": "en", "before": "osteonecrosis", "after": "bone death"} \
        in changes["terms"]["relabelled"]
    assert changes["terms"]["obsoleted"] == [{"id": "OSTEOKG:0000105", "label": "fracture cascade",
                                              "replaced_by": "OSTEOKG:0000011"}]
    assert changes["from"]["release"] == "aaaaaaaaaaaaaaaa" and changes["to"]["release"] == "bbbbbbbbbbbbbbbb"
    assert diff(old, new) == changes  # the same two releases, the same answer


def test_the_reverse_direction_adds_what_was_removed(releases) -> None:
    old, new = releases
    back = diff(new, old)
    added = [(e["subject"]["id"], e["predicate"]["id"], e["object"]["id"]) for e in back["edges"]["added"]]
    assert ("OSTEOKG:0002001", "OSTEOKG:0009011", "OSTEOKG:0000106") in added
    assert back["terms"]["obsoleted"] == []  # un-obsoleting is not an obsoletion


def test_the_atom_feed_has_one_entry_per_change(releases) -> None:
    old, new = releases
    changes = diff(old, new)
    feed = ET.fromstring(atom(changes, "https://osteokg.example/changes.atom?since=aaaaaaaaaaaaaaaa"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    count = (sum(len(changes["edges"][k]) for k in ("added", "removed", "changed"))
             + sum(len(changes["statements"][k]) for k in ("added", "removed", "changed"))
             + sum(len(v) for v in changes["terms"].values()))
    assert len(entries) == count > 0
    ids = [e.find("a:id", ns).text for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:") for i in ids)
    assert feed.find("a:link", ns).get("href").endswith("since=aaaaaaaaaaaaaaaa")
    titles = [e.find("a:title", ns).text for e in entries]
    assert any(t.startswith("Term obsolete: fracture cascade, replaced by OSTEOKG:0000011") for t in titles)


def test_the_edges_it_lists_are_in_the_one_shape_of_an_edge(releases) -> None:
    """Added, removed and changed edges are the edge objects the releases answer (kg.service.shapes.edge), the
    changed ones with changed and before."""
    from kg.service.shapes import EDGE_KEYS

    changes = diff(*releases)
    listed = [*changes["edges"]["added"], *changes["edges"]["removed"], *changes["edges"]["changed"]]
    assert listed
    for edge in listed:
        assert tuple(k for k in edge if k in EDGE_KEYS) == EDGE_KEYS and edge["direction"] == "out"
        assert set(edge["predicate"]) >= {"id", "iri", "label", "labels"}
        assert edge["strength"] is None or set(edge["strength"]) == {"id", "label"}
        assert all({"source", "quote"} <= set(e) for e in edge["evidence"])
    for edge in changes["edges"]["changed"]:
        assert edge["changed"] and set(edge["before"]) == set(edge["changed"])
