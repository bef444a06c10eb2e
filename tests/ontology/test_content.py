"""What a reader of the two texts must find in the graph: terms, words, facts and numbers."""
from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.vocab import DEFINITION, OIO, OKG, ONTOLOGY_IRI, OSTEOKG

O = OSTEOKG


def asserted(graph, s: str, p: str, o: str) -> bool:
    """True when the edge is in the graph and one of its evidence nodes is not inferred."""
    s_, p_, o_ = O[s], O[p], O[o]
    if (s_, p_, o_) not in graph:
        return False
    return any(graph.value(a, OKG.inferred) == Literal(False)
               for a in graph.subjects(OWL.annotatedSource, s_)
               if graph.value(a, OWL.annotatedProperty) == p_ and graph.value(a, OWL.annotatedTarget) == o_)


def test_ontology_metadata(built) -> None:
    graph, ontology = built.graph, URIRef(ONTOLOGY_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in graph
    assert {t.language for t in graph.objects(ontology, DCTERMS.title)} == {"en", "nl"}
    assert {t.language for t in graph.objects(ontology, DCTERMS.description)} == {"en", "nl"}
    assert str(graph.value(ontology, OWL.versionIRI)).startswith("https://w3id.org/osteokg/releases/")
    assert graph.value(ontology, DCTERMS.license) is not None
    assert len(list(graph.objects(ontology, DCTERMS.source))) >= 2


def test_every_entity_has_one_label_and_definition_per_language(built) -> None:
    graph = built.graph
    sources = set(graph.subjects(RDF.type, DCTERMS.BibliographicResource))  # described by dcterms:description
    entities = [s for s in set(graph.subjects(RDFS.label, None)) if str(s).startswith(str(OSTEOKG)) and s not in sources]
    assert len(entities) > 140
    for entity in entities:
        for prop in (RDFS.label, DEFINITION):
            languages = sorted(v.language for v in graph.objects(entity, prop))
            assert languages == ["en", "nl"], (entity, prop, languages)


def test_identifiers_are_opaque(built) -> None:
    for entity in built.graph.subjects(RDFS.label, None):
        if str(entity).startswith("https://w3id.org/osteokg/") and not str(entity).startswith(str(OKG)) \
                and not str(entity).endswith(".owl"):
            local = str(entity).rsplit("/", 1)[1]
            assert local.startswith("OSTEOKG_") and local[8:].isdigit() and len(local) == 15, entity


@pytest.mark.parametrize("term, words", [
    ("0000100", {"osteoporose", "botontkalking", "osteoporosis"}),
    ("0000106", {"botnecrose", "osteonecrose", "osteonecrosis", "avascular necrosis"}),
    ("0000101", {"fragiliteitsfractuur", "fragiliteitsbreuk", "atraumatische fractuur"}),
    ("0005002", {"botversterkende medicatie", "middelen tegen botontkalking", "osteoporosemedicatie"}),
    ("0004000", {"DXA", "botdensiteitsmeting"}),
    ("0000107", {"heupkopnecrose", "botnecrose van de heup"}),
    ("0000108", {"kaakbotnecrose"}),
    ("0006000", {"FLS", "Fractuur Liaisonservice"}),
    ("0005007", {"pijnstillers", "painkillers"}),
])
def test_clinical_and_lay_words(built, term: str, words: set[str]) -> None:
    graph = built.graph
    found = {str(v) for p in (RDFS.label, OIO.hasExactSynonym, OIO.hasRelatedSynonym) for v in graph.objects(O[term], p)}
    assert words <= found


# (subject, relation, object, strength): every edge the editors assert, as a reader of the texts finds it,
# with how strongly the text says it ("kan" → can, "vaak" → often, "vooral"/"het meest" → most, …)
FACTS = [
    # osteoporosis and its fractures
    ("0000100", "0009005", "0000011", "can"), ("0000100", "0009005", "0000101", "can"),
    ("0000100", "0009005", "0000115", "most"), ("0000100", "0009005", "0000116", "most"),
    ("0000100", "0009019", "0003024", "can"), ("0000011", "0009019", "0003023", "generally"),
    ("0000102", "0009019", "0003020", "proportion"), ("0000102", "0009019", "0003021", "proportion"),
    ("0000102", "0009019", "0003022", "proportion"),
    ("0000103", "0009009", "0003004", "can"), ("0000103", "0009009", "0003005", "can"),
    ("0000103", "0009009", "0003006", "can"), ("0000103", "0009025", "0003007", "can"),
    ("0003004", "0009003", "0001015", "defining"),
    ("0000104", "0009021", "0000011", "often"), ("0000101", "0009007", "0000011", "generally"),
    ("0000105", "0009022", "0000011", "defining"), ("0002002", "0009005", "0000105", "often"),
    # diagnosis and the fracture liaison service
    ("0006000", "0009017", "0000101", "generally"), ("0006000", "0009017", "0000011", "generally"),
    ("0004000", "0009013", "0000100", "can"), ("0004001", "0009013", "0000114", "can"),
    # treatment of osteoporosis and Belgian reimbursement
    ("0005000", "0009015", "0000100", "generally"), ("0005001", "0009015", "0000100", "generally"),
    ("0005002", "0009015", "0000100", "generally"),
    ("0005002", "0009017", "0002004", "generally"), ("0005002", "0009017", "0000101", "generally"),
    ("0005004", "0009017", "0002003", "generally"),
    ("0005002", "0009023", "0000102", "generally"), ("0005002", "0009023", "0000103", "generally"),
    ("0005002", "0009023", "0003008", "generally"), ("0004000", "0009023", "0000011", "generally"),
    # osteonecrosis: what, where, why, how it shows, how it is found and treated
    ("0000106", "0009003", "0001001", "defining"), ("0000106", "0009006", "0002000", "defining"),
    ("0000106", "0009003", "0001000", "defining"),
    ("0000106", "0009003", "0001002", "most"), ("0000106", "0009003", "0001003", "most"),
    ("0000106", "0009003", "0001004", "most"), ("0000106", "0009003", "0001005", "most"),
    ("0000106", "0009003", "0001006", "most"), ("0000106", "0009003", "0001009", "most"),
    ("0000106", "0009003", "0001011", "most"),
    ("0000011", "0009005", "0000106", "can"), ("0000102", "0009005", "0000106", "can"),
    ("0000102", "0009005", "0000107", "can"),
    ("0002001", "0009011", "0000106", "can"), ("0005002", "0009011", "0000106", "can"),
    ("0005003", "0009007", "0000108", "generally"),
    ("0000106", "0009009", "0003000", "main"), ("0000106", "0009009", "0003001", "generally"),
    ("0000106", "0009009", "0003002", "generally"), ("0003001", "0009021", "0003002", "generally"),
    ("0000106", "0009009", "0003003", "generally"),
    ("0004002", "0009013", "0000106", "generally"), ("0004003", "0009013", "0000106", "can"),
    ("0004003", "0009013", "0003009", "can"),
    ("0004004", "0009013", "0000106", "can"), ("0004005", "0009013", "0000106", "can"),
    ("0005005", "0009015", "0000106", "can"), ("0005006", "0009015", "0000106", "can"),
    ("0005007", "0009015", "0003000", "can"), ("0005008", "0009015", "0000106", "often"),
    ("0005011", "0009015", "0000106", "can"),
    # anatomy
    ("0001009", "0009001", "0001008", "defining"), ("0001011", "0009001", "0001010", "defining"),
    ("0001003", "0009001", "0001002", "defining"), ("0001006", "0009001", "0001007", "defining"),
    ("0001013", "0009001", "0001014", "defining"),
]


def strengths(graph, s: str, p: str, o: str, inferred: bool = False) -> set[str]:
    """The strengths (local names) of the edge's evidence nodes, asserted or inferred."""
    return {str(graph.value(a, OKG.strength)).rsplit("/", 1)[-1]
            for a in graph.subjects(OWL.annotatedSource, O[s])
            if graph.value(a, OWL.annotatedProperty) == O[p] and graph.value(a, OWL.annotatedTarget) == O[o]
            and graph.value(a, OKG.inferred) == Literal(inferred)}


def test_the_facts_are_every_asserted_edge(built) -> None:
    graph = built.graph
    found = {(str(graph.value(a, OWL.annotatedSource))[-7:], str(graph.value(a, OWL.annotatedProperty))[-7:],
              str(graph.value(a, OWL.annotatedTarget))[-7:])
             for a in graph.subjects(OKG.inferred, Literal(False))
             if str(graph.value(a, OWL.annotatedProperty)).startswith(str(OSTEOKG))}
    assert found == {fact[:3] for fact in FACTS}


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: "-".join(f))
def test_fact_is_asserted_with_its_strength(built, fact: tuple[str, str, str, str]) -> None:
    assert asserted(built.graph, *fact[:3])
    assert strengths(built.graph, *fact[:3]) == {fact[3]}


def statement(graph, about: str, kind: str) -> list[URIRef]:
    return [s for s in graph.subjects(OKG.about, O[about]) if str(graph.value(s, OKG.statementKind)) == kind]


@pytest.mark.parametrize("about, kind, values", [
    ("0000100", "proportion", {("value", Decimal("0.3333")), ("value", Decimal("0.2"))}),
    ("0005002", "percentage-range", {("minValue", Decimal(30)), ("maxValue", Decimal(65))}),
    ("0000102", "proportion", {("value", Decimal("0.5")), ("value", Decimal("0.3333"))}),
    ("0000102", "percentage-range", {("minValue", Decimal(10)), ("maxValue", Decimal(30))}),
    ("0000103", "proportion", {("value", Decimal("0.6667"))}),
    ("0000101", "relative-risk", {("maxValue", Decimal(5)), ("value", Decimal(2))}),
    ("0000106", "age-range", {("minValue", Decimal(20)), ("maxValue", Decimal(50))}),
    ("0006000", "ratio", {("value", Decimal(2))}),
])
def test_numbers_are_typed_with_population_outcome_and_time_frame(built, about, kind, values) -> None:
    graph = built.graph
    found = statement(graph, about, kind)
    assert found
    got = {(name, graph.value(s, OKG[name]).toPython()) for s in found
           for name in ("value", "minValue", "maxValue") if graph.value(s, OKG[name]) is not None}
    assert values <= got
    for s in found:
        assert {p.language for p in graph.objects(s, OKG.populationText)} == {"en", "nl"}
        assert {p.language for p in graph.objects(s, OKG.timeFrameText)} == {"en", "nl"}
        assert graph.value(s, OKG.outcome) is not None or graph.value(s, OKG.outcomeText) is not None
        assert str(graph.value(s, OKG.unit)) in {"1", "%", "a"}


def test_admissions_compared_with_three_diseases(built) -> None:
    graph = built.graph
    comparators = {graph.value(s, OKG.comparator) for s in statement(graph, "0000100", "comparison")}
    assert comparators == {O["0000120"], O["0000121"], O["0000122"]}


def test_clinical_notes_keep_the_remaining_statements(built) -> None:
    graph = built.graph
    notes = list(graph.subjects(RDF.type, O["0000092"]))
    assert len(notes) == 22
    about = {graph.value(n, OKG.about) for n in notes}
    assert {O["0000106"], O["0004000"], O["0005002"], O["0006000"], O["0005008"]} <= about
