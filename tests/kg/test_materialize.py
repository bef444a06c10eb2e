"""The materialization rules on a small hand-made graph: for each rule, an edge it must produce and
one it must not (the clinical reader's examples of issue 7, in miniature)."""
from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.materialize import derive, materialize
from kg.vocab import CAN, DEFINING, DEFINITION, MAIN, MOST, OFTEN, OKG, ONTOLOGY_IRI, OSTEOKG

DISORDER, SITE = OSTEOKG["0000010"], OSTEOKG["0000020"]
PART_OF, HAS_PART, LOC, LOC_OF = (OSTEOKG[n] for n in ("0009001", "0009002", "0009003", "0009004"))
CAUSES, CAUSED_BY, SIDE, SIDE_OF = (OSTEOKG[n] for n in ("0009005", "0009006", "0009011", "0009012"))
SYMPTOM, SYMPTOM_OF, PAID, PAID_BY = (OSTEOKG[n] for n in ("0009009", "0009010", "0009023", "0009024"))
SOURCE = OSTEOKG["0008001"]
ON, ON_HEAD, ON_JAW, HEAD, FEMUR, BONE, JAW = (OSTEOKG[n] for n in (
    "0000106", "0000107", "0000108", "0001003", "0001002", "0001000", "0001004"))
DRUG, IV, PAIN, LOAD_PAIN, FRACTURE = (OSTEOKG[n] for n in ("0005002", "0005003", "0003000", "0003001", "0000011"))


def edge(graph: Graph, s: URIRef, p: URIRef, o: URIRef, quote: str, strength: URIRef = DEFINING) -> None:
    """An editor's row: an existential when it holds of every S, else a direct edge (as kg.compose writes them)."""
    axiom = BNode()
    if strength == DEFINING:
        restriction = BNode()
        graph.add((restriction, RDF.type, OWL.Restriction))
        graph.add((restriction, OWL.onProperty, p))
        graph.add((restriction, OWL.someValuesFrom, o))
        graph.add((s, RDFS.subClassOf, restriction))
        triples = ((OWL.annotatedProperty, RDFS.subClassOf), (OWL.annotatedTarget, restriction))
    else:
        graph.add((s, p, o))
        triples = ((OWL.annotatedProperty, p), (OWL.annotatedTarget, o), (OKG.inferred, Literal(False)))
    for triple in ((RDF.type, OWL.Axiom), (OWL.annotatedSource, s), *triples, (DCTERMS.source, SOURCE),
                   (OKG.quote, Literal(quote, lang="nl")), (OKG.strength, strength)):
        graph.add((axiom, *triple))


@pytest.fixture
def graph() -> Graph:
    g = Graph()
    for prop in (PART_OF, HAS_PART, LOC, LOC_OF, CAUSES, CAUSED_BY, SIDE, SIDE_OF, SYMPTOM, SYMPTOM_OF, PAID, PAID_BY):
        g.add((prop, RDF.type, OWL.ObjectProperty))
    g.add((PART_OF, RDF.type, OWL.TransitiveProperty))
    for a, b in ((PART_OF, HAS_PART), (LOC, LOC_OF), (CAUSES, CAUSED_BY), (SIDE, SIDE_OF), (SYMPTOM, SYMPTOM_OF),
                 (PAID, PAID_BY)):
        g.add((a, OWL.inverseOf, b))
    g.add((SIDE, RDFS.subPropertyOf, CAUSES))
    # as the schema declares them: what a drug class can cause, its kinds can; a disorder's symptoms and
    # a reimbursement are not its kinds'; a location or symptom generalizes to the broader target
    for prop in (CAUSES, SIDE):
        g.add((prop, OKG.inheritedBySubclasses, Literal(True)))
    for prop in (CAUSES, SIDE, LOC, SYMPTOM, PART_OF):
        g.add((prop, OKG.generalizesObject, Literal(True)))
    chain = BNode()
    Collection(g, chain, [LOC, PART_OF])
    g.add((LOC, OWL.propertyChainAxiom, chain))
    for child, parent in ((ON, DISORDER), (ON_HEAD, ON), (ON_JAW, ON), (HEAD, SITE), (FEMUR, BONE), (BONE, SITE),
                          (JAW, SITE), (IV, DRUG), (LOAD_PAIN, PAIN), (FRACTURE, DISORDER)):
        g.add((child, RDFS.subClassOf, parent))
    # osteonecrosis of the jaw is defined by its site: "osteonecrosis and has location some jaw"
    restriction, members, equivalent = BNode(), BNode(), BNode()
    g.add((restriction, RDF.type, OWL.Restriction))
    g.add((restriction, OWL.onProperty, LOC))
    g.add((restriction, OWL.someValuesFrom, JAW))
    Collection(g, members, [ON, restriction])
    g.add((equivalent, OWL.intersectionOf, members))
    g.add((ON_JAW, OWL.equivalentClass, equivalent))
    g.add((ON_JAW, DEFINITION, Literal("Osteonecrosis located in the jaw.", lang="en")))
    edge(g, HEAD, PART_OF, FEMUR, "head part of femur")
    edge(g, ON, LOC, BONE, "in een enkel bot of in meerdere botten")            # every osteonecrosis
    edge(g, ON, LOC, HEAD, "De botten die het meest worden aangetast", MOST)    # most often, not every
    edge(g, ON, SYMPTOM, LOAD_PAIN, "Eerst is de pijn alleen aanwezig bij activiteiten", OFTEN)
    edge(g, DRUG, SIDE, ON_HEAD, "als bijwerking", CAN)
    edge(g, DRUG, PAID, FRACTURE, "De medicatie wordt terugbetaald", OFTEN)
    edge(g, FRACTURE, CAUSES, ON, "bij botbreuken", MAIN)
    return g


def found(graph: Graph) -> dict[tuple, list]:
    out: dict[tuple, list] = {}
    for e in derive(graph):
        out.setdefault(e.key, []).append(e)
    return out


def strengths(graph: Graph, key: tuple) -> set[URIRef]:
    return {e.strength for e in found(graph).get(key, [])}


def test_asserted_edges_keep_their_evidence_and_strength(graph: Graph) -> None:
    [e] = found(graph)[(ON, LOC, HEAD)]
    assert e.rule is None and e.strength == MOST and str(e.evidence.quote).startswith("De botten")
    assert e.node is not None  # a direct edge's evidence node is compose's own


def test_definition_rule_gives_a_defined_terms_edge_with_its_definition_as_evidence(graph: Graph) -> None:
    [e] = found(graph)[(ON_JAW, LOC, JAW)]
    assert e.rule == "definition" and e.strength == DEFINING and e.premise is None
    assert e.evidence.source == URIRef(ONTOLOGY_IRI) and str(e.evidence.quote) == "Osteonecrosis located in the jaw."
    assert (ON_HEAD, LOC, HEAD) not in {k for k, v in found(graph).items() if v[0].rule == "definition"}  # not defined


def test_subclass_rule_passes_on_what_holds_of_every_member(graph: Graph) -> None:
    [e] = found(graph)[(ON_JAW, LOC, BONE)]
    assert e.rule == "subclass" and e.strength == DEFINING and e.premise == (ON, LOC, BONE)


def test_subclass_rule_does_not_pass_on_a_ranking_or_a_symptom_picture(graph: Graph) -> None:
    edges = found(graph)
    assert (ON_JAW, LOC, HEAD) not in edges   # where osteonecrosis is most often is not where jaw osteonecrosis is
    assert (ON_JAW, SYMPTOM, LOAD_PAIN) not in edges  # the course of osteonecrosis is not the jaw's
    assert (IV, PAID, FRACTURE) not in edges  # reimbursement is product-specific


def test_subclass_rule_weakens_a_possibility_to_can_where_the_relation_allows(graph: Graph) -> None:
    [e] = found(graph)[(IV, SIDE, ON_HEAD)]
    assert e.rule == "subclass" and e.strength == CAN


def test_superclass_target_keeps_a_frequency_but_not_a_ranking(graph: Graph) -> None:
    assert strengths(graph, (ON, SYMPTOM, PAIN)) == {OFTEN}   # often load pain → often some pain
    assert strengths(graph, (FRACTURE, CAUSES, DISORDER)) == set()  # never an upper category
    edges = found(graph)
    assert (DRUG, SIDE, ON) in edges and edges[(DRUG, SIDE, ON)][0].rule == "superclass-target"
    assert (DRUG, PAID, DISORDER) not in edges


def test_superclass_target_is_not_applied_where_the_relation_declares_it_does_not_hold(graph: Graph) -> None:
    graph.add((FRACTURE, RDFS.subClassOf, OSTEOKG["0000150"]))  # a made-up broader, non-upper class
    assert (DRUG, PAID, OSTEOKG["0000150"]) not in found(graph)


def test_subproperty_rule_and_not_the_reverse(graph: Graph) -> None:
    edges = found(graph)
    assert edges[(DRUG, CAUSES, ON_HEAD)][0].rule == "subproperty" and strengths(graph, (DRUG, CAUSES, ON_HEAD)) == {CAN}
    assert (FRACTURE, SIDE, ON) not in edges  # a cause is not thereby a side effect


def test_part_of_chain_gives_the_location_in_the_whole_and_weakens_a_ranking(graph: Graph) -> None:
    edges = found(graph)
    [e] = edges[(ON, LOC, FEMUR)]
    assert e.rule == "part-of" and e.strength == CAN and e.premise == (ON, LOC, HEAD)
    assert (ON, SYMPTOM, FEMUR) not in edges  # only has location carries the chain


def test_inverse_edges_read_can_and_are_not_inherited(graph: Graph) -> None:
    edges = found(graph)
    # "osteonecrosis is most often in the femoral head" does not make it the most common disorder there
    assert edges[(HEAD, LOC_OF, ON)][0].rule == "inverse" and strengths(graph, (HEAD, LOC_OF, ON)) == {CAN}
    assert strengths(graph, (BONE, LOC_OF, ON)) == {CAN}  # every osteonecrosis is in bone; bone is not always its site
    subtype = OSTEOKG["0000199"]
    graph.add((subtype, RDFS.subClassOf, ON_HEAD))
    edges = found(graph)
    assert (ON_HEAD, SIDE_OF, DRUG) in edges
    assert (subtype, SIDE_OF, DRUG) not in edges


def test_an_asserted_edge_is_not_also_inferred(graph: Graph) -> None:
    edge(graph, ON_JAW, LOC, BONE, "kaak is bot")
    assert [e.rule for e in found(graph)[(ON_JAW, LOC, BONE)]] == [None]


def test_materialize_writes_edges_with_strength_rule_and_premise(graph: Graph) -> None:
    result = materialize(graph)
    assert result.asserted == 7 and result.inferred > 0
    assert result.by_strength == {"defining": 2, "main": 1, "most": 1, "often": 2, "can": 1}
    assert result.by_rule["definition"] == 1
    axioms = [a for a in graph.subjects(OWL.annotatedSource, ON)
              if graph.value(a, OWL.annotatedProperty) == LOC and graph.value(a, OWL.annotatedTarget) == FEMUR]
    assert len(axioms) == 1
    assert graph.value(axioms[0], OKG.inferred).toPython() is True
    assert str(graph.value(axioms[0], OKG.inferenceRule)) == "part-of"
    assert graph.value(axioms[0], OKG.strength) == CAN
    assert (graph.value(axioms[0], OKG.premiseSubject), graph.value(axioms[0], OKG.premisePredicate),
            graph.value(axioms[0], OKG.premiseObject)) == (ON, LOC, HEAD)
    assert str(graph.value(axioms[0], OKG.quote)).startswith("De botten") and graph.value(axioms[0], DCTERMS.source) == SOURCE
    # a direct edge keeps its one evidence node (compose's): it is not annotated twice
    assert len([a for a in graph.subjects(OWL.annotatedSource, ON) if graph.value(a, OWL.annotatedTarget) == HEAD
                and graph.value(a, OWL.annotatedProperty) == LOC]) == 1


def test_hierarchy_closure_is_marked(graph: Graph) -> None:
    materialize(graph)
    assert (ON_HEAD, RDFS.subClassOf, DISORDER) in graph
    axiom = next(a for a in graph.subjects(OWL.annotatedSource, ON_HEAD)
                 if graph.value(a, OWL.annotatedProperty) == RDFS.subClassOf and graph.value(a, OWL.annotatedTarget) == DISORDER)
    assert str(graph.value(axiom, OKG.inferenceRule)) == "transitivity"
