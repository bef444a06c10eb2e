"""Relations and categories map to Biolink (and through it to RO/BFO), checked against biolink-model's own data."""
from __future__ import annotations

import importlib.resources
import re

import pytest
import yaml
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg.vocab import BIOLINK, OSTEOKG, shorten

MATCHES = {SKOS.exactMatch: "exact", SKOS.closeMatch: "close", SKOS.broadMatch: "broad", SKOS.narrowMatch: "narrow"}


@pytest.fixture(scope="module")
def biolink() -> dict:
    schema = importlib.resources.files("biolink_model") / "schema" / "biolink_model.yaml"
    return yaml.safe_load(schema.read_text(encoding="utf-8"))


def slot_name(iri: str) -> str:
    return iri[len(str(BIOLINK)):].replace("_", " ")


def class_name(iri: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", iri[len(str(BIOLINK)):]).lower()


def relations(graph) -> list[URIRef]:
    return sorted(p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(OSTEOKG)))


def test_every_relation_maps_to_an_existing_biolink_predicate(built, biolink) -> None:
    graph = built.graph
    assert len(relations(graph)) == 26
    for prop in relations(graph):
        targets = [str(o) for m in MATCHES for o in graph.objects(prop, m) if str(o).startswith(str(BIOLINK))]
        assert targets, f"{shorten(str(prop))} has no Biolink mapping"
        for target in targets:
            assert slot_name(target) in biolink["slots"], f"{target} is not a Biolink slot"


def test_inverse_relations_map_to_biolink_inverses(built, biolink) -> None:
    graph = built.graph
    for prop in relations(graph):
        inverse = graph.value(prop, OWL.inverseOf)
        exact = graph.value(prop, SKOS.exactMatch)
        if inverse is None or exact is None or not str(exact).startswith(str(BIOLINK)):
            continue
        slot = biolink["slots"][slot_name(str(exact))]
        inverse_exact = [str(o) for o in graph.objects(inverse, SKOS.exactMatch) if str(o).startswith(str(BIOLINK))]
        if slot.get("inverse") and inverse_exact:
            assert slot_name(inverse_exact[0]) == slot["inverse"], shorten(str(prop))


def test_ro_and_bfo_codes_are_those_biolink_names_with_the_same_precision(built, biolink) -> None:
    """An RO/BFO code is written only where biolink-model maps the same predicate to it, at the same precision."""
    graph = built.graph
    checked = 0
    for prop in relations(graph):
        biolink_exact = [str(o) for o in graph.objects(prop, SKOS.exactMatch) if str(o).startswith(str(BIOLINK))]
        for match, precision in MATCHES.items():
            for code in graph.objects(prop, match):
                curie = shorten(str(code))
                if not curie.startswith(("RO:", "BFO:")):
                    continue
                assert biolink_exact, f"{curie} on {shorten(str(prop))} needs an exact Biolink predicate to be checked against"
                slot = biolink["slots"][slot_name(biolink_exact[0])]
                assert curie in (slot.get(f"{precision}_mappings") or []), (
                    f"{shorten(str(prop))} says {precision}Match {curie}, biolink-model's {slot_name(biolink_exact[0])} does not")
                checked += 1
    assert checked >= 8


def test_every_upper_category_maps_to_an_existing_biolink_category(built, biolink) -> None:
    graph = built.graph
    categories = [c for c in graph.subjects(RDF.type, OWL.Class)
                  if str(c).startswith(str(OSTEOKG)) and int(str(c).rsplit("_", 1)[1]) < 100]
    assert len(categories) >= 18
    for category in categories:
        targets = [str(o) for m in MATCHES for o in graph.objects(category, m) if str(o).startswith(str(BIOLINK))]
        assert targets, f"{shorten(str(category))} has no Biolink category"
        for target in targets:
            assert class_name(target) in biolink["classes"], target
