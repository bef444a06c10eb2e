"""The clinician's review sheet (kg/review.py): sentences, chains, the TSV and the HTML page.

Most tests use a small hand-made graph in the shape of the issue 7 spec, so that every sentence
can be checked word for word; one test reads the real build.
"""
from __future__ import annotations

import csv
import html
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from kg.review import (
    ASSERTED, INFERRED, NOTE, REJECTED, STATEMENT, TSV_COLUMNS, _with_review, by_entity, chain_text,
    compose_sentence, count_rows, render_html, render_tsv, review_rows, summary, write_review,
)
from kg.tables import NOTES, RELATIONS, STATEMENTS, TableKind
from kg.vocab import OKG, OSTEOKG

FIXTURE = """
@prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
@prefix okg: <https://w3id.org/osteokg/vocab/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix IAO: <http://purl.obolibrary.org/obo/IAO_> .
@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .

<https://w3id.org/osteokg/osteokg.owl> a owl:Ontology , dcterms:BibliographicResource ;
    dcterms:title "osteokg: osteoporotic fractures and osteonecrosis"@en .
OSTEOKG:0008001 a dcterms:BibliographicResource ; dcterms:title "Breuken bij osteoporose"@nl .
OSTEOKG:0008002 a dcterms:BibliographicResource ; dcterms:title "Botnecrose"@nl .

OSTEOKG:0000100 a owl:Class ; rdfs:label "fracture"@en , "fractuur"@nl .
OSTEOKG:0000101 a owl:Class ; rdfs:subClassOf OSTEOKG:0000100 ; rdfs:label "hip fracture"@en , "heupfractuur"@nl ;
    IAO:0000115 "A fracture of the hip."@en , "Een breuk van de heup."@nl .
OSTEOKG:0000102 a owl:Class ; rdfs:label "vertebral fracture"@en , "wervelfractuur"@nl ;
    oboInOwl:hasExactSynonym "ingezakte wervel"@nl .
OSTEOKG:0000106 a owl:Class ; rdfs:label "osteonecrosis"@en , "botnecrose"@nl .
OSTEOKG:0000110 a owl:Class ; rdfs:label "osteoporosis"@en , "osteoporose"@nl .
OSTEOKG:0001000 a owl:Class ; rdfs:label "hip"@en , "heup"@nl .
OSTEOKG:0003000 a owl:Class ; rdfs:label "sudden and severe back pain"@en , "plotse en hevige rugpijn"@nl .
OSTEOKG:0005000 a owl:Class ; rdfs:label "calcium"@en , "calcium"@nl .
OSTEOKG:0005001 a owl:Class ; rdfs:label "vitamin D"@en , "vitamine D"@nl .
OSTEOKG:0005002 a owl:Class ; rdfs:label "exercise"@en , "beweging"@nl .
OSTEOKG:0002000 a owl:Class ; rdfs:label "daily intake"@en , "dagelijkse inname"@nl .

OSTEOKG:0009003 a owl:ObjectProperty ; rdfs:label "has location"@en , "gelokaliseerd in"@nl ;
    okg:sentence "{s} is {adv}located in {o}"@en , "{s} is {adv}gelokaliseerd in {o}"@nl ;
    okg:possibilitySentence "{s} can be located in {o}"@en , "{s} kán gelokaliseerd zijn in {o}"@nl .
OSTEOKG:0009005 a owl:ObjectProperty ; rdfs:label "causes"@en , "veroorzaakt"@nl ; owl:inverseOf OSTEOKG:0009006 ;
    okg:sentence "{s} {adv}causes {o}"@en , "{s} veroorzaakt {adv}{o}"@nl ;
    okg:possibilitySentence "{s} can cause {o}"@en , "{s} kán {o} veroorzaken"@nl .
OSTEOKG:0009006 a owl:ObjectProperty ; rdfs:label "caused by"@en , "veroorzaakt door"@nl ;
    okg:sentence "{s} is {adv}caused by {o}"@en , "{s} wordt {adv}veroorzaakt door {o}"@nl ;
    okg:possibilitySentence "{s} can be caused by {o}"@en , "{s} kán veroorzaakt worden door {o}"@nl .
OSTEOKG:0009009 a owl:ObjectProperty ; rdfs:label "has symptom"@en , "heeft als symptoom"@nl ;
    okg:sentence "{s} {adv}comes with {o}"@en , "{s} gaat {adv}gepaard met {o}"@nl ;
    okg:possibilitySentence "{s} can come with {o}"@en , "{s} kán gepaard gaan met {o}"@nl .
OSTEOKG:0009017 a owl:ObjectProperty ; rdfs:label "prevents or reduces"@en , "voorkomt of vermindert"@nl ;
    okg:sentence "{s} {adv}prevents or reduces {o}"@en , "{s} voorkomt of vermindert {adv}{o}"@nl ;
    okg:possibilitySentence "{s} can prevent or reduce {o}"@en , "{s} kán {o} voorkomen of verminderen"@nl .

okg:defining a okg:Strength ; rdfs:label "always"@en , "altijd"@nl ; okg:strengthOrder 1 .
okg:often a okg:Strength ; rdfs:label "often"@en , "vaak"@nl ; okg:strengthOrder 4 .
okg:proportion a okg:Strength ; rdfs:label "in a share of cases"@en , "bij een deel"@nl ; okg:strengthOrder 5 .
okg:can a okg:Strength ; rdfs:label "can"@en , "kan"@nl ; okg:strengthOrder 7 .
okg:combinedReading a okg:EvidenceKind ; rdfs:label "combined reading"@en , "gecombineerde lezing"@nl .

OSTEOKG:0007000 a OSTEOKG:0000091 ; rdfs:label "1 in 3 women over 50 has an osteoporotic fracture"@en ,
        "1 op 3 vrouwen boven 50 krijgt een fractuur door osteoporose"@nl ;
    okg:about OSTEOKG:0000110 ; dcterms:source OSTEOKG:0008001 ; okg:reviewStatus "accepted" ;
    okg:quote "Eén op de drie vrouwen en één op de vijf mannen boven de 50 jaar krijgt ooit een fractuur."@nl .
OSTEOKG:0007001 a OSTEOKG:0000091 ; rdfs:label "1 in 5 men over 50 has an osteoporotic fracture"@en ,
        "1 op 5 mannen boven 50 krijgt een fractuur door osteoporose"@nl ;
    okg:about OSTEOKG:0000110 ; dcterms:source OSTEOKG:0008001 ; okg:reviewStatus "unreviewed" ;
    okg:quote "Eén op de drie vrouwen en één op de vijf mannen boven de 50 jaar krijgt ooit een fractuur."@nl .
OSTEOKG:0007500 a OSTEOKG:0000092 ; rdfs:label "Vertebral fractures are hard to recognise"@en ,
        "Wervelfracturen zijn moeilijk te herkennen"@nl ;
    okg:about OSTEOKG:0000102 ; dcterms:source OSTEOKG:0008001 ; okg:reviewStatus "unreviewed" ;
    okg:quote "Wervelfracturen zijn <niet> altijd \\"gemakkelijk\\" & snel te herkennen."@nl .

OSTEOKG:0000102 OSTEOKG:0009009 OSTEOKG:0003000 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000102 ; owl:annotatedProperty OSTEOKG:0009009 ;
    owl:annotatedTarget OSTEOKG:0003000 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Een wervelfractuur kan gepaard gaan met plotse en hevige rugpijn."@nl ; okg:inferred false ;
    okg:strength okg:can ; okg:evidenceKind okg:quoted ; okg:reviewStatus "accepted" .

OSTEOKG:0000100 OSTEOKG:0009005 OSTEOKG:0000106 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009005 ;
    owl:annotatedTarget OSTEOKG:0000106 ; dcterms:source OSTEOKG:0008002 ;
    okg:quote "Een breuk kan botnecrose veroorzaken."@nl ; okg:inferred false ;
    okg:strength okg:can ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" .

OSTEOKG:0000101 OSTEOKG:0009005 OSTEOKG:0000106 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty OSTEOKG:0009005 ;
    owl:annotatedTarget OSTEOKG:0000106 ; dcterms:source OSTEOKG:0008002 ;
    okg:quote "Een breuk kan botnecrose veroorzaken."@nl ; okg:inferred true ; okg:inferenceRule "subclass" ;
    okg:strength okg:can ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" ;
    okg:premiseSubject OSTEOKG:0000100 ; okg:premisePredicate OSTEOKG:0009005 ; okg:premiseObject OSTEOKG:0000106 .
# the same edge asserted from another source: the chain must not follow it
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty OSTEOKG:0009005 ;
    owl:annotatedTarget OSTEOKG:0000106 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Na een heupfractuur ontstaat vaak botnecrose."@nl ; okg:inferred false ;
    okg:strength okg:often ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" .

OSTEOKG:0000106 OSTEOKG:0009006 OSTEOKG:0000101 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000106 ; owl:annotatedProperty OSTEOKG:0009006 ;
    owl:annotatedTarget OSTEOKG:0000101 ; dcterms:source OSTEOKG:0008002 ;
    okg:quote "Een breuk kan botnecrose veroorzaken."@nl ; okg:inferred true ; okg:inferenceRule "inverse" ;
    okg:strength okg:can ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" ;
    okg:premiseSubject OSTEOKG:0000101 ; okg:premisePredicate OSTEOKG:0009005 ; okg:premiseObject OSTEOKG:0000106 .

OSTEOKG:0000101 OSTEOKG:0009003 OSTEOKG:0001000 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty OSTEOKG:0009003 ;
    owl:annotatedTarget OSTEOKG:0001000 ; dcterms:source <https://w3id.org/osteokg/osteokg.owl> ;
    okg:quote "A fracture of the hip."@en ; okg:inferred true ; okg:inferenceRule "definition" ;
    okg:strength okg:defining ; okg:evidenceKind okg:definition ; okg:reviewStatus "unreviewed" .

OSTEOKG:0000110 OSTEOKG:0009005 OSTEOKG:0000100 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000110 ; owl:annotatedProperty OSTEOKG:0009005 ;
    owl:annotatedTarget OSTEOKG:0000100 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Eén op de drie vrouwen en één op de vijf mannen boven de 50 jaar krijgt ooit een fractuur."@nl ;
    okg:inferred false ; okg:strength okg:proportion ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" ;
    okg:quantifiedBy OSTEOKG:0007001 , OSTEOKG:0007000 .

OSTEOKG:0005000 OSTEOKG:0009017 OSTEOKG:0000100 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0005000 ; owl:annotatedProperty OSTEOKG:0009017 ;
    owl:annotatedTarget OSTEOKG:0000100 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Calcium en vitamine D, samen met beweging, verminderen vaak het risico op een breuk."@nl ;
    okg:inferred false ; okg:strength okg:often ; okg:evidenceKind okg:combinedReading ;
    okg:reviewStatus "accepted" ; okg:reviewNote "checked against the guideline"@en ;
    okg:inCombinationWith OSTEOKG:0005002 , OSTEOKG:0005001 ; okg:context OSTEOKG:0000110 ;
    okg:condition OSTEOKG:0002000 ;
    okg:conditionText "if taken every day"@en , "als het elke dag wordt ingenomen"@nl .

# axioms that are not relation evidence: a subclass link, a synonym, an OWL restriction's annotation
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty rdfs:subClassOf ;
    owl:annotatedTarget OSTEOKG:0000100 ; okg:inferred true ; okg:inferenceRule "reasoner" .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000102 ; owl:annotatedProperty oboInOwl:hasExactSynonym ;
    owl:annotatedTarget "ingezakte wervel"@nl ; oboInOwl:hasSynonymType okg:laySynonym .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty rdfs:subClassOf ;
    owl:annotatedTarget [ a owl:Restriction ; owl:onProperty OSTEOKG:0009003 ; owl:someValuesFrom OSTEOKG:0001000 ] ;
    dcterms:source OSTEOKG:0008001 ; okg:quote "Een heupfractuur."@nl .
"""


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(data=FIXTURE, format="turtle")


@pytest.fixture(scope="module")
def rows(graph: Graph):
    return review_rows(graph)


def _row(rows, subject: str, predicate: str, obj: str, **where):
    found = [r for r in rows if r.subject.curie == subject and r.predicate and r.predicate.curie == predicate
             and r.object and r.object.curie == obj and all(getattr(r, k) == v for k, v in where.items())]
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------- sentences


def test_a_can_edge_reads_with_the_possibility_template(rows) -> None:
    row = _row(rows, "OSTEOKG:0000102", "OSTEOKG:0009009", "OSTEOKG:0003000")
    assert row.kind == ASSERTED and row.rule == "" and row.chain == ()
    assert row.sentence_nl == "Wervelfractuur kán gepaard gaan met plotse en hevige rugpijn."
    assert row.sentence_en == "Vertebral fracture can come with sudden and severe back pain."
    assert (row.strength.curie, row.strength.nl, row.strength.en, row.strength_order) == ("can", "kan", "can", 7)
    assert row.quote == "Een wervelfractuur kan gepaard gaan met plotse en hevige rugpijn." and row.quote_lang == "nl"
    assert (row.source, row.source_title, row.evidence_kind) == ("OSTEOKG:0008001", "Breuken bij osteoporose", "quoted")
    assert row.review_status == "accepted" and row.entity.curie == "OSTEOKG:0000102"
    assert (row.entity.nl, row.entity.en) == ("wervelfractuur", "vertebral fracture")


def test_often_puts_the_adverb_in_its_slot(rows) -> None:
    row = _row(rows, "OSTEOKG:0000101", "OSTEOKG:0009005", "OSTEOKG:0000106", kind=ASSERTED)
    assert row.sentence_nl == "Heupfractuur veroorzaakt vaak botnecrose."
    assert row.sentence_en == "Hip fracture often causes osteonecrosis."


def test_a_proportion_edge_names_its_statements(rows) -> None:
    row = _row(rows, "OSTEOKG:0000110", "OSTEOKG:0009005", "OSTEOKG:0000100")
    assert row.quantified_by == ("OSTEOKG:0007000", "OSTEOKG:0007001")
    assert row.sentence_en == ("Osteoporosis causes fracture (1 in 3 women over 50 has an osteoporotic fracture; "
                               "1 in 5 men over 50 has an osteoporotic fracture).")
    assert row.sentence_nl == ("Osteoporose veroorzaakt fractuur (1 op 3 vrouwen boven 50 krijgt een fractuur door "
                               "osteoporose; 1 op 5 mannen boven 50 krijgt een fractuur door osteoporose).")


def test_combination_context_and_condition_become_clauses(rows) -> None:
    row = _row(rows, "OSTEOKG:0005000", "OSTEOKG:0009017", "OSTEOKG:0000100")
    assert row.sentence_en == ("Calcium often prevents or reduces fracture, in combination with vitamin D and exercise, "
                               "in osteoporosis, if taken every day.")
    assert row.sentence_nl == ("Calcium voorkomt of vermindert vaak fractuur, in combinatie met vitamine D en beweging, "
                               "bij osteoporose, als het elke dag wordt ingenomen.")
    assert [n.curie for n in row.in_combination_with] == ["OSTEOKG:0005001", "OSTEOKG:0005002"]
    assert [n.en for n in row.context] == ["osteoporosis"]
    assert row.condition is not None and row.condition.en == "daily intake"
    assert row.condition_text_en == "if taken every day" and row.evidence_kind == "combinedReading"
    assert row.review_note == "checked against the guideline"


@pytest.mark.parametrize(("strength", "lang", "expected"), [
    ("defining", "en", "Hip fracture is located in hip (always)."),
    ("defining", "nl", "Heupfractuur is gelokaliseerd in heup (altijd)."),
    ("main", "en", "Hip fracture is located in hip (the main one)."),
    ("main", "nl", "Heupfractuur is gelokaliseerd in heup (het belangrijkste)."),
    ("most", "en", "Hip fracture is most often located in hip."),
    ("most", "nl", "Heupfractuur is het vaakst gelokaliseerd in heup."),
    ("often", "nl", "Heupfractuur is vaak gelokaliseerd in heup."),
    ("generally", "en", "Hip fracture is located in hip."),
    ("proportion", "en", "Hip fracture is located in hip."),  # no statement named: no brackets
    ("can", "en", "Hip fracture can be located in hip."),
    ("can", "nl", "Heupfractuur kán gelokaliseerd zijn in heup."),
])
def test_each_strength_reads_as_the_spec_says(strength: str, lang: str, expected: str) -> None:
    templates = {"en": ("{s} is {adv}located in {o}", "{s} can be located in {o}"),
                 "nl": ("{s} is {adv}gelokaliseerd in {o}", "{s} kán gelokaliseerd zijn in {o}")}
    sentence, possibility = templates[lang]
    labels = {"en": ("hip fracture", "hip"), "nl": ("heupfractuur", "heup")}[lang]
    assert compose_sentence(lang=lang, sentence=sentence, possibility=possibility, subject=labels[0],
                            object=labels[1], strength=strength) == expected


def test_clause_lists_join_with_commas_and_a_last_and() -> None:
    text = compose_sentence(lang="nl", sentence="{s} helpt {adv}tegen {o}", possibility="", subject="calcium",
                            object="botverlies", strength="often", combination=["A", "B", "C"], context=["D"])
    assert text == "Calcium helpt vaak tegen botverlies, in combinatie met A, B en C, bij D."
    lower = compose_sentence(lang="en", sentence="the risk of {s} is {adv}raised by {o}", possibility="",
                             subject="fracture", object="falls", strength="")
    assert lower == "The risk of fracture is raised by falls."
    for condition in ("if the joint has been lost", "the joint has been lost"):  # "if" said once either way
        assert compose_sentence(lang="en", sentence="{s} {adv}causes {o}", possibility="", subject="osteonecrosis",
                                object="pain", strength="", condition=condition) == (
            "Osteonecrosis causes pain, if the joint has been lost.")
    assert compose_sentence(lang="nl", sentence="{s} veroorzaakt {adv}{o}", possibility="", subject="botnecrose",
                            object="pijn", strength="", condition="als het gewricht verloren is gegaan") == (
        "Botnecrose veroorzaakt pijn, als het gewricht verloren is gegaan.")


# ---------------------------------------------------------------- chains


def test_an_inferred_edge_shows_its_chain_back_to_the_asserted_edge(rows) -> None:
    row = _row(rows, "OSTEOKG:0000106", "OSTEOKG:0009006", "OSTEOKG:0000101")
    assert row.kind == INFERRED and row.rule == "inverse" and row.is_inverse
    assert row.sentence_nl == "Botnecrose kán veroorzaakt worden door heupfractuur."
    assert row.sentence_en == "Osteonecrosis can be caused by hip fracture."
    assert [(s.rule, s.subject.curie, s.predicate.curie, s.object.curie) for s in row.chain] == [
        ("asserted", "OSTEOKG:0000100", "OSTEOKG:0009005", "OSTEOKG:0000106"),
        ("subclass", "OSTEOKG:0000101", "OSTEOKG:0009005", "OSTEOKG:0000106"),
        ("inverse", "OSTEOKG:0000106", "OSTEOKG:0009006", "OSTEOKG:0000101"),
    ]
    assert row.chain_nl == ("asserted: Fractuur kán botnecrose veroorzaken. → subclass: Heupfractuur kán botnecrose "
                            "veroorzaken. → inverse: Botnecrose kán veroorzaakt worden door heupfractuur.")
    assert row.chain_en == ("asserted: Fracture can cause osteonecrosis. → subclass: Hip fracture can cause "
                            "osteonecrosis. → inverse: Osteonecrosis can be caused by hip fracture.")
    assert row.chain_complete and row.quote == "Een breuk kan botnecrose veroorzaken."


def test_the_chain_follows_the_premise_with_the_same_source_and_quote(rows) -> None:
    row = _row(rows, "OSTEOKG:0000101", "OSTEOKG:0009005", "OSTEOKG:0000106", kind=INFERRED)
    assert row.rule == "subclass" and len(row.chain) == 2
    assert row.chain[0].sentence_en == "Fracture can cause osteonecrosis."  # not the often-edge of 0008001


def test_a_definition_edge_gives_the_definition_as_its_reason(rows) -> None:
    row = _row(rows, "OSTEOKG:0000101", "OSTEOKG:0009003", "OSTEOKG:0001000")
    assert row.rule == "definition" and row.evidence_kind == "definition"
    assert row.sentence_en == "Hip fracture is located in hip (always)."
    assert row.source == "https://w3id.org/osteokg/osteokg.owl" and row.source_title.startswith("osteokg")
    assert [s.rule for s in row.chain] == ["definition"] and row.chain_complete
    assert row.chain_en == "definition “A fracture of the hip.”: Hip fracture is located in hip (always)."
    assert row.chain_nl == "definition “Een breuk van de heup.”: Heupfractuur is gelokaliseerd in heup (altijd)."


def test_a_chain_whose_premise_is_missing_says_so(graph: Graph) -> None:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    # drop the asserted root's evidence: the subclass edge now points at nothing
    root = next(n for n in broken.subjects(OKG.quote, Literal("Een breuk kan botnecrose veroorzaken.", lang="nl"))
                if broken.value(n, OKG.inferred) == Literal(False))
    for triple in list(broken.triples((root, None, None))):
        broken.remove(triple)
    row = _row(review_rows(broken), "OSTEOKG:0000101", "OSTEOKG:0009005", "OSTEOKG:0000106", kind=INFERRED)
    assert not row.chain_complete and row.chain_en.startswith("(premise not found) → subclass: ")
    assert chain_text(row.chain, "nl").startswith("(premisse niet gevonden)")


# ---------------------------------------------------------------- rows, statements, order


def test_one_row_per_evidence_node_statement_and_note(graph: Graph, rows) -> None:
    evidence = [n for n in graph.subjects(RDF.type, OWL.Axiom)
                if graph.value(n, OKG.inferred) is not None and str(graph.value(n, OWL.annotatedProperty)).startswith(str(OSTEOKG))]
    assert len(evidence) == 8
    counts = count_rows(rows)
    assert (counts[ASSERTED], counts[INFERRED], counts[STATEMENT], counts[NOTE], counts[REJECTED]) == (5, 3, 2, 1, 0)
    assert (counts["inferred:definition"], counts["inferred:inverse"], counts["inferred:subclass"]) == (1, 1, 1)
    assert summary(rows) == "5 asserted, 3 inferred (definition 1, inverse 1, subclass 1), 2 statements, 1 notes, 0 rejected"
    assert len({r.row_id for r in rows}) == len(rows) == 11


def test_statements_and_notes_read_their_label_under_the_term_they_are_about(rows) -> None:
    statements = [r for r in rows if r.kind == STATEMENT]
    assert [r.subject.curie for r in statements] == ["OSTEOKG:0007000", "OSTEOKG:0007001"]
    first = statements[0]
    assert first.entity.curie == "OSTEOKG:0000110" and first.predicate is None
    assert first.sentence_en == "1 in 3 women over 50 has an osteoporotic fracture."
    assert first.sentence_nl == "1 op 3 vrouwen boven 50 krijgt een fractuur door osteoporose."
    assert first.review_status == "accepted" and first.source == "OSTEOKG:0008001" and first.quote.startswith("Eén op")
    note = next(r for r in rows if r.kind == NOTE)
    assert note.entity.curie == "OSTEOKG:0000102" and note.sentence_en == "Vertebral fractures are hard to recognise."


def test_rows_come_by_entity_asserted_before_inferred_then_predicate_and_object(rows) -> None:
    order = [(r.entity.curie, r.kind, r.predicate.curie if r.predicate else r.subject.curie) for r in rows]
    assert order == [
        ("OSTEOKG:0000100", ASSERTED, "OSTEOKG:0009005"),
        ("OSTEOKG:0000101", ASSERTED, "OSTEOKG:0009005"),
        ("OSTEOKG:0000101", INFERRED, "OSTEOKG:0009003"),
        ("OSTEOKG:0000101", INFERRED, "OSTEOKG:0009005"),
        ("OSTEOKG:0000102", ASSERTED, "OSTEOKG:0009009"),
        ("OSTEOKG:0000102", NOTE, "OSTEOKG:0007500"),
        ("OSTEOKG:0000106", INFERRED, "OSTEOKG:0009006"),
        ("OSTEOKG:0000110", ASSERTED, "OSTEOKG:0009005"),
        ("OSTEOKG:0000110", STATEMENT, "OSTEOKG:0007000"),
        ("OSTEOKG:0000110", STATEMENT, "OSTEOKG:0007001"),
        ("OSTEOKG:0005000", ASSERTED, "OSTEOKG:0009017"),
    ]
    assert [g.entity.curie for g in by_entity(rows)] == ["OSTEOKG:0000100", "OSTEOKG:0000101", "OSTEOKG:0000102",
                                                         "OSTEOKG:0000106", "OSTEOKG:0000110", "OSTEOKG:0005000"]
    assert review_rows(Graph().parse(data=FIXTURE, format="turtle")) == rows  # stable, row IDs included


# ---------------------------------------------------------------- rejected rows


def _table(kind: TableKind, extra: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    """A table of ``kind`` with every required directive and ``extra``; cells not given are 'x'."""
    directives = [*kind.required, *extra]
    lines = ["# a fixture", "\t".join(d.split()[-1] for d in directives), "\t".join(directives)]
    lines += ["\t".join(row.get(d, "x") for d in directives) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def ontology_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ontology"
    folder.mkdir()
    relation = {"SUBJECT": "osteoporosis", "PREDICATE": "causes", "OBJECT": "OSTEOKG:0000106", ">A okg:strength": "can",
                ">A dcterms:source": "OSTEOKG:0008002", ">A okg:quote": "Osteoporose kan botnecrose veroorzaken."}
    (folder / "relations.tsv").write_text(_table(RELATIONS, (">A okg:context", ">A okg:reviewStatus", ">A okg:reviewNote"), [
        {**relation, ">A okg:reviewStatus": "unreviewed", ">A okg:reviewNote": "", ">A okg:context": ""},
        {**relation, ">A okg:reviewStatus": "rejected", ">A okg:reviewNote": "the source says no such thing",
         ">A okg:context": "hip fracture"},
    ]), encoding="utf-8")
    statement = {"ID": "OSTEOKG:0007009", "A rdfs:label@en": "half of patients <50 heal", "A rdfs:label@nl": "de helft geneest",
                 "A IAO:0000115@en": "Half of patients <50 heal", "A IAO:0000115@nl": "De helft van de patiënten <50 geneest",
                 "A okg:about": "osteonecrosis", "A dcterms:source": "OSTEOKG:0008002", "A okg:quote": "De helft geneest.",
                 "A okg:statementKind": "proportion", "A okg:unit": "1", "A okg:timeFrameKind": "not-stated",
                 "A okg:reviewStatus": "rejected", "A okg:reviewNote": "misread"}
    (folder / "statements.tsv").write_text(_table(STATEMENTS, ("A okg:reviewStatus", "A okg:reviewNote"), [statement]),
                                           encoding="utf-8")
    return folder


def test_rejected_rows_are_read_from_the_tables(graph: Graph, ontology_dir: Path) -> None:
    rows = review_rows(graph, ontology_dir)
    rejected = [r for r in rows if r.kind == REJECTED]
    assert [r.location for r in rejected] == ["ontology/statements.tsv:4", "ontology/relations.tsv:5"]  # by entity
    assert rows[-2:] == rejected  # after everything in the graph
    statement, relation = rejected
    assert relation.sentence_nl == "Osteoporose kán botnecrose veroorzaken, bij heupfractuur."
    assert relation.sentence_en == "Osteoporosis can cause osteonecrosis, in hip fracture."
    assert (relation.subject.curie, relation.predicate.curie, relation.object.curie) == (
        "OSTEOKG:0000110", "OSTEOKG:0009005", "OSTEOKG:0000106")
    assert relation.review_note == "the source says no such thing" and relation.source_title == "Botnecrose"
    assert statement.entity.curie == "OSTEOKG:0000106" and statement.sentence_en == "Half of patients <50 heal."
    assert statement.review_note == "misread"
    assert count_rows(rows)[REJECTED] == 2 and not by_entity(rejected)


def test_the_review_directives_are_added_to_a_table_kind_that_lacks_them() -> None:
    old = TableKind("relation table", required=("SUBJECT",), optional=(">A okg:strength",))
    assert _with_review(old, ">").optional == (">A okg:strength", ">A okg:reviewStatus", ">A okg:reviewNote")
    assert _with_review(_with_review(old, ">"), ">") == _with_review(old, ">")
    assert _with_review(NOTES, "").optional.count("A okg:reviewStatus") == 1


# ---------------------------------------------------------------- the files


class _Balance(HTMLParser):
    """Checks that every element the page opens it also closes, in order (void elements aside)."""

    VOID = {"meta", "input", "br", "hr", "img", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unexpected </{tag}> at {self.getpos()}")


def test_the_tsv_has_a_header_every_row_and_empty_mark_columns(rows, tmp_path: Path) -> None:
    paths = write_review(rows, tmp_path)
    assert [p.name for p in paths] == ["review.tsv", "review.html"]
    text = (tmp_path / "review.tsv").read_text(encoding="utf-8")
    assert text == render_tsv(rows)
    records = list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert tuple(records[0]) == TSV_COLUMNS and TSV_COLUMNS[-2:] == ("mark", "mark_note")
    assert len(records) == len(rows) and all(r["mark"] == r["mark_note"] == "" for r in records)
    assert [r["row_id"] for r in records] == [r.row_id for r in rows]
    proportion = next(r for r in records if r["strength"] == "proportion")
    assert proportion["quantified_by"] == "OSTEOKG:0007000 | OSTEOKG:0007001"
    assert proportion["sentence_en"].startswith("Osteoporosis causes fracture (1 in 3")
    combination = next(r for r in records if r["predicate"] == "OSTEOKG:0009017")
    assert combination["in_combination_with_labels_nl"] == "vitamine D | beweging"
    inverse = next(r for r in records if r["rule"] == "inverse")
    assert inverse["chain_en"].startswith("asserted: Fracture can cause osteonecrosis. → subclass:")
    assert not list(tmp_path.glob(".review*"))  # no temporary file left


def test_the_html_page_is_self_contained_escaped_and_has_every_row(graph: Graph, ontology_dir: Path) -> None:
    rows = review_rows(graph, ontology_dir)
    page = render_html(rows)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"nl\">")
    assert "<script" not in page and "http://" not in page.replace("https://w3id.org/osteokg/osteokg.owl", "")
    assert "src=" not in page and "<link" not in page
    for row in rows:
        assert f'id="{row.row_id}"' in page
        assert html.escape(row.sentence_nl) in page and html.escape(row.sentence_en) in page
        assert html.escape(row.quote) in page
    assert page.count('type="checkbox"') == len(rows)
    assert "&lt;niet&gt; altijd &quot;gemakkelijk&quot; &amp; snel" in page and "<niet>" not in page
    assert "Half of patients &lt;50 heal." in page and 'id="rejected"' in page
    assert 'href="#e-OSTEOKG_0000101"' in page and 'id="e-OSTEOKG_0000101"' in page
    inverse = next(r for r in rows if r.is_inverse)
    assert f'<tr id="{inverse.row_id}" class="inferred inverse rule-inverse">' in page
    assert '<div class="chain">' in page and "@media print" in page
    assert 'gecombineerde lezing <span lang="en">combined reading</span>' in page  # an editor's reading, flagged
    balance = _Balance()
    balance.feed(page)
    assert balance.errors == [] and balance.open == []


# ---------------------------------------------------------------- the real build


def test_the_real_build_has_one_true_looking_sentence_per_evidence_node(built) -> None:
    graph = built.graph
    relations = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(OSTEOKG))}
    evidence: dict[tuple, int] = {}
    for node in graph.subjects(RDF.type, OWL.Axiom):
        key = (graph.value(node, OWL.annotatedSource), graph.value(node, OWL.annotatedProperty),
               graph.value(node, OWL.annotatedTarget))
        if key[1] in relations and graph.value(node, OKG.inferred) is not None:
            evidence[key] = evidence.get(key, 0) + 1
    edges = {(s, p, o) for p in relations for s, o in graph.subject_objects(p)
             if isinstance(s, URIRef) and isinstance(o, URIRef)}
    assert edges == set(evidence)  # every edge has evidence and every evidence node an edge

    rows = review_rows(graph)
    from kg.vocab import expand

    per_edge: dict[tuple, int] = {}
    for row in rows:
        if row.kind in (ASSERTED, INFERRED):
            key = tuple(URIRef(expand(n.curie) or n.curie) for n in (row.subject, row.predicate, row.object))
            per_edge[key] = per_edge.get(key, 0) + 1
    assert per_edge == evidence
    statements = sum(1 for _ in graph.subjects(RDF.type, OSTEOKG["0000091"]))
    notes = sum(1 for _ in graph.subjects(RDF.type, OSTEOKG["0000092"]))
    counts = count_rows(rows)
    assert (counts[STATEMENT], counts[NOTE]) == (statements, notes)
    for row in rows:
        for text in (row.sentence_nl, row.sentence_en, row.chain_nl, row.chain_en):
            assert "{" not in text and "}" not in text, (row.row_id, text)
        for sentence in (row.sentence_nl, row.sentence_en):
            assert sentence.endswith("."), (row.row_id, sentence)
            assert sentence[0] == sentence[0].upper(), sentence
        assert row.chain_complete, (row.row_id, row.chain_en)
        if row.kind == INFERRED:
            assert row.chain[-1].sentence_en == row.sentence_en and row.chain[0].rule in ("asserted", "definition")
    assert len({r.row_id for r in rows}) == len(rows)
    balance = _Balance()
    balance.feed(render_html(rows))
    assert balance.errors == [] and balance.open == []
