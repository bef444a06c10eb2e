"""A small N-Triples graph for the query processes: 200 labelled terms (enough for a cross product
that runs for hours) and a few literals of every kind."""
from __future__ import annotations

from pathlib import Path

import pytest

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
# A five-way cross product of all triples: 200⁵ rows, counted without memory (COUNT streams).
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 . ?e ?p5 ?o5 }"


@pytest.fixture(scope="session")
def nt_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sparql") / "graph.nt"
    lines = [f'<urn:x:t{i}> <{LABEL}> "term {i}"@en .' for i in range(196)]
    lines += [
        '<urn:x:a> <urn:x:count> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        '<urn:x:a> <urn:x:name> "plain" .',
        '<urn:x:a> <urn:x:blank> _:b1 .',
        '_:b1 <urn:x:name> "botnecrose"@nl .',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def disk_store(nt_path: Path) -> Path:
    """The same graph as an on-disk store (what a release holds in ``oxigraph/``)."""
    from kg.store import write_disk_store

    return write_disk_store(nt_path, nt_path.parent / "oxigraph")
