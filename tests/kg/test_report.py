"""kg.report: the QC checks in kg/queries/qc/, one small graph per check, and the real graph's report."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from rdflib import Graph

from kg.report import (COLUMNS, LEVELS, Report, Row, format_table, load_checks, load_store, run_check,
                       run_report, write_tsv)
from kg.vocab import PREFIXES

TTL_PREFIXES = """
@prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
@prefix okg: <https://w3id.org/osteokg/vocab/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix biolink: <https://w3id.org/biolink/vocab/> .
@prefix IAO: <http://purl.obolibrary.org/obo/IAO_> .
@prefix UBERON: <http://purl.obolibrary.org/obo/UBERON_> .
@prefix MONDO: <http://purl.obolibrary.org/obo/MONDO_> .
@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .
"""

# A small graph that passes every check, infos included: two upper categories, two terms with
# synonyms and cross-references, a relation, a source and one edge with its evidence.
CLEAN = TTL_PREFIXES + """
okg:quote a owl:AnnotationProperty . okg:inferred a owl:AnnotationProperty .
okg:about a owl:AnnotationProperty . okg:confirmed a owl:AnnotationProperty .
OSTEOKG:0000010 a owl:Class ; rdfs:label "disorder"@en , "aandoening"@nl ;
    IAO:0000115 "A disease."@en , "Een ziekte."@nl ; skos:exactMatch biolink:Disease .
OSTEOKG:0000020 a owl:Class ; rdfs:label "anatomical site"@en , "anatomische plaats"@nl ;
    IAO:0000115 "A body part."@en , "Een lichaamsdeel."@nl ; skos:exactMatch biolink:AnatomicalEntity .
OSTEOKG:0000100 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ;
    rdfs:label "osteoporosis"@en , "osteoporose"@nl ;
    IAO:0000115 "Weak bones."@en , "Zwakke botten."@nl ;
    oboInOwl:hasExactSynonym "botontkalking"@nl ; skos:exactMatch MONDO:0005298 .
OSTEOKG:0001002 a owl:Class ; rdfs:subClassOf OSTEOKG:0000020 ;
    rdfs:label "femur"@en , "dijbeen"@nl ;
    IAO:0000115 "The thigh bone."@en , "Het dijbeen."@nl ;
    oboInOwl:hasExactSynonym "thigh bone"@en ; skos:exactMatch UBERON:0000981 .
OSTEOKG:0009003 a owl:ObjectProperty ; rdfs:label "has location"@en , "gelokaliseerd in"@nl ;
    IAO:0000115 "Occurs in."@en , "Komt voor in."@nl ; skos:exactMatch biolink:disease_has_location .
OSTEOKG:0008001 a owl:NamedIndividual , dcterms:BibliographicResource ;
    rdfs:label "Fractures in osteoporosis"@en , "Breuken bij osteoporose"@nl ;
    dcterms:title "Breuken bij osteoporose"@nl ; dcterms:language "nl" .
OSTEOKG:0000100 OSTEOKG:0009003 OSTEOKG:0001002 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
    owl:annotatedTarget OSTEOKG:0001002 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Osteoporose tast vooral de heup aan."@nl ; okg:inferred false .
"""


def term(number: str, en: str | None = "fragility fracture", nl: str | None = "fragiliteitsfractuur",
         def_en: str | None = "A break.", def_nl: str | None = "Een breuk.", parent: str | None = "OSTEOKG:0000010",
         extra: str = "") -> str:
    """A term in Turtle; leave a part out by passing None."""
    parts = ["a owl:Class"]
    if parent:
        parts.append(f"rdfs:subClassOf {parent}")
    parts += [f'rdfs:label "{en}"@en'] if en else []
    parts += [f'rdfs:label "{nl}"@nl'] if nl else []
    parts += [f'IAO:0000115 "{def_en}"@en'] if def_en else []
    parts += [f'IAO:0000115 "{def_nl}"@nl'] if def_nl else []
    parts += [extra] if extra else []
    return f"OSTEOKG:{number} " + " ; ".join(parts) + " .\n"


#: check name → (level, Turtle added to CLEAN, the entity expected in a row, expected property, value)
CASES: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "missing-label-en": ("error", term("0000101", en=None), "OSTEOKG:0000101", "rdfs:label", None),
    "missing-label-nl": ("error", term("0000101", nl=None), "OSTEOKG:0000101", "rdfs:label", None),
    "missing-definition-en": ("error", term("0000101", def_en=None), "OSTEOKG:0000101", "IAO:0000115", None),
    "missing-definition-nl": ("error", term("0000101", def_nl=None), "OSTEOKG:0000101", "IAO:0000115", None),
    "multiple-labels": ("error", 'OSTEOKG:0000100 rdfs:label "bone loss"@en .', "OSTEOKG:0000100", "rdfs:label",
                        None),
    "multiple-definitions": ("error", 'OSTEOKG:0000100 IAO:0000115 "Brittle bones."@en .', "OSTEOKG:0000100",
                             "IAO:0000115", None),
    "duplicate-label": ("warning", term("0000101", en="Osteoporosis"), "OSTEOKG:0000101", "rdfs:label",
                        '"Osteoporosis"@en'),
    "duplicate-definition": ("warning", term("0000101", def_en="Weak bones."), "OSTEOKG:0000101", "IAO:0000115",
                             '"Weak bones."@en'),
    "edge-without-evidence": ("error", "OSTEOKG:0000100 OSTEOKG:0009003 OSTEOKG:0000020 .", "OSTEOKG:0000100",
                              "OSTEOKG:0009003", "OSTEOKG:0000020"),
    "evidence-without-edge": ("error", """[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0001002 ;
        owl:annotatedProperty OSTEOKG:0009003 ; owl:annotatedTarget OSTEOKG:0000020 ;
        dcterms:source OSTEOKG:0008001 ; okg:quote "Het dijbeen."@nl ; okg:inferred false .""",
                              "OSTEOKG:0001002", "OSTEOKG:0009003", "OSTEOKG:0000020"),
    # the unknown source is cited by an evidence node: the row names the edge's subject
    "dangling-reference": ("error", """OSTEOKG:0000100 OSTEOKG:0009003 OSTEOKG:0000020 .
        [] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
        owl:annotatedTarget OSTEOKG:0000020 ; dcterms:source OSTEOKG:0008999 ;
        okg:quote "Osteoporose."@nl ; okg:inferred false .""", "OSTEOKG:0000100", "dcterms:source",
                           "OSTEOKG:0008999"),
    "undeclared-property": ("error", 'OSTEOKG:0000100 okg:seeAlso "elsewhere" .', "OSTEOKG:0000100",
                            "okg:seeAlso", None),
    "deprecated-without-replacement": ("error", "OSTEOKG:0000100 owl:deprecated true .", "OSTEOKG:0000100",
                                       "owl:deprecated", '"true"^^xsd:boolean'),
    "deprecated-reference": ("warning", term("0000101", extra="owl:deprecated true ; IAO:0100001 OSTEOKG:0000100")
                             + term("0000102", en="hip fracture", nl="heupfractuur", parent="OSTEOKG:0000101"),
                             "OSTEOKG:0000102", "rdfs:subClassOf", "OSTEOKG:0000101"),
    "malformed-xref": ("error", 'OSTEOKG:0000100 skos:closeMatch "MONDO:0005298" .', "OSTEOKG:0000100",
                       "skos:closeMatch", '"MONDO:0005298"'),
    "unconfirmed-xref": ("warning", """[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0001002 ;
        owl:annotatedProperty skos:exactMatch ; owl:annotatedTarget UBERON:0000981 ; okg:confirmed false .""",
                         "OSTEOKG:0001002", "skos:exactMatch", "UBERON:0000981"),
    "term-without-parent": ("error", term("0000101", parent=None), "OSTEOKG:0000101", "rdfs:subClassOf", None),
    # a term's exact synonym is another term's exact synonym (ignoring case): both terms have a row
    "shared-exact-synonym": ("warning", term("0000101", extra='oboInOwl:hasExactSynonym "Botontkalking"@nl'),
                             "OSTEOKG:0000101", "oboInOwl:hasExactSynonym", '"Botontkalking"@nl'),
    "whitespace": ("warning", 'OSTEOKG:0000100 oboInOwl:hasExactSynonym "broze  botten"@nl .', "OSTEOKG:0000100",
                   "oboInOwl:hasExactSynonym", '"broze  botten"@nl'),
    "term-without-synonym": ("info", term("0000101"), "OSTEOKG:0000101", None, None),
    "term-without-xref": ("info", term("0000101"), "OSTEOKG:0000101", None, None),
    "term-without-relation": ("info", term("0000101"), "OSTEOKG:0000101", None, None),
    "uncited-source": ("info", """OSTEOKG:0008002 a owl:NamedIndividual , dcterms:BibliographicResource ;
        rdfs:label "Osteonecrosis"@en , "Botnecrose"@nl .""", "OSTEOKG:0008002", None, None),
}


def small(*extra: str) -> Graph:
    graph = Graph()
    graph.parse(data=CLEAN + "\n".join(extra), format="turtle")
    return graph


@pytest.fixture(scope="module")
def checks():
    return load_checks()


def test_every_check_file_has_a_case_here(checks) -> None:
    assert {c.name for c in checks} == set(CASES)
    for check in checks:
        assert check.level == CASES[check.name][0], check.name
        assert check.description, f"{check.path.name} has no leading # description"


def test_the_small_graph_is_clean(checks) -> None:
    report = run_report(small(), checks=checks)
    assert report.rows == (), format_table(report)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_check_finds_its_problem(checks, name: str) -> None:
    level, extra, entity, prop, value = CASES[name]
    report = run_report(small(extra), checks=checks)
    rows = report.by_check(name)
    assert rows, f"{name} found nothing:\n{format_table(report)}"
    matching = [r for r in rows if r.entity == entity]
    assert matching, f"{name}: no row for {entity}:\n{format_table(report)}"
    row = matching[0]
    assert row.level == level
    if prop is not None:
        assert row.property == prop
    if value is not None:
        assert any(r.value == value for r in matching), [r.value for r in matching]
    if level == "error":
        assert report.errors >= 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_check_runs_through_the_store_interface_alike_on_both_engines(checks, name: str) -> None:
    """The checks run through kg.store's raw-query capability: the QC report's own store (pyoxigraph, made
    from the graph in memory) and rdflib's engine over the same graph find the same solutions."""
    from kg.store import OxigraphStore, RdflibStore

    graph = small(CASES[name][1])
    (check,) = [c for c in checks if c.name == name]
    store = load_store(graph)
    assert isinstance(store, OxigraphStore) and store.triples() == len(graph)

    def same(solution: dict) -> tuple:  # an aggregated value (GROUP_CONCAT) has no order of its own
        return tuple(" | ".join(sorted(str(v).split(" | "))) if k == "value" and v is not None else repr(v)
                     for k, v in sorted(solution.items()))

    found = {engine: sorted(map(same, run_check(engine_store, check)))
             for engine, engine_store in (("oxigraph", store), ("rdflib", RdflibStore.from_graph(graph)))}
    assert found["oxigraph"] and found["oxigraph"] == found["rdflib"]


def test_shared_exact_synonym_names_every_term_involved(checks) -> None:
    # shared with another term's exact synonym: a row for each of the two terms
    rows = run_report(small(term("0000101", extra='oboInOwl:hasExactSynonym "Botontkalking"@nl')),
                      checks=checks).by_check("shared-exact-synonym")
    assert sorted((r.entity, r.property, r.value) for r in rows) == [
        ("OSTEOKG:0000100", "oboInOwl:hasExactSynonym", '"botontkalking"@nl'),
        ("OSTEOKG:0000101", "oboInOwl:hasExactSynonym", '"Botontkalking"@nl')]
    # another term's label: the synonym and the label it collides with
    rows = run_report(small(term("0000101", extra='oboInOwl:hasExactSynonym "Femur"@en')),
                      checks=checks).by_check("shared-exact-synonym")
    assert sorted((r.entity, r.property, r.value) for r in rows) == [
        ("OSTEOKG:0000101", "oboInOwl:hasExactSynonym", '"Femur"@en'),
        ("OSTEOKG:0001002", "rdfs:label", '"femur"@en')]


def test_shared_exact_synonym_leaves_other_languages_kinds_and_the_term_itself_alone(checks) -> None:
    extra = term("0000101", extra=" ; ".join([
        'oboInOwl:hasExactSynonym "botontkalking"@en',       # the same text in another language
        'oboInOwl:hasRelatedSynonym "botontkalking"@nl',     # a related synonym may be shared
        'oboInOwl:hasExactSynonym "Fragility fracture"@en',  # the term's own label
        'oboInOwl:hasExactSynonym "dijbeenbreuk"@nl']))      # a word of its own
    report = run_report(small(extra, 'OSTEOKG:0001002 oboInOwl:hasNarrowSynonym "fragility fracture"@en .'),
                        checks=checks)
    assert not report.by_check("shared-exact-synonym"), format_table(report)


def test_the_malformed_xref_check_knows_exactly_the_project_prefixes(checks) -> None:
    (check,) = [c for c in checks if c.name == "malformed-xref"]
    listed = dict(re.findall(r'\(\s*"([^"]+)"\s+"([^"]+)"\s+"[^"]+"\s*\)', check.query))
    assert listed == PREFIXES
    assert "# @known-prefixes" in check.path.read_text(encoding="utf-8")  # filled in, never written out


@pytest.mark.parametrize("target, malformed", [
    ("<http://example.org/terms/X1>", True),          # unknown namespace
    ("<http://purl.obolibrary.org/obo/MONDO_abc>", True),  # an OBO ID is digits
    ("<http://purl.obolibrary.org/obo/MONDO_>", True),     # no local ID
    ("<http://purl.obolibrary.org/obo/MONDO_0005298/x>", True),
    ("[]", True),                                     # a blank node
    ("MONDO:0005298", False),
    ("biolink:Disease", False),
])
def test_malformed_xref_targets(checks, target: str, malformed: bool) -> None:
    report = run_report(small(f"OSTEOKG:0000100 skos:closeMatch {target} ."), checks=checks)
    assert bool(report.by_check("malformed-xref")) is malformed, format_table(report)


def test_a_well_formed_id_of_every_known_prefix_passes(checks) -> None:
    samples = [f"<{ns}{'0005298' if ns.endswith('_') else 'R63.0'}>" for ns in PREFIXES.values()]
    report = run_report(small("OSTEOKG:0000100 skos:relatedMatch " + " , ".join(samples) + " ."), checks=checks)
    assert not report.by_check("malformed-xref"), format_table(report)


def test_dangling_reference_from_a_statement_names_the_statement(checks) -> None:
    statement = """OSTEOKG:0007000 a owl:NamedIndividual ; rdfs:label "1 in 3"@en , "1 op 3"@nl ;
        IAO:0000115 "One in three."@en , "Een op drie."@nl ; okg:about OSTEOKG:0000199 ."""
    rows = run_report(small(statement), checks=checks).by_check("dangling-reference")
    assert [(r.entity, r.property, r.value) for r in rows] == [("OSTEOKG:0007000", "okg:about", "OSTEOKG:0000199")]


def test_rows_carry_label_and_location(checks) -> None:
    locations = {"https://w3id.org/osteokg/OSTEOKG_0000101": "ontology/terms/disorders.tsv:4"}
    report = run_report(small(term("0000101", nl=None)), locations, checks=checks)
    row = report.by_check("missing-label-nl")[0]
    assert (row.label, row.location) == ("fragility fracture", "ontology/terms/disorders.tsv:4")
    # an entity of the schema's ID ranges is located in the schema file
    report = run_report(small("OSTEOKG:0009003 owl:deprecated true ."), locations, checks=checks)
    assert report.by_check("deprecated-without-replacement")[0].location == "ontology/osteokg-schema.ttl"


def test_a_check_must_select_entity(tmp_path: Path) -> None:
    (tmp_path / "error-bad.rq").write_text("# no entity\nSELECT ?thing WHERE { ?thing ?p ?o }\n", encoding="utf-8")
    (check,) = load_checks(tmp_path)
    with pytest.raises(ValueError, match="must SELECT \\?entity"):
        run_check(load_store(small()), check)


def test_a_check_needs_a_known_level(tmp_path: Path) -> None:
    (tmp_path / "fatal-bad.rq").write_text("SELECT ?entity WHERE { ?entity ?p ?o }\n", encoding="utf-8")
    with pytest.raises(ValueError, match="<level>-<check>.rq"):
        load_checks(tmp_path)


def test_checks_are_ordered_by_level(checks) -> None:
    assert [LEVELS.index(c.level) for c in checks] == sorted(LEVELS.index(c.level) for c in checks)


def test_format_table_aligns_columns_and_sums_up(checks) -> None:
    report = run_report(small(term("0000101", en=None, nl=None)), checks=checks)
    text = format_table(report)
    lines = text.splitlines()
    header, rule = lines[0], lines[1]
    assert header.split() == ["LEVEL", "CHECK", "ENTITY", "LABEL", "PROPERTY", "VALUE", "LOCATION"]
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    assert starts == [header.index(h) for h in ("LEVEL", "CHECK", "ENTITY", "LABEL", "PROPERTY", "VALUE", "LOCATION")]
    for line in lines[2:2 + len(report.rows)]:
        assert line[starts[2]:].startswith("OSTEOKG:0000101")
    assert lines[-1] == (f"QC report ({len(checks)} checks): {report.errors} errors, {report.warnings} warnings, "
                         f"{report.infos} infos.")
    assert format_table(Report((), checks)).startswith("QC report")


def test_write_tsv_columns(tmp_path: Path) -> None:
    report = Report((Row("error", "missing-label-nl", "OSTEOKG:0000101", "fragility\tfracture", "rdfs:label", None,
                         "ontology/terms/disorders.tsv:4"),
                     Row("info", "term-without-xref", "OSTEOKG:0000102"),))
    path = write_tsv(report, tmp_path / "qc" / "qc-report.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert tuple(rows[0]) == COLUMNS == ("level", "check", "entity", "label", "property", "value", "location")
    assert rows[1] == ["error", "missing-label-nl", "OSTEOKG:0000101", "fragility\\tfracture", "rdfs:label", "",
                       "ontology/terms/disorders.tsv:4"]
    assert rows[2] == ["info", "term-without-xref", "OSTEOKG:0000102", "", "", "", ""]
    assert [p.name for p in path.parent.iterdir()] == ["qc-report.tsv"]  # no temporary file left behind


def test_the_real_graph_has_no_error(built) -> None:
    report = run_report(built.graph, built.locations)
    errors = Report(tuple(r for r in report.rows if r.level == "error"), report.checks)
    assert report.errors == 0, format_table(errors)
    # the infos name real terms with their labels and table rows
    assert report.rows and all(r.label and r.location for r in report.rows)
