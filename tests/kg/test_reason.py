from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS

from kg.compose import compose
from kg.reason import ReasoningError, reason
from kg.vocab import OSTEOKG


@pytest.fixture(scope="module")
def inference():
    from kg.build import ONTOLOGY_DIR

    return reason(compose(ONTOLOGY_DIR).graph)


def test_hermit_classifies_femoral_head_osteonecrosis_under_femur(inference) -> None:
    # only the property chain has-location ∘ part-of and the defining location give this
    assert (OSTEOKG["0000107"], OSTEOKG["0000109"]) in inference.subclass_links


def test_hermit_places_medication_with_side_effects_among_causes(inference) -> None:
    assert (OSTEOKG["0005002"], OSTEOKG["0000030"]) in inference.subclass_links


def test_unsatisfiable_class_is_named(ontology_copy: Path) -> None:
    graph = compose(ontology_copy).graph
    femur = OSTEOKG["0001002"]
    graph.add((femur, RDFS.subClassOf, OSTEOKG["0000010"]))  # a bone that is a disorder: disjoint
    with pytest.raises(ReasoningError, match="unsatisfiable classes.*femur"):
        reason(graph)


def test_inconsistent_ontology_is_reported() -> None:
    graph = Graph()
    a, b, x = OSTEOKG["9999991"], OSTEOKG["9999992"], OSTEOKG["9999993"]
    graph.add((a, RDF.type, OWL.Class))
    graph.add((b, RDF.type, OWL.Class))
    graph.add((a, OWL.disjointWith, b))
    graph.add((x, RDF.type, OWL.NamedIndividual))
    graph.add((x, RDF.type, a))
    graph.add((x, RDF.type, b))
    with pytest.raises(ReasoningError, match="inconsistent"):
        reason(graph)
