"""Three real releases in one build folder, for the pinning tests (tests/kg/test_pinned.py, tests/api/test_pinning.py).

Each is written by :func:`kg.build.write` (its serving files too: the lean path answers from its documents):

- ``old``: the real graph, its version IRI made ``…/releases/0.0.9/osteokg.owl`` (a version of its own);
- ``middle``: the real graph with osteonecrosis relabelled ``bone death`` (version 0.1.0);
- ``new``, current: ``middle`` without the edge osteonecrosis *has location* bone tissue (version 0.1.0 too: the
  version names the current release).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDFS

from kg.build import Built, write
from kg.releases import release_dir

ONTOLOGY = URIRef("https://w3id.org/osteokg/osteokg.owl")
ENTITY, ENTITY_IRI = "OSTEOKG:0000106", URIRef("https://w3id.org/osteokg/OSTEOKG_0000106")
OLD_LABEL, NEW_LABEL = "osteonecrosis", "bone death"
HAS_LOCATION = URIRef("https://w3id.org/osteokg/OSTEOKG_0009003")
BONE_TISSUE, BONE_TISSUE_IRI = "OSTEOKG:0001001", URIRef("https://w3id.org/osteokg/OSTEOKG_0001001")
OLD_VERSION, NEW_VERSION = "0.0.9", "0.1.0"


@dataclass(frozen=True)
class Three:
    root: Path
    old: str
    middle: str
    new: str


def _copy(built: Built) -> Built:
    changed = Built(Graph(), built.locations, dict(built.counts))
    for prefix, namespace in built.graph.namespaces():
        changed.graph.bind(prefix, namespace)
    for triple in built.graph:
        changed.graph.add(triple)
    return changed


def write_three(built: Built, root: Path) -> Three:
    old = _copy(built)
    old.graph.remove((ONTOLOGY, OWL.versionIRI, None))
    old.graph.add((ONTOLOGY, OWL.versionIRI, URIRef(f"https://w3id.org/osteokg/releases/{OLD_VERSION}/osteokg.owl")))
    write(old, root)
    first = release_dir(root).name
    middle = _copy(built)
    assert (ENTITY_IRI, RDFS.label, Literal(OLD_LABEL, lang="en")) in middle.graph
    middle.graph.remove((ENTITY_IRI, RDFS.label, Literal(OLD_LABEL, lang="en")))
    middle.graph.add((ENTITY_IRI, RDFS.label, Literal(NEW_LABEL, lang="en")))
    write(middle, root)
    second = release_dir(root).name
    assert (ENTITY_IRI, HAS_LOCATION, BONE_TISSUE_IRI) in middle.graph
    middle.graph.remove((ENTITY_IRI, HAS_LOCATION, BONE_TISSUE_IRI))
    write(middle, root)
    third = release_dir(root).name
    assert len({first, second, third}) == 3
    return Three(root, first, second, third)
