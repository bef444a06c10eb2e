"""kg/codes.py: ontology/code-labels.tsv read, checked and put in the graph as the codes' skos:prefLabel; the
service's entity answers carry each code's label.

Whether each label is its terminology's official one is tests/ontology/test_xrefs.py's check (it needs the
terminologies' packages); here: the reader, each error a build gives for a bad row (naming file, line and column),
the triples in the real graph, and the label in the entity JSON, computed from the store in both languages.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg.build import ONTOLOGY_DIR
from kg.cli import EXIT_ERROR, main
from kg.codes import (
    CODE_LABELS_TABLE,
    SCHEMA_FILE,
    UNNAMED,
    CodeLabel,
    add_code_labels,
    cross_referenced,
    read_code_labels,
)
from kg.compose import compose
from kg.errors import TableError
from kg.service import NotFound, Service
from kg.vocab import OSTEOKG, PREFIXES, shorten
from tests.kg.conftest import write_release_folder

M87 = URIRef("http://purl.bioontology.org/ontology/ICD10/M87")
HEAD = "# a comment line\ncode\tofficial label (en)\nID\tA skos:prefLabel@en\n"


def table(folder: Path, *rows: str, head: str = HEAD) -> Path:
    path = folder / CODE_LABELS_TABLE
    path.write_text(head + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def replace_row(ontology: Path, code: str, *new_rows: str) -> int:
    """Replace the row of ``code`` in the copy's table by ``new_rows`` (none: delete it); return its line number."""
    path = ontology / CODE_LABELS_TABLE
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.split("\t")[0] == code)
    lines[number:number + 1] = list(new_rows)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number + 1


def add_rows(ontology: Path, *rows: str) -> int:
    """Append rows to the copy's table; return the line number of the first."""
    path = ontology / CODE_LABELS_TABLE
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return len(text.splitlines()) + 1


# ------------------------------------------------------------------------------------------- the reader

def test_good_rows_are_read_in_file_order(tmp_path: Path) -> None:
    path = table(tmp_path, "ICD10WHO:M87\tOsteonecrosis", "MESH:D010020\t Osteonecrosis ")
    found = read_code_labels(path)
    assert list(found) == ["ICD10WHO:M87", "MESH:D010020"]
    assert found["ICD10WHO:M87"] == CodeLabel("ICD10WHO:M87", M87, "Osteonecrosis", f"{path}:4")
    assert found["MESH:D010020"].iri == URIRef("http://id.nlm.nih.gov/mesh/D010020")
    assert found["MESH:D010020"].label == "Osteonecrosis"  # the cell's surrounding spaces are not the label's


def test_labels_go_on_the_codes_the_terms_use(tmp_path: Path) -> None:
    graph = Graph()
    term = OSTEOKG["0000106"]
    graph.add((term, SKOS.exactMatch, M87))
    graph.add((OSTEOKG["0000107"], SKOS.broadMatch, M87))
    assert add_code_labels(graph, table(tmp_path, "ICD10WHO:M87\tOsteonecrosis")) == 1
    assert set(graph.objects(M87, SKOS.prefLabel)) == {Literal("Osteonecrosis", lang="en")}
    assert (SKOS.prefLabel, RDF.type, OWL.AnnotationProperty) in graph  # osteokg.owl stays OWL 2 DL
    assert not set(graph.objects(term, SKOS.prefLabel))


def test_a_graph_without_cross_references_needs_no_table(tmp_path: Path) -> None:
    graph = Graph()
    assert add_code_labels(graph, tmp_path / CODE_LABELS_TABLE) == 0
    assert len(graph) == 0


def test_the_schemas_mappings_need_their_labels_too_and_name_the_schema(tmp_path: Path) -> None:
    graph = Graph()
    graph.add((OSTEOKG["0000010"], SKOS.exactMatch, URIRef("https://w3id.org/biolink/vocab/Disease")))
    with pytest.raises(TableError, match=r"OSTEOKG:0000010 cross-references biolink:Disease") as caught:
        add_code_labels(graph, table(tmp_path))
    assert caught.value.path == str(tmp_path / SCHEMA_FILE)
    assert add_code_labels(graph, table(tmp_path, "biolink:Disease\tdisease")) == 1


def test_a_strengths_related_match_is_labelled(tmp_path: Path) -> None:
    graph = Graph()
    frequent = URIRef("http://purl.obolibrary.org/obo/HP_0040282")
    graph.add((URIRef(PREFIXES["okg"] + "often"), SKOS.relatedMatch, frequent))
    assert add_code_labels(graph, table(tmp_path, "HP:0040282\tFrequent")) == 1
    assert set(graph.objects(frequent, SKOS.prefLabel)) == {Literal("Frequent", lang="en")}


def test_ro_and_bfo_codes_need_no_row_and_may_not_have_one(tmp_path: Path) -> None:
    """No package here ships their labels to check one against (kg.codes.UNNAMED)."""
    graph = Graph()
    graph.add((OSTEOKG["0009003"], SKOS.exactMatch, URIRef("http://purl.obolibrary.org/obo/RO_0004026")))
    assert add_code_labels(graph, table(tmp_path)) == 0
    with pytest.raises(TableError, match="RO:0004026: no package here ships the Relation Ontology's labels"):
        add_code_labels(graph, table(tmp_path, "RO:0004026\tdisease has location"))


# ------------------------------------------------------------------------------------------- the real graph

def test_the_real_graph_labels_every_code_its_terms_cross_reference(built) -> None:
    graph = built.graph
    rows = read_code_labels(ONTOLOGY_DIR / CODE_LABELS_TABLE)
    labelled = {s: set(graph.objects(s, SKOS.prefLabel)) for s in set(graph.subjects(SKOS.prefLabel, None))}
    assert labelled == {row.iri: {Literal(row.label, lang="en")} for row in rows.values()}
    assert labelled[M87] == {Literal("Osteonecrosis", lang="en")} and len(labelled) >= 155
    assert not [s for s in labelled if "snomed.info" in str(s)]  # SNOMED CT: codes only, never its names
    named = {code for code in cross_referenced(graph) if shorten(str(code)).split(":", 1)[0] not in UNNAMED}
    assert named == set(labelled)  # every code osteokg links to, and only those (SNOMED CT's, RO's, BFO's: none)
    assert labelled[URIRef("https://w3id.org/biolink/vocab/has_phenotype")] == {Literal("has phenotype", lang="en")}
    assert labelled[URIRef("http://purl.obolibrary.org/obo/HP_0040280")] == {Literal("Obligate", lang="en")}


# ------------------------------------------------------------------------------------------- build errors

@pytest.mark.parametrize("code", ["FOO:123", "M87", "ICD10WHO:", "icd10who:M87", "OSTEOKG:0000106", "okg:can"])
def test_a_code_that_is_not_a_curie_of_another_terminology_names_its_row(ontology_copy: Path, code: str) -> None:
    line = add_rows(ontology_copy, f"{code}\tSomething")
    with pytest.raises(TableError, match="is not the CURIE of another terminology's code") as caught:
        compose(ontology_copy)
    assert (caught.value.path, caught.value.line, caught.value.column) == (
        str(ontology_copy / CODE_LABELS_TABLE), line, "code")


def test_a_code_on_two_rows_names_both_lines(ontology_copy: Path) -> None:
    first = replace_row(ontology_copy, "ICD10WHO:M87", "ICD10WHO:M87\tOsteonecrosis")
    second = add_rows(ontology_copy, "ICD10WHO:M87\tAvascular necrosis of bone")
    with pytest.raises(TableError, match=f"already given on line {first}; one row per code") as caught:
        compose(ontology_copy)
    assert caught.value.line == second


def test_a_row_repeated_exactly_is_the_tables_own_error(ontology_copy: Path) -> None:
    add_rows(ontology_copy, "ICD10WHO:M87\tOsteonecrosis")
    with pytest.raises(TableError, match="repeats line"):
        compose(ontology_copy)


def test_a_code_no_term_uses_names_its_row(ontology_copy: Path) -> None:
    line = add_rows(ontology_copy, "MESH:D000001\tCalcimycin")
    with pytest.raises(TableError, match="no term cross-references MESH:D000001") as caught:
        compose(ontology_copy)
    assert (caught.value.line, caught.value.column) == (line, "code")


def test_a_row_for_a_snomed_ct_code_is_refused(ontology_copy: Path) -> None:
    """SNOMED CT's names are licensed content the release does not carry (kg.codes.UNNAMED)."""
    line = add_rows(ontology_copy, "SNOMEDCT:116602009\tPrednisone")
    with pytest.raises(TableError, match="SNOMEDCT:116602009: SNOMED CT's descriptions are licensed") as caught:
        compose(ontology_copy)
    assert (caught.value.line, caught.value.column) == (line, "code")


def test_a_cross_reference_without_a_row_names_the_terms_row(ontology_copy: Path) -> None:
    replace_row(ontology_copy, "ICD10WHO:M87")
    with pytest.raises(TableError, match=r"OSTEOKG:0000106 cross-references ICD10WHO:M87 \(skos:exactMatch\), "
                                         r"which .*code-labels.tsv has no row for") as caught:
        compose(ontology_copy)
    disorders = ontology_copy / "terms" / "disorders.tsv"
    osteonecrosis = next(number for number, line in enumerate(disorders.read_text(encoding="utf-8").splitlines(), 1)
                         if line.startswith("OSTEOKG:0000106\t"))
    assert (caught.value.path, caught.value.line) == (str(disorders), osteonecrosis)


def test_a_missing_table_is_an_error_when_terms_cross_reference_codes(ontology_copy: Path) -> None:
    (ontology_copy / CODE_LABELS_TABLE).unlink()
    with pytest.raises(TableError, match="has no row for"):
        compose(ontology_copy)


def test_an_empty_label_and_a_wrong_directive_name_their_column(ontology_copy: Path) -> None:
    line = replace_row(ontology_copy, "ICD10WHO:M87", "ICD10WHO:M87\t")
    with pytest.raises(TableError, match="must not be empty") as caught:
        compose(ontology_copy)
    assert (caught.value.line, caught.value.column) == (line, "official label (en)")
    path = ontology_copy / CODE_LABELS_TABLE
    path.write_text(path.read_text(encoding="utf-8").replace("A skos:prefLabel@en", "A rdfs:label@en"), encoding="utf-8")
    with pytest.raises(TableError, match="unknown directive 'A rdfs:label@en' for a code label table"):
        compose(ontology_copy)


def test_osteokg_build_exits_2_naming_the_row(ontology_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = add_rows(ontology_copy, "MESH:D000001\tCalcimycin")
    out = ontology_copy.parent / "out"
    assert main(["build", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert f"code-labels.tsv, line {line}, column 'code': no term cross-references MESH:D000001" in err
    assert "Traceback" not in err and not out.exists()


# ------------------------------------------------------------------------------------------- the service

@pytest.fixture(scope="module")
def computed(built, tmp_path_factory) -> Service:
    """The service over the real graph, every answer computed from the store (a folder without documents)."""
    folder = write_release_folder(built, tmp_path_factory.mktemp("codes"), version_iri="https://w3id.org/osteokg/test")
    service = Service.open(folder)
    yield service
    service.release.close()


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_entity_lists_its_codes_with_their_official_labels(computed: Service, lang: str) -> None:
    xrefs = computed.entity("OSTEOKG:0000106", lang)["xrefs"]
    assert {"id": "ICD10WHO:M87", "iri": str(M87), "match": "exactMatch", "label": "Osteonecrosis"} in xrefs
    assert all(isinstance(x["label"], str) and x["label"] for x in xrefs), "a code of a term without its label"
    assert {x["id"]: x["label"] for x in xrefs}["HP:0010885"] == "Avascular necrosis"


def test_a_category_mapping_has_its_label_and_a_code_without_one_is_null(computed: Service) -> None:
    xrefs = computed.entity("OSTEOKG:0000010")["xrefs"]  # the category disorder, mapped to Biolink
    assert [(x["id"], x["label"]) for x in xrefs] == [("biolink:Disease", "disease")]
    xrefs = computed.entity("OSTEOKG:0009003")["xrefs"]  # has location: Biolink's name, RO's code alone
    assert {x["id"]: x["label"] for x in xrefs} == {"biolink:disease_has_location": "disease has location",
                                                    "RO:0004026": None}


def test_a_code_with_only_its_label_is_no_entity(built, tmp_path: Path) -> None:
    """A graph where a code keeps its label but no term maps to it any more (a cut of the graph, a store loaded
    with part of it): the code is not taken for an osteokg entity (entity-exists.rq does not count the label)."""
    graph = Graph()
    for triple in built.graph:
        if triple[2] != M87:
            graph.add(triple)
    assert set(graph.objects(M87, SKOS.prefLabel)) and not set(graph.subjects(None, M87))
    folder = tmp_path / "release"
    folder.mkdir()
    graph.serialize(folder / "osteokg.nt", format="nt", encoding="utf-8")
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    service = Service.open(folder)
    try:
        with pytest.raises(NotFound):
            service.resolve("ICD10WHO:M87")
        assert service.resolve("MESH:D010020").kind == "code"  # a code that is mapped still resolves
    finally:
        service.release.close()
