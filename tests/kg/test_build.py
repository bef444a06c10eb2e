"""The whole build: artefacts written only after every check, atomically, and readable back."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import BNode, Graph

from kg.build import ARTEFACTS, ValidationFailed, build
from kg.compose import SourceError
from kg.reason import ReasoningError
from kg.tables import TableError


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "build"
    build(out_dir=out)
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ground_and_shape(graph: Graph) -> tuple[set, int]:
    """The triples without blank nodes, and how many have one (a full isomorphism test over
    hundreds of evidence blank nodes takes minutes; this catches any lost or altered triple)."""
    ground = {t for t in graph if not any(isinstance(term, BNode) for term in t)}
    return ground, len(graph) - len(ground)


def test_writes_every_artefact_and_they_hold_the_same_graph(build_dir: Path) -> None:
    reference = Graph().parse(build_dir / "osteokg.nt", format="nt")
    assert len(reference) > 5000
    expected = ground_and_shape(reference)
    for name, fmt in ARTEFACTS.items():
        graph = Graph().parse(build_dir / name, format="xml" if fmt == "xml" else fmt)
        assert ground_and_shape(graph) == expected, name


def test_manifest_records_version_hash_and_counts(build_dir: Path) -> None:
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version_iri"].startswith("https://w3id.org/osteokg/releases/")
    assert len(manifest["graph_sha256"]) == 64
    counts = manifest["counts"]
    assert counts["asserted_edges"] == sum(counts["asserted_edges_by_strength"].values()) >= 68
    assert counts["quantitative_statements"] == 14 and counts["rejected_rows"] == 0
    assert set(counts["inferred_edges_by_rule"]) <= {"definition", "subclass", "superclass-target", "subproperty",
                                                     "part-of", "inverse"}
    assert {"review.html", "review.tsv"} <= set(manifest["artefacts"])  # the clinician's sheet is in every release
    locations = json.loads((build_dir / "locations.json").read_text(encoding="utf-8"))
    assert locations["https://w3id.org/osteokg/OSTEOKG_0000106"].endswith("terms/disorders.tsv:10")


def test_owl_artefact_loads_in_owlready2_and_is_consistent_under_hermit(build_dir: Path) -> None:
    import owlready2

    world = owlready2.World()
    ontology = world.get_ontology((build_dir / "osteokg.owl").as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert [c for c in world.inconsistent_classes() if c is not owlready2.Nothing] == []
    assert ontology.search_one(iri="*OSTEOKG_0000106").label.en == ["osteonecrosis"]
    world.close()


def test_a_failed_build_leaves_the_previous_artefacts_untouched(build_dir: Path, ontology_copy: Path) -> None:
    before = snapshot(build_dir)
    with (ontology_copy / "relations.tsv").open("a", encoding="utf-8") as handle:
        handle.write("osteoporsis\ttreats\tbone\tOSTEOKG:0008001\ta quote of the text\n")
    with pytest.raises(TableError):
        build(ontology_copy, build_dir)
    assert snapshot(build_dir) == before
    assert not [p for p in build_dir.parent.iterdir() if p.name.startswith(".build-")]


def test_a_build_that_fails_validation_writes_nothing(build_dir: Path, ontology_copy: Path) -> None:
    before = snapshot(build_dir)
    path = ontology_copy / "statements.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("\t0.3333\t", "\t3.5\t", 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        build(ontology_copy, build_dir)
    assert not caught.value.report.conforms
    assert snapshot(build_dir) == before


def test_reasoning_errors_and_syntax_errors_stop_the_build(build_dir: Path, ontology_copy: Path) -> None:
    before = snapshot(build_dir)
    anatomy = ontology_copy / "terms" / "anatomy.tsv"
    anatomy.write_text(anatomy.read_text(encoding="utf-8").replace("\tthigh bone\tdijbeenbot", "\tthigh bone\tdijbeenbot", 1)
                       .replace("The thigh bone, the long bone between hip and knee.\tHet dijbeenbot, het lange bot tussen heup en knie.\tbone",
                                "The thigh bone, the long bone between hip and knee.\tHet dijbeenbot, het lange bot tussen heup en knie.\tbone|disorder"),
                       encoding="utf-8")
    with pytest.raises(ReasoningError, match="femur"):
        build(ontology_copy, build_dir)
    schema = ontology_copy / "osteokg-schema.ttl"
    schema.write_text(schema.read_text(encoding="utf-8") + "\nthis is not turtle\n", encoding="utf-8")
    with pytest.raises(SourceError, match="osteokg-schema.ttl, line"):
        build(ontology_copy, build_dir)
    assert snapshot(build_dir) == before


def test_a_qc_error_fails_the_build_and_writes_nothing(build_dir: Path, ontology_copy: Path) -> None:
    from kg.build import QCFailed

    before = snapshot(build_dir)
    schema = ontology_copy / "osteokg-schema.ttl"
    # deprecating a term without naming its replacement passes SHACL but is a QC error
    schema.write_text(schema.read_text(encoding="utf-8") + "\nOSTEOKG:0000011 owl:deprecated true .\n", encoding="utf-8")
    with pytest.raises(QCFailed) as caught:
        build(ontology_copy, build_dir)
    assert caught.value.report.errors >= 1
    assert snapshot(build_dir) == before
