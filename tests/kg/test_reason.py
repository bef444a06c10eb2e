from __future__ import annotations

import os
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


def test_a_possibility_does_not_reclassify_its_subject(inference) -> None:
    """The first build read "osteoporosis medication can cause osteonecrosis" as "every … causes some …",
    and the domain of causes then made every such medicine (and every fracture, and osteoporosis)
    a "cause or risk factor". A 'can' edge is a direct edge: HermiT does not see it."""
    assert inference.subclass_links == ((OSTEOKG["0000107"], OSTEOKG["0000109"]),)


def test_hermit_sees_the_class_axioms_only() -> None:
    from kg.build import ONTOLOGY_DIR
    from kg.reason import class_axioms

    graph = compose(ONTOLOGY_DIR).graph
    kept = class_axioms(graph)
    medication, causes, osteonecrosis = OSTEOKG["0005002"], OSTEOKG["0009011"], OSTEOKG["0000106"]
    assert (medication, causes, osteonecrosis) in graph and (medication, causes, osteonecrosis) not in kept
    assert not [a for a in kept.subjects(OWL.annotatedProperty, causes)]  # nor its evidence
    assert len(kept) < len(graph) and (medication, RDFS.subClassOf, OSTEOKG["0000060"]) in kept


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


def test_hermit_runs_with_the_short_run_jvm_options_and_restores_the_environment(monkeypatch) -> None:
    """HermiT's JVM gets JVM_OPTIONS after the environment's own JDK_JAVA_OPTIONS, for that call only."""
    import subprocess

    from kg import reason as module
    from kg.settings import ONTOLOGY_DIR

    seen: list[str | None] = []
    real_check_output = subprocess.check_output

    def check_output(command, **kwargs):
        seen.append(os.environ.get("JDK_JAVA_OPTIONS"))
        return real_check_output(command, **kwargs)

    monkeypatch.setenv("JDK_JAVA_OPTIONS", "-Dosteokg.test=1")
    monkeypatch.setattr(subprocess, "check_output", check_output)
    inference = module.reason(compose(ONTOLOGY_DIR).graph)
    assert seen == [f"-Dosteokg.test=1 {module.JVM_OPTIONS}"]
    assert os.environ["JDK_JAVA_OPTIONS"] == "-Dosteokg.test=1"
    assert inference.subclass_links  # HermiT ran and answered with the options set
