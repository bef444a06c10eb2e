"""The fast SHACL engine reports exactly what the shapes reported before it (issue 9).

``expected-findings.json`` (see tests/shapes/expected.py for how it was made) holds the findings of
every example under the engine of before: pyshacl alone, the ``sh:sparql`` constraints once per focus
node. The fast engine (kg.shacl_sparql: each ``sh:sparql`` constraint once per shape in pyoxigraph, the
SPARQL-based targets there too, pyshacl for the core constraints) must give the same findings, field
for field: severity, focus node, path, value, message, shape, labels. And on a graph the size of the
real one with violations of every kind (the real graph with every invalid example added) both
engines, run side by side, must agree.
"""
from __future__ import annotations

import json

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kg.shacl_sparql import lift
from kg.validate import findings, load_shapes, run_shacl
from tests.shapes.expected import (
    EXPECTED,
    as_json,
    canonical,
    example_graph,
    examples,
    key,
)

EXAMPLES = examples()
INVALID = [p for p in EXAMPLES if p.parent.name == "invalid"]  # a valid one's [] is test_shapes' conformance check


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def expected() -> dict[str, list[dict]]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_every_example_has_frozen_findings(expected: dict[str, list[dict]]) -> None:
    assert sorted(expected) == sorted(key(p) for p in EXAMPLES), "make them again: python -m tests.shapes.expected"
    invalid = [k for k in expected if k.startswith("invalid/")]
    assert invalid and all(expected[k] for k in invalid), "every invalid example has findings"
    assert not any(expected[k] for k in expected if k.startswith("valid/"))


@pytest.mark.parametrize("path", INVALID, ids=[key(p) for p in INVALID])
def test_fast_engine_gives_the_frozen_findings(path, shapes: Graph, expected: dict[str, list[dict]]) -> None:
    graph = example_graph(path)
    conforms, results = run_shacl(graph, shapes, engine="fast")
    got = as_json(findings(results, graph, shapes))
    assert got == expected[key(path)]
    assert conforms == (not got)


def test_every_sparql_constraint_and_target_runs_once_per_shape(shapes: Graph) -> None:
    """The shapes of shapes/ are all within what kg.shacl_sparql lifts: pyshacl gets no sh:sparql and no
    SPARQL target (else the build would run them once per focus node again)."""
    graph = Graph().parse(data="<urn:a> <urn:b> <urn:c> .", format="nt")
    plan = lift(shapes, graph)
    assert len(plan.constraints) == len(set(shapes.objects(None, SH.sparql))) > 20
    assert not list(plan.core.objects(None, SH.sparql))
    assert not [t for t in plan.core.objects(None, SH.target) if (t, RDF.type, SH.SPARQLTarget) in plan.core]


def test_a_constraint_outside_the_rules_stays_in_pyshacl_and_still_reports() -> None:
    """A property shape's sh:sparql (it would need $PATH and value nodes) is left to pyshacl: same results."""
    shapes = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:p ;
                sh:sparql [ sh:message "p value {?value} is not ex:ok"@en ;
                            sh:select "SELECT $this ?value WHERE { $this $PATH ?value . FILTER(?value != <http://example.org/ok>) }" ] ] ;
            sh:sparql [ sh:message "no ex:q on {$this}"@en ;
                        sh:select "SELECT $this WHERE { FILTER NOT EXISTS { $this <http://example.org/q> ?any } }" ] .
        """, format="turtle")
    data = Graph().parse(data="""
        @prefix ex: <http://example.org/> .
        ex:a a ex:C ; ex:p ex:ok , ex:bad . ex:b a ex:C ; ex:q 1 ; ex:p ex:ok .
        [] a ex:C ; ex:q 2 ; ex:p ex:worse .
        """, format="turtle")
    data = canonical(data)
    plan = lift(shapes, data)
    assert [c.shape for c in plan.constraints] == [URIRef("http://example.org/S")]  # the node shape's only
    fast = as_json(findings(run_shacl(data, shapes, engine="fast")[1], data, shapes))
    reference = as_json(findings(run_shacl(data, shapes, engine="reference")[1], data, shapes))
    assert fast == reference
    messages = sorted(f["message"] for f in fast)
    assert messages == ["no ex:q on http://example.org/a", "p value http://example.org/bad is not ex:ok",
                        "p value http://example.org/worse is not ex:ok"]


def test_unknown_engine_is_refused(shapes: Graph) -> None:
    with pytest.raises(ValueError, match="unknown SHACL engine"):
        run_shacl(Graph(), shapes, engine="quick")


def test_both_engines_agree_on_the_real_graph_with_every_invalid_example(built, shapes: Graph) -> None:
    """A graph the size of the real one, with violations of every kind, blank nodes relabelled canonically."""
    graph = Graph()
    for triple in built.graph:
        graph.add(triple)
    for path in INVALID:
        graph.parse(path, format="turtle")
    graph = canonical(graph)
    fast_conforms, fast = run_shacl(graph, shapes, engine="fast")
    ref_conforms, reference = run_shacl(graph, shapes, engine="reference")
    got = findings(fast, graph, shapes, built.locations)
    assert got == findings(reference, graph, shapes, built.locations)
    assert not fast_conforms and not ref_conforms and len(got) > 100
    assert any(isinstance(n, BNode) for n in graph.subjects()) and any(
        isinstance(n, Literal) for n in graph.objects())
