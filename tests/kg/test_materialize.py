"""The materialization rules on a small hand-made graph."""
from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.materialize import derive, materialize
from kg.vocab import OKG, OSTEOKG

DISORDER, SITE = OSTEOKG["0000010"], OSTEOKG["0000020"]
PART_OF, HAS_PART, LOC, LOC_OF = (OSTEOKG[n] for n in ("0009001", "0009002", "0009003", "0009004"))
CAUSES, CAUSED_BY, SIDE, SIDE_OF = (OSTEOKG[n] for n in ("0009005", "0009006", "0009011", "0009012"))
SOURCE = OSTEOKG["0008001"]
ON, ON_HEAD, HEAD, FEMUR, DRUG, IV = (OSTEOKG[n] for n in ("0000106", "0000107", "0001003", "0001002", "0005002", "0005003"))


def edge(graph: Graph, s: URIRef, p: URIRef, o: URIRef, quote: str) -> None:
    restriction, axiom = BNode(), BNode()
    graph.add((restriction, RDF.type, OWL.Restriction))
    graph.add((restriction, OWL.onProperty, p))
    graph.add((restriction, OWL.someValuesFrom, o))
    graph.add((s, RDFS.subClassOf, restriction))
    for triple in ((RDF.type, OWL.Axiom), (OWL.annotatedSource, s), (OWL.annotatedProperty, RDFS.subClassOf),
                   (OWL.annotatedTarget, restriction), (DCTERMS.source, SOURCE), (OKG.quote, Literal(quote, lang="nl"))):
        graph.add((axiom, *triple))


@pytest.fixture
def graph() -> Graph:
    g = Graph()
    for prop in (PART_OF, HAS_PART, LOC, LOC_OF, CAUSES, CAUSED_BY, SIDE, SIDE_OF):
        g.add((prop, RDF.type, OWL.ObjectProperty))
    g.add((PART_OF, RDF.type, OWL.TransitiveProperty))
    for a, b in ((PART_OF, HAS_PART), (LOC, LOC_OF), (CAUSES, CAUSED_BY), (SIDE, SIDE_OF)):
        g.add((a, OWL.inverseOf, b))
    g.add((SIDE, RDFS.subPropertyOf, CAUSES))
    chain = BNode()
    Collection(g, chain, [LOC, PART_OF])
    g.add((LOC, OWL.propertyChainAxiom, chain))
    for child, parent in ((ON, DISORDER), (ON_HEAD, ON), (HEAD, SITE), (FEMUR, SITE), (IV, DRUG)):
        g.add((child, RDFS.subClassOf, parent))
    edge(g, ON_HEAD, LOC, HEAD, "De heupkop.")
    edge(g, HEAD, PART_OF, FEMUR, "head part of femur")
    edge(g, DRUG, SIDE, ON_HEAD, "als bijwerking")
    return g


def rules(graph: Graph) -> dict[tuple, str | None]:
    return {e.key: e.rule for e in derive(graph)}


def test_asserted_edges_keep_their_evidence(graph: Graph) -> None:
    found = {e.key: e for e in derive(graph)}
    assert found[(ON_HEAD, LOC, HEAD)].rule is None
    assert str(found[(ON_HEAD, LOC, HEAD)].evidence[0].quote) == "De heupkop."


def test_part_of_chain_gives_location_in_the_whole(graph: Graph) -> None:
    assert rules(graph)[(ON_HEAD, LOC, FEMUR)] == "part-of"


def test_edges_inherited_by_subclasses(graph: Graph) -> None:
    assert rules(graph)[(IV, SIDE, ON_HEAD)] == "subclass"


def test_superclass_target_but_not_upper_category(graph: Graph) -> None:
    found = rules(graph)
    assert found[(DRUG, SIDE, ON)] == "superclass-target"
    assert (DRUG, SIDE, DISORDER) not in found


def test_subproperty_and_inverse(graph: Graph) -> None:
    found = rules(graph)
    assert found[(DRUG, CAUSES, ON_HEAD)] == "subproperty"
    assert found[(ON_HEAD, SIDE_OF, DRUG)] == "inverse"
    assert found[(FEMUR, HAS_PART, HEAD)] == "inverse"


def test_inverse_edges_are_not_inherited(graph: Graph) -> None:
    # "the drug causes some femoral-head osteonecrosis" must not become "every subtype of
    # femoral-head osteonecrosis is a side effect of the drug": inverse edges are not propagated
    subtype = OSTEOKG["0000199"]
    graph.add((subtype, RDFS.subClassOf, ON_HEAD))
    found = rules(graph)
    assert found[(ON_HEAD, SIDE_OF, DRUG)] == "inverse"
    assert found[(subtype, LOC, HEAD)] == "subclass"
    assert (subtype, SIDE_OF, DRUG) not in found


def test_materialize_writes_edges_with_marked_evidence(graph: Graph) -> None:
    result = materialize(graph)
    assert result.asserted == 3 and result.inferred > 0
    assert (ON_HEAD, LOC, FEMUR) in graph
    axioms = [a for a in graph.subjects(OWL.annotatedSource, ON_HEAD)
              if graph.value(a, OWL.annotatedProperty) == LOC and graph.value(a, OWL.annotatedTarget) == FEMUR]
    assert len(axioms) == 1
    assert graph.value(axioms[0], OKG.inferred).toPython() is True
    assert str(graph.value(axioms[0], OKG.inferenceRule)) == "part-of"
    assert str(graph.value(axioms[0], OKG.quote)) == "De heupkop."
    assert graph.value(axioms[0], DCTERMS.source) == SOURCE


def test_hierarchy_closure_is_marked(graph: Graph) -> None:
    materialize(graph)
    assert (ON_HEAD, RDFS.subClassOf, DISORDER) in graph
    axiom = next(a for a in graph.subjects(OWL.annotatedSource, ON_HEAD)
                 if graph.value(a, OWL.annotatedProperty) == RDFS.subClassOf and graph.value(a, OWL.annotatedTarget) == DISORDER)
    assert str(graph.value(axiom, OKG.inferenceRule)) == "transitivity"
