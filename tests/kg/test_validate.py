"""kg.validate: pyshacl results turned into findings an editor can act on, and the text report."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDFS, SH

from kg.validate import (SHAPES_DIR, Finding, Report, curie, format_report, load_shapes, path_text,
                         shape_count, validate)

PREFIXES = """
@prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
@prefix okg: <https://w3id.org/osteokg/vocab/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix biolink: <https://w3id.org/biolink/vocab/> .
@prefix IAO: <http://purl.obolibrary.org/obo/IAO_> .
"""

# A tiny built graph: two upper categories, a disorder, a bone, a relation, a source and one edge
# with its evidence.
SMALL = PREFIXES + """
OSTEOKG:0000010 a owl:Class ; rdfs:label "disorder"@en , "aandoening"@nl ;
    IAO:0000115 "A disease."@en , "Een ziekte."@nl .
OSTEOKG:0000020 a owl:Class ; rdfs:label "anatomical site"@en , "anatomische plaats"@nl ;
    IAO:0000115 "A body part."@en , "Een lichaamsdeel."@nl .
OSTEOKG:0000100 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ;
    rdfs:label "osteoporosis"@en , "osteoporose"@nl ;
    IAO:0000115 "Weak bones."@en , "Zwakke botten."@nl .
OSTEOKG:0001002 a owl:Class ; rdfs:subClassOf OSTEOKG:0000020 ;
    rdfs:label "femur"@en , "dijbeen"@nl ;
    IAO:0000115 "The thigh bone."@en , "Het dijbeen."@nl .
OSTEOKG:0009003 a owl:ObjectProperty ; rdfs:label "has location"@en , "gelokaliseerd in"@nl ;
    IAO:0000115 "Occurs in."@en , "Komt voor in."@nl ; skos:exactMatch biolink:disease_has_location ;
    okg:sentence "{s} is {adv}located in {o}"@en , "{s} is {adv}gelokaliseerd in {o}"@nl ;
    okg:possibilitySentence "{s} can be located in {o}"@en , "{s} kán gelokaliseerd zijn in {o}"@nl ;
    okg:inheritedBySubclasses false ; okg:generalizesObject true .
OSTEOKG:0008001 a owl:NamedIndividual , dcterms:BibliographicResource ;
    dcterms:title "Breuken bij osteoporose"@nl ; dcterms:publisher "UZ Gent" ;
    schema:url <https://www.uzgent.be/osteoporose> ; dcterms:language "nl" .
OSTEOKG:0000100 OSTEOKG:0009003 OSTEOKG:0001002 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
    owl:annotatedTarget OSTEOKG:0001002 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Osteoporose tast vooral de heup aan."@nl ; okg:inferred false ;
    okg:strength okg:most ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" .
"""

LOCATIONS = {
    "https://w3id.org/osteokg/OSTEOKG_0000100": "ontology/terms/disorders.tsv:3",
    "https://w3id.org/osteokg/OSTEOKG_0000120": "ontology/terms/disorders.tsv:9",
}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def graph(*extra: str) -> Graph:
    g = Graph().parse(data=SMALL, format="turtle")
    for text in extra:
        g.parse(data=PREFIXES + text, format="turtle")
    return g


def only(report: Report, shape: str) -> Finding:
    found = [f for f in report.findings if f.shape == shape]
    assert len(found) == 1, format_report(report)
    return found[0]


def test_shapes_dir_is_the_repository_folder() -> None:
    assert SHAPES_DIR == Path(__file__).resolve().parents[2] / "shapes"
    assert any(SHAPES_DIR.glob("*.ttl"))


def test_load_shapes_merges_every_turtle_file(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text("<urn:a> <urn:p> <urn:b> .\n", encoding="utf-8")
    (tmp_path / "b.ttl").write_text("<urn:c> <urn:p> <urn:d> .\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not turtle", encoding="utf-8")
    assert len(load_shapes(tmp_path)) == 2


def test_load_shapes_without_files_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_shapes(tmp_path)


def test_a_conforming_graph(shapes: Graph) -> None:
    report = validate(graph(), shapes, LOCATIONS)
    assert report.conforms, format_report(report)
    assert report.findings == () and report.errors == ()
    assert format_report(report) == f"Graph conforms to the shapes ({shape_count(shapes)} shapes)."
    assert shape_count(shapes) > 40


def test_a_missing_dutch_label_is_one_finding_with_every_field(shapes: Graph) -> None:
    g = graph("""OSTEOKG:0000120 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ; rdfs:label "diabetes"@en ;
        IAO:0000115 "High blood sugar."@en , "Hoge bloedsuiker."@nl .""")
    report = validate(g, shapes, LOCATIONS)
    assert not report.conforms
    # the term shape and the disorder shape share the label check: reported once
    finding = only(report, "oks:TermLabelNlShape")
    assert report.errors == (finding,)
    assert finding == Finding(
        severity="Violation", focus="OSTEOKG:0000120", focus_label="diabetes", path="rdfs:label",
        path_label="label", message=finding.message, shape="oks:TermLabelNlShape", value=None,
        location="ontology/terms/disorders.tsv:9")
    assert "Dutch label (rdfs:label with @nl)" in finding.message


def test_report_names_label_id_property_message_value_and_location(shapes: Graph) -> None:
    g = graph('OSTEOKG:0000100 rdfs:label "Osteoporose"@de .')
    report = validate(g, shapes, LOCATIONS)
    finding = only(report, "oks:TermLabelFormShape")
    assert finding.value == '"Osteoporose"@de'
    text = format_report(report)
    for expected in ("VIOLATION", "osteoporosis (OSTEOKG:0000100)", "label (rdfs:label)", finding.message,
                     '"Osteoporose"@de', "ontology/terms/disorders.tsv:3", "oks:TermLabelFormShape"):
        assert expected in text, text
    assert text.splitlines()[-1] == (f"Graph does not conform to the shapes ({shape_count(shapes)} shapes): "
                                     "1 violation on 1 entity.")


def test_an_evidence_node_shows_its_edge_and_its_subjects_location(shapes: Graph) -> None:
    g = graph()
    axiom = next(g.subjects(URIRef("http://www.w3.org/2002/07/owl#annotatedSource"), None))
    g.set((axiom, URIRef("https://w3id.org/osteokg/vocab/quote"), Literal("Too short", lang="en")))
    report = validate(g, shapes, LOCATIONS)
    finding = only(report, "oks:EvidenceShape")
    assert finding.focus == f"_:{axiom}"
    assert finding.focus_label == "osteoporosis \u2014has location\u2192 femur"
    assert finding.path == "okg:quote"
    assert finding.value == '"Too short"@en'
    assert finding.location == "ontology/terms/disorders.tsv:3"
    assert "evidence of osteoporosis \u2014has location\u2192 femur" in format_report(report)


def test_an_edge_finding_names_the_relation_and_the_object(shapes: Graph) -> None:
    g = graph("""OSTEOKG:0000100 OSTEOKG:0009003 OSTEOKG:0000010 .
        [] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
           owl:annotatedTarget OSTEOKG:0000010 ; dcterms:source OSTEOKG:0008001 ;
           okg:quote "Osteoporose is een aandoening."@nl ; okg:inferred false ;
           okg:strength okg:defining ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" .""")
    report = validate(g, shapes, LOCATIONS)
    finding = only(report, "oks:HasLocationEdgeShape")
    assert (finding.focus, finding.path, finding.path_label) == ("OSTEOKG:0000100", "OSTEOKG:0009003", "has location")
    assert (finding.value, finding.value_label) == ("OSTEOKG:0000010", "disorder")
    assert "anatomical site" in finding.message
    assert "value:    OSTEOKG:0000010 (disorder)" in format_report(report)


def test_locations_may_be_keyed_by_curie(shapes: Graph) -> None:
    g = graph('OSTEOKG:0000100 rdfs:label "Osteoporose"@de .')
    report = validate(g, shapes, {"OSTEOKG:0000100": "ontology/terms/disorders.tsv:3"})
    assert only(report, "oks:TermLabelFormShape").location == "ontology/terms/disorders.tsv:3"


def test_without_locations_the_location_is_unknown(shapes: Graph) -> None:
    report = validate(graph('OSTEOKG:0000100 rdfs:label "Osteoporose"@de .'), shapes)
    assert only(report, "oks:TermLabelFormShape").location is None
    assert "location: unknown" in format_report(report)


def test_curie() -> None:
    assert curie(URIRef("https://w3id.org/osteokg/OSTEOKG_0000100")) == "OSTEOKG:0000100"
    assert curie(URIRef("https://w3id.org/osteokg/vocab/quote")) == "okg:quote"
    assert curie(URIRef("https://w3id.org/osteokg/shapes/TermShape")) == "oks:TermShape"
    assert curie(URIRef("http://example.org/x")) == "http://example.org/x"
    assert curie(BNode("b1")) == "_:b1"
    assert curie(Literal("12.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))) == '"12.5"^^xsd:decimal'
    assert curie(Literal("plain")) == '"plain"'


def test_path_text_writes_shacl_paths_out() -> None:
    g = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
        <urn:star> sh:path [ sh:zeroOrMorePath rdfs:subClassOf ] .
        <urn:seq> sh:path ( OSTEOKG:0009003 [ sh:zeroOrMorePath rdfs:subClassOf ] ) .
        <urn:alt> sh:path [ sh:alternativePath ( rdfs:label rdfs:comment ) ] .
        <urn:inv> sh:path [ sh:inversePath rdfs:subClassOf ] .
        OSTEOKG:0009003 rdfs:label "has location"@en .
        """, format="turtle")

    def text(name: str) -> tuple[str, str | None]:
        return path_text(g, g.value(URIRef(name), SH.path))

    assert text("urn:star") == ("rdfs:subClassOf*", "subclass of*")
    assert text("urn:seq") == ("OSTEOKG:0009003/rdfs:subClassOf*", "has location / subclass of*")
    assert text("urn:alt") == ("rdfs:label|rdfs:comment", "label | comment")
    assert text("urn:inv") == ("^rdfs:subClassOf", "^subclass of")
    assert path_text(g, RDFS.label) == ("rdfs:label", "label")
