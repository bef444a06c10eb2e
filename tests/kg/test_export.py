"""kg.export: the SSSOM mapping set (checked with sssom-py) and the KGX TSV files (checked against biolink-model)."""
from __future__ import annotations

import csv
import importlib.resources
import logging
import re
import time
import warnings
from pathlib import Path

import pytest
import yaml
from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from kg.export import (EDGE_COLUMNS, KGX_EDGES, KGX_NODES, MAPPING_SET_ID, NODE_COLUMNS, SSSOM_COLUMNS, biolink_name,
                       write_kgx, write_sssom)
from kg.vocab import OKG, OSTEOKG, PREFIXES, expand, shorten

MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

SMALL = """
@prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
@prefix okg: <https://w3id.org/osteokg/vocab/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix biolink: <https://w3id.org/biolink/vocab/> .
@prefix IAO: <http://purl.obolibrary.org/obo/IAO_> .
@prefix UBERON: <http://purl.obolibrary.org/obo/UBERON_> .
<https://w3id.org/osteokg/osteokg.owl> a owl:Ontology ; owl:versionInfo "9.9.9" ;
    dcterms:license <https://creativecommons.org/licenses/by/4.0/> .
OSTEOKG:0000010 a owl:Class ; rdfs:label "disorder"@en ; skos:exactMatch biolink:Disease .
OSTEOKG:0000020 a owl:Class ; rdfs:label "anatomical site"@en ; skos:exactMatch biolink:AnatomicalEntity .
OSTEOKG:0000100 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ; rdfs:label "osteoporosis"@en , "osteoporose"@nl ;
    IAO:0000115 "Weak bones."@en .
OSTEOKG:0001002 a owl:Class ; rdfs:subClassOf OSTEOKG:0000020 ; rdfs:label "femur"@en , "dijbeen"@nl ;
    skos:exactMatch UBERON:0000981 .
OSTEOKG:0009003 a owl:ObjectProperty ; rdfs:label "has location"@en ; skos:exactMatch biolink:disease_has_location .
OSTEOKG:0008001 a owl:NamedIndividual , dcterms:BibliographicResource .
OSTEOKG:0000100 OSTEOKG:0009003 OSTEOKG:0001002 .
"""
EVIDENCE = """
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
    owl:annotatedTarget OSTEOKG:0001002 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Osteoporose tast het dijbeen aan."@nl ; okg:inferred false .
"""


def small(*extra: str) -> Graph:
    return Graph().parse(data=SMALL + "\n".join(extra), format="turtle")


@pytest.fixture(scope="module")
def biolink() -> dict:
    schema = importlib.resources.files("biolink_model") / "schema" / "biolink_model.yaml"
    return yaml.load(schema.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def header(path: Path) -> list[str]:
    line = next(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return line.split("\t")


# ---------------------------------------------------------------- SSSOM


@pytest.fixture(scope="module")
def sssom_file(built, tmp_path_factory) -> Path:
    return write_sssom(built.graph, tmp_path_factory.mktemp("sssom") / "osteokg.sssom.tsv")


def test_sssom_is_valid_for_sssom_py(sssom_file: Path, caplog) -> None:
    with warnings.catch_warnings():
        # sssom-py and the stack under it (pandas 3, linkml) warn about their own deprecations on import
        warnings.simplefilter("ignore")
        from sssom.constants import SchemaValidationType
        from sssom.parsers import parse_sssom_table
        from sssom.validators import validate

        with caplog.at_level(logging.WARNING):
            # strict=True is not used: sssom 0.4.21 rejects every file with only standard metadata
            # ("non-standard and undefined metadata", the check's result is inverted); the warnings
            # its strict mode turns into errors are logged, and none may be
            msdf = parse_sssom_table(sssom_file)
            reports = validate(msdf, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness,
                                      SchemaValidationType.StrictCurieFormat], fail_on_error=False)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    for kind, report in reports.items():
        assert not report.results, f"{kind}: {report.results}"
    assert msdf.metadata["mapping_set_id"] == MAPPING_SET_ID
    assert msdf.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert len(msdf.df) == len(read_tsv(sssom_file))
    # the file's prefixes are the project's, and sssom-py expands them as the graph does
    for curie in set(msdf.df["object_id"]) | set(msdf.df["subject_id"]):
        assert msdf.converter.expand(curie) == expand(curie), curie


def test_sssom_metadata_and_rows(built, sssom_file: Path) -> None:
    graph = built.graph
    text = sssom_file.read_text(encoding="utf-8")
    metadata = yaml.safe_load("\n".join(line[1:] for line in text.splitlines() if line.startswith("#")))
    version = graph.value(next(graph.subjects(RDF.type, OWL.Ontology)), OWL.versionInfo)
    assert metadata["mapping_set_version"] == str(version)
    assert metadata["mapping_set_id"] == MAPPING_SET_ID
    rows = read_tsv(sssom_file)
    assert header(sssom_file) == list(SSSOM_COLUMNS)
    expected = {(shorten(str(s)), shorten(str(p)), shorten(str(o))) for p in MATCHES
                for s, o in graph.subject_objects(p) if str(s).startswith(str(OSTEOKG))}
    assert {(r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows} == expected
    assert len(rows) == len(expected)
    for row in rows:
        assert set(metadata["curie_map"]) >= {row[c].split(":")[0] for c in ("subject_id", "predicate_id", "object_id")}
        assert metadata["curie_map"][row["object_id"].split(":")[0]] == PREFIXES[row["object_id"].split(":")[0]]
        assert row["mapping_justification"] == "semapv:ManualMappingCuration"
        assert row["subject_label"]
    location = next(r for r in rows if r["subject_id"] == "OSTEOKG:0009003" and r["object_id"].startswith("biolink:"))
    assert (location["subject_type"], location["predicate_id"], location["object_id"], location["object_label"]) == \
        ("owl object property", "skos:exactMatch", "biolink:disease_has_location", "disease has location")


def test_sssom_gives_each_code_its_official_label(built, sssom_file: Path) -> None:
    """The code's skos:prefLabel (ontology/code-labels.tsv); SNOMED CT's names are not in the release."""
    rows = read_tsv(sssom_file)
    m87 = next(r for r in rows if r["subject_id"] == "OSTEOKG:0000106" and r["object_id"] == "ICD10WHO:M87")
    assert m87["object_label"] == "Osteonecrosis"
    codes = [r for r in rows if r["subject_type"] == "owl class" and not r["object_id"].startswith("biolink:")]
    assert all(bool(r["object_label"]) != r["object_id"].startswith("SNOMEDCT:") for r in codes)


def test_sssom_biolink_labels_are_biolink_names(sssom_file: Path, biolink: dict) -> None:
    for row in read_tsv(sssom_file):
        if row["object_id"].startswith("biolink:"):
            assert row["object_label"] in biolink["classes"] or row["object_label"] in biolink["slots"], row


def test_sssom_marks_unconfirmed_mappings(tmp_path: Path) -> None:
    graph = small(EVIDENCE, """[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0001002 ;
        owl:annotatedProperty skos:exactMatch ; owl:annotatedTarget UBERON:0000981 ; okg:confirmed false .""")
    rows = read_tsv(write_sssom(graph, tmp_path / "m.sssom.tsv"))
    assert {r["object_id"]: r["comment"] for r in rows}["UBERON:0000981"] == "unconfirmed"
    assert {r["object_id"]: r["comment"] for r in rows}["biolink:Disease"] == ""


@pytest.mark.parametrize("bad", ['"MONDO:0005298"', "<http://example.org/X>"])
def test_sssom_writes_nothing_on_error(tmp_path: Path, bad: str) -> None:
    target = tmp_path / "m.sssom.tsv"
    target.write_text("previous\n", encoding="utf-8")
    with pytest.raises(ValueError, match="OSTEOKG:0000100 skos:closeMatch"):
        write_sssom(small(f"OSTEOKG:0000100 skos:closeMatch {bad} ."), target)
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.sssom.tsv"]


# ---------------------------------------------------------------- KGX


@pytest.fixture(scope="module")
def kgx(built, tmp_path_factory) -> tuple[list[dict], list[dict], Path]:
    folder = tmp_path_factory.mktemp("kgx")
    paths = write_kgx(built.graph, folder)
    assert sorted(p.name for p in paths) == sorted([KGX_NODES, KGX_EDGES])
    return read_tsv(folder / KGX_NODES), read_tsv(folder / KGX_EDGES), folder


def biolink_class(curie: str) -> str:
    return biolink_name("https://w3id.org/biolink/vocab/" + curie.split(":", 1)[1])


def slot_ancestors(biolink: dict, name: str) -> list[str]:
    chain = [name]
    while biolink["slots"][chain[-1]].get("is_a"):
        chain.append(biolink["slots"][chain[-1]]["is_a"])
    return chain


def test_kgx_files_parse_with_their_columns(kgx) -> None:
    nodes, edges, folder = kgx
    assert header(folder / KGX_NODES) == list(NODE_COLUMNS)
    assert header(folder / KGX_EDGES) == list(EDGE_COLUMNS)
    assert len(nodes) >= 70 and len(edges) >= 100
    for row in nodes + edges:
        assert None not in row and all(v is not None for v in row.values()), row  # as many cells as columns


def test_kgx_edges_join_nodes(kgx) -> None:
    nodes, edges, _ = kgx
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids))
    assert len({e["id"] for e in edges}) == len(edges)
    # KGX keys an edge by subject, predicate and object: one row each
    assert len({(e["subject"], e["predicate"], e["object"]) for e in edges}) == len(edges)
    for edge in edges:
        assert edge["subject"] in ids and edge["object"] in ids, edge


def test_kgx_categories_and_predicates_are_biolink(kgx, biolink) -> None:
    nodes, edges, _ = kgx
    for node in nodes:
        assert node["category"], node
        for category in node["category"].split("|"):
            assert category.startswith("biolink:") and biolink_class(category) in biolink["classes"], category
            assert not biolink["classes"][biolink_class(category)].get("mixin"), category
        assert node["name"] and node["provided_by"] == "infores:osteokg"
    levels = set(biolink["enums"]["KnowledgeLevelEnum"]["permissible_values"])
    agents = set(biolink["enums"]["AgentTypeEnum"]["permissible_values"])
    for edge in edges:
        assert edge["predicate"].startswith("biolink:")
        name = edge["predicate"].split(":", 1)[1].replace("_", " ")
        assert name in biolink["slots"], edge["predicate"]
        assert slot_ancestors(biolink, name)[-1] == "related to", edge["predicate"]  # a predicate, not a property
        assert edge["knowledge_level"] in levels and edge["agent_type"] in agents
        assert edge["primary_knowledge_source"] == "infores:osteokg"


def test_kgx_edges_keep_the_evidence(built, kgx) -> None:
    _, edges, _ = kgx
    graph = built.graph
    sources = {shorten(str(s)) for s in graph.subjects(RDF.type, DCTERMS.BibliographicResource)}
    relation_edges = [e for e in edges if e["relation"] != "rdfs:subClassOf"]
    assert relation_edges
    for edge in relation_edges:
        assert edge["publications"] and set(edge["publications"].split("|")) <= sources, edge
        assert edge["supporting_text"], edge
        assert edge["osteokg_inferred"] in ("true", "false")
        if edge["osteokg_inferred"] == "false":  # asserted: a quote (or cited title), or an editor's combined reading
            assert (edge["knowledge_level"], edge["agent_type"]) in {("knowledge_assertion", "manual_agent"),
                                                                     ("prediction", "manual_agent")}, edge
        else:
            assert edge["knowledge_level"] in ("logical_entailment", "prediction"), edge
        assert (edge["knowledge_level"] == "prediction") == ("okg:combinedReading" in edge["osteokg_evidence_kind"]), edge
        assert bool(edge["osteokg_inference_rule"]) == (edge["osteokg_inferred"] == "true")
        assert re.fullmatch(r"OSTEOKG:\d{7}", edge["relation"]) and edge["original_predicate"] == edge["relation"]
    # every quote of an asserted relation edge reaches the export
    quotes = {q for e in relation_edges for q in e["supporting_text"].split("|")}
    assert _asserted_quotes(graph) <= quotes


def _asserted_quotes(graph: Graph) -> set[str]:
    """The quotes of the asserted relation edges."""
    out = set()
    for axiom in graph.subjects(RDF.type, OWL.Axiom):
        prop = graph.value(axiom, OWL.annotatedProperty)
        if str(prop).startswith(str(OSTEOKG)) and str(graph.value(axiom, OKG.inferred)).lower() == "false":
            out.add(" ".join(str(graph.value(axiom, OKG.quote)).split()))
    return out


def test_kgx_leaves_out_inverse_edges_unless_asked(built, tmp_path: Path) -> None:
    def predicates(folder: Path) -> set[str]:
        return {e["predicate"] for e in read_tsv(folder / KGX_EDGES)}

    write_kgx(built.graph, tmp_path / "canonical")
    write_kgx(built.graph, tmp_path / "both", include_inverse=True)
    assert "biolink:has_phenotype" in predicates(tmp_path / "canonical")
    assert "biolink:phenotype_of" not in predicates(tmp_path / "canonical")
    assert "biolink:phenotype_of" in predicates(tmp_path / "both")


def test_kgx_small_graph(tmp_path: Path) -> None:
    write_kgx(small(EVIDENCE), tmp_path)
    nodes = {n["id"]: n for n in read_tsv(tmp_path / KGX_NODES)}
    (edge,) = read_tsv(tmp_path / KGX_EDGES)
    assert set(nodes) == {"OSTEOKG:0000100", "OSTEOKG:0001002"}
    assert nodes["OSTEOKG:0000100"]["category"] == "biolink:Disease"
    assert nodes["OSTEOKG:0000100"]["synonym"] == "osteoporose"
    assert nodes["OSTEOKG:0001002"]["xref"] == "UBERON:0000981"
    assert (edge["subject"], edge["predicate"], edge["object"], edge["relation"]) == \
        ("OSTEOKG:0000100", "biolink:disease_has_location", "OSTEOKG:0001002", "OSTEOKG:0009003")
    assert (edge["publications"], edge["supporting_text"], edge["osteokg_inferred"]) == \
        ("OSTEOKG:0008001", "Osteoporose tast het dijbeen aan.", "false")
    # a graph built before issue 7 has no qualifiers: empty cells, and a quote is a knowledge assertion
    assert (edge["knowledge_level"], edge["agent_type"]) == ("knowledge_assertion", "manual_agent")
    assert all(edge[c] == "" for c in EDGE_COLUMNS if c.endswith("_qualifier") or c in (
        "osteokg_strength", "osteokg_condition", "osteokg_context", "osteokg_in_combination_with", "osteokg_quantified_by"))


@pytest.mark.parametrize("extra, message", [
    ("", "no evidence"),  # the edge has no evidence node
    (EVIDENCE.replace("aan.", "aan | of niet."), "contains '|'"),
])
def test_kgx_writes_nothing_on_error(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        write_kgx(small(extra), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_exports_are_fast(built, tmp_path: Path) -> None:
    for run in (lambda: write_sssom(built.graph, tmp_path / "m.sssom.tsv"), lambda: write_kgx(built.graph, tmp_path)):
        started = time.perf_counter()
        run()
        assert time.perf_counter() - started < 1.0


# ---------------------------------------------------------------- KGX: qualifiers (issue 7)

QUALIFIED = """
OSTEOKG:0000101 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ; rdfs:label "fragility fracture"@en .
OSTEOKG:0001003 a owl:Class ; rdfs:subClassOf OSTEOKG:0000020 ; rdfs:label "hip"@en .
OSTEOKG:0000102 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ; rdfs:label "hip fracture"@en .
okg:often okg:strengthOrder 4 . okg:can okg:strengthOrder 7 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
    owl:annotatedTarget OSTEOKG:0001002 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Osteoporose tast vaak het dijbeen aan."@nl ; okg:inferred false ;
    okg:strength okg:often ; okg:evidenceKind okg:quoted ; okg:reviewStatus "accepted" ;
    okg:condition OSTEOKG:0000102 ; okg:conditionText "if the hip breaks"@en , "als de heup breekt"@nl ;
    okg:context OSTEOKG:0000101 , OSTEOKG:0001003 ; okg:quantifiedBy OSTEOKG:0007008 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009003 ;
    owl:annotatedTarget OSTEOKG:0001002 ; dcterms:source OSTEOKG:0008001 ;
    okg:quote "Het dijbeen […] kan breken."@nl ; okg:inferred false ;
    okg:strength okg:can ; okg:evidenceKind okg:combinedReading ; okg:reviewStatus "unreviewed" ;
    okg:inCombinationWith OSTEOKG:0000102 .
"""


def test_kgx_columns_are_biolink_slots_or_osteokg(biolink) -> None:
    for column in NODE_COLUMNS + EDGE_COLUMNS:
        assert column.replace("_", " ") in biolink["slots"] or column.startswith("osteokg_"), column
    # the Biolink qualifiers used mean what the columns hold
    assert biolink["slots"]["disease context qualifier"]["range"] == "disease"
    assert "anatomical" in biolink["slots"]["anatomical context qualifier"]["description"]
    assert "prediction" in biolink["enums"]["KnowledgeLevelEnum"]["permissible_values"]
    # why strength is not Biolink's frequency_qualifier: that takes a rate per unit of time
    assert biolink["types"]["frequency value"]["uri"] == "UO:0000105"


def test_kgx_row_carries_the_qualifiers_of_its_strongest_evidence(tmp_path: Path) -> None:
    write_kgx(small(QUALIFIED), tmp_path)
    (edge,) = read_tsv(tmp_path / KGX_EDGES)
    assert edge["osteokg_strength"] == "okg:often"  # the strongest of often and can
    # the often-evidence's condition and contexts (the can-evidence's in-combination is not the row's)
    assert (edge["osteokg_condition"], edge["osteokg_condition_text"]) == ("OSTEOKG:0000102", "if the hip breaks")
    assert edge["disease_context_qualifier"] == "OSTEOKG:0000101"
    assert edge["anatomical_context_qualifier"] == "OSTEOKG:0001003"
    assert (edge["osteokg_context"], edge["osteokg_in_combination_with"]) == ("", "")
    assert edge["osteokg_quantified_by"] == "OSTEOKG:0007008"
    assert edge["osteokg_evidence_kind"] == "okg:combinedReading|okg:quoted"
    assert edge["osteokg_review_status"] == "unreviewed"  # accepted only when every evidence node is
    # the weakest claim: a combined reading makes the merged row a prediction
    assert (edge["knowledge_level"], edge["agent_type"]) == ("prediction", "manual_agent")
    assert edge["supporting_text"] == "Het dijbeen […] kan breken.|Osteoporose tast vaak het dijbeen aan."


def test_kgx_knowledge_level_per_evidence_kind(tmp_path: Path) -> None:
    inferred = EVIDENCE.replace("okg:inferred false .", 'okg:inferred true ; okg:inferenceRule "subclass" ; '
                                "okg:strength okg:can ; okg:evidenceKind okg:quoted .")
    write_kgx(small(inferred), tmp_path)
    (edge,) = read_tsv(tmp_path / KGX_EDGES)
    assert (edge["knowledge_level"], edge["agent_type"], edge["osteokg_inference_rule"]) == \
        ("logical_entailment", "automated_agent", "subclass")
    cited = EVIDENCE.replace("okg:inferred false .", "okg:inferred false ; okg:evidenceKind okg:citedTitle .")
    write_kgx(small(cited), tmp_path)
    (edge,) = read_tsv(tmp_path / KGX_EDGES)
    assert (edge["knowledge_level"], edge["agent_type"]) == ("knowledge_assertion", "manual_agent")


def test_kgx_more_than_one_disorder_context_stays_in_the_osteokg_column(tmp_path: Path) -> None:
    extra = QUALIFIED.replace("okg:context OSTEOKG:0000101 , OSTEOKG:0001003",
                              "okg:context OSTEOKG:0000101 , OSTEOKG:0000102 , OSTEOKG:0001003")
    write_kgx(small(extra), tmp_path)
    (edge,) = read_tsv(tmp_path / KGX_EDGES)
    # disease_context_qualifier takes one disease: two go to osteokg_context
    assert edge["disease_context_qualifier"] == "" and edge["osteokg_context"] == "OSTEOKG:0000101|OSTEOKG:0000102"
    assert edge["anatomical_context_qualifier"] == "OSTEOKG:0001003"


def test_kgx_real_graph_qualifiers(built, kgx) -> None:
    _, edges, _ = kgx
    strengths = {shorten(str(s)) for s in built.graph.subjects(OKG.strengthOrder, None)}
    if not strengths:
        pytest.skip("graph built without strengths (before issue 7)")
    relation_edges = [e for e in edges if e["relation"] != "rdfs:subClassOf"]
    for edge in relation_edges:
        assert edge["osteokg_strength"] in strengths, edge
        assert edge["osteokg_evidence_kind"] and edge["osteokg_review_status"] in ("unreviewed", "accepted"), edge
        for column in ("disease_context_qualifier", "anatomical_context_qualifier", "osteokg_context",
                       "osteokg_condition", "osteokg_in_combination_with"):
            assert all(re.fullmatch(r"OSTEOKG:\d{7}", v) for v in edge[column].split("|") if v), (column, edge)
    assert any(e["osteokg_strength"] != "okg:can" for e in relation_edges)
