"""The frozen findings the shapes give on every example, and how to make them again.

``expected-findings.json`` holds, for each example in examples/valid and examples/invalid (merged
with the schema and examples/_base.ttl, as tests/shapes/test_shapes.py does), every finding of a
validation with *all* shapes: severity, focus node, path, value, message, owning shape and labels.
Blank nodes are relabelled canonically first (RDF canonicalization by pyoxigraph), so a finding on
an evidence node names the same ``_:c14n…`` node on every run.

It was first made with the engine the shapes were run with before issue 9 (pyshacl evaluating every
constraint, the ``sh:sparql`` ones once per focus node: commit dfe4d66), and the test
(tests/shapes/test_expected.py) checks that the engine of today gives exactly these findings. Make it
again only when a shape or an example changes on purpose, with the reference engine::

    python -m tests.shapes.expected            # writes tests/shapes/expected-findings.json
"""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLES = HERE / "examples"
SCHEMA = ROOT / "ontology" / "osteokg-schema.ttl"
BASE = EXAMPLES / "_base.ttl"
EXPECTED = HERE / "expected-findings.json"


def examples() -> list[Path]:
    """Every example, valid and invalid, in a stable order."""
    return sorted((EXAMPLES / "valid").glob("*.ttl")) + sorted((EXAMPLES / "invalid").glob("*.ttl"))


def key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _to_rdflib(term):
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def canonical(graph: Graph) -> Graph:
    """``graph`` with its blank nodes relabelled canonically (the same graph gives the same labels)."""
    data = graph.serialize(format="nt", encoding="utf-8")
    dataset = pyoxigraph.Dataset(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.UNSTABLE)
    out = Graph()
    for quad in dataset:
        out.add((_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object)))
    return out


def example_graph(path: Path) -> Graph:
    """The example merged with the schema and the base terms, blank nodes relabelled canonically."""
    graph = Graph()
    for source in (SCHEMA, BASE, path):
        graph.parse(source, format="turtle")
    return canonical(graph)


def as_json(findings) -> list[dict]:
    return sorted((dataclasses.asdict(f) for f in findings), key=lambda d: json.dumps(d, sort_keys=True))


def compute(engine: str) -> dict[str, list[dict]]:
    from kg.validate import findings, load_shapes, run_shacl

    shapes = load_shapes()
    out = {}
    for path in examples():
        graph = example_graph(path)
        _, results = run_shacl(graph, shapes, engine=engine)
        out[key(path)] = as_json(findings(results, graph, shapes))
    return out


def main(argv: list[str]) -> int:
    engine = argv[0] if argv else "reference"
    EXPECTED.write_text(json.dumps(compute(engine), indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                        encoding="utf-8")
    print(f"wrote {EXPECTED}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
