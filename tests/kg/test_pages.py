"""kg.service.pages: an entity page's parts, the graph view's neighbourhood and numbers read as a person reads them."""
from __future__ import annotations

import pytest

from kg.service import Service
from kg.service.pages import SUBCLASS, Pages, reading
from tests.kg.conftest import write_release_folder

OSTEONECROSIS, JAW_OSTEONECROSIS, JAW = "OSTEOKG:0000106", "OSTEOKG:0000108", "OSTEOKG:0001004"


@pytest.fixture(scope="module")
def pages(built, tmp_path_factory) -> Pages:
    """Over the real graph (the session's build) as a release folder without documents: computed from the store."""
    folder = write_release_folder(built, tmp_path_factory.mktemp("pages"), version_iri="https://w3id.org/osteokg/test")
    return Pages(Service.open(folder))


def test_an_entity_page_leads_to_its_children_and_groups_its_edges(pages: Pages) -> None:
    view = pages.entity(pages.service.resolve(OSTEONECROSIS), "nl")
    assert JAW_OSTEONECROSIS in {c["id"] for c in view.children}
    assert view.crumbs == [{"id": "OSTEOKG:0000010", "label": "aandoening"}]
    predicates = [group["predicate"]["id"] for group in view.outgoing]
    assert predicates == sorted(set(predicates)), "one group per relation, in order"
    assert all(not e["inferred"] for g in view.outgoing for e in g["edges"])
    assert view.inferred and all(e["inferred"] for e in view.inferred)
    assert view.members is None  # not a category
    jaw = pages.entity(pages.service.resolve(JAW_OSTEONECROSIS), "en")
    by_definition = [e for e in jaw.inferred if e["object"]["id"] == JAW]  # its location follows from its definition
    assert by_definition and by_definition[0]["evidence"][0]["rule"] == "definition"
    assert [c["id"] for c in jaw.crumbs] == ["OSTEOKG:0000010", OSTEONECROSIS]


def test_a_category_page_has_its_members_paged(pages: Pages) -> None:
    view = pages.entity(pages.service.resolve("OSTEOKG:0000010"), "en", member_limit=5)
    assert view.members is not None and len(view.members.items) == 5 and view.members.total > 5


def test_a_statement_page_reads_its_numbers(pages: Pages) -> None:
    view = pages.entity(pages.service.resolve("OSTEOKG:0007000"), "nl")
    assert view.statement is not None and view.statement["reading"] == "1 op de 3"
    assert view.statement["evidence"]["quote"].startswith("Eén op de drie vrouwen")
    about = pages.entity(pages.service.resolve("OSTEOKG:0000100"), "en")
    assert "1 in 3" in {s["reading"] for s in about.statements}


def test_the_neighbourhood_draws_each_edge_once_with_its_hierarchy(pages: Pages) -> None:
    graph = pages.neighbourhood(pages.service.resolve(OSTEONECROSIS), "en")
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert graph["center"] == OSTEONECROSIS and OSTEONECROSIS in nodes
    assert nodes[OSTEONECROSIS]["category"] == {"id": "OSTEOKG:0000010", "label": "disorder"}
    ids = [e["id"] for e in graph["edges"]]
    assert len(ids) == len(set(ids))
    assert all(e["source"] in nodes and e["target"] in nodes for e in graph["edges"])
    assert {(e["source"], e["target"]) for e in graph["edges"] if e["predicate"]["id"] == SUBCLASS} >= {
        (JAW_OSTEONECROSIS, OSTEONECROSIS), (OSTEONECROSIS, "OSTEOKG:0000010")}
    femur = [e for e in graph["edges"] if e["target"] == "OSTEOKG:0001002" and e["source"] == OSTEONECROSIS]
    assert femur and femur[0]["strength"]["id"] == "okg:most" and not femur[0]["inferred"]
    # no edge that is only the inverse of one drawn: femur "location of" osteonecrosis is not drawn beside it
    assert not [e for e in graph["edges"] if e["source"] == "OSTEOKG:0001002" and e["target"] == OSTEONECROSIS]
    assert {r["id"] for r in graph["relations"]} == {e["predicate"]["id"] for e in graph["edges"]}


@pytest.mark.parametrize("statement, en, nl", [
    ({"statement_kind": "proportion", "value": 0.3333}, "1 in 3", "1 op de 3"),
    ({"statement_kind": "proportion", "value": 0.6667}, "2 in 3", "2 op de 3"),
    ({"statement_kind": "proportion", "value": 0.27}, "27 %", "27 %"),
    ({"statement_kind": "proportion", "value": 0.125}, "1 in 8", "1 op de 8"),
    ({"statement_kind": "proportion", "value": 0.155}, "15.5 %", "15,5 %"),
    ({"statement_kind": "percentage-range", "min_value": 30.0, "max_value": 65.0}, "30–65 %", "30 tot 65 %"),
    ({"statement_kind": "relative-risk", "max_value": 5.0}, "up to 5 times as high", "tot 5 keer zo hoog"),
    ({"statement_kind": "relative-risk", "value": 2.0}, "2 times as high", "2 keer zo hoog"),
    ({"statement_kind": "ratio", "value": 2.0}, "2 times as many", "2 keer zoveel"),
    ({"statement_kind": "age-range", "min_value": 20.0, "max_value": 50.0}, "between 20 and 50 years of age",
     "tussen 20 en 50 jaar"),
    ({"statement_kind": "comparison", "comparison": "greater-than", "comparator": {"label": "diabetes"}},
     "more than diabetes", "meer dan diabetes"),
    ({"statement_kind": "proportion"}, None, None),  # no number: nothing to read
    ({}, None, None),  # a clinical note
])
def test_numbers_are_read_as_a_person_reads_them(statement: dict, en: str | None, nl: str | None) -> None:
    assert reading(statement, "en") == en and reading(statement, "nl") == nl


def test_every_quantitative_statement_of_the_graph_reads(pages: Pages) -> None:
    for statement in pages.service.statements("nl", "quantitative").items:
        assert reading(statement, "nl"), statement["id"]
