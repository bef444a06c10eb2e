"""The SHACL shapes in shapes/: well-formed, and each one exercised by a valid and an invalid example.

Every example in examples/valid and examples/invalid is merged with the schema
(ontology/osteokg-schema.ttl) and examples/_base.ttl (a few terms with their closed hierarchy).
A valid example must conform to all shapes. An invalid example starts with

    # shape: <full IRI of the shape it breaks>
    # reason: <why it must fail>

and must not conform, with at least one result from that shape or one of its property shapes.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.validate import (SHAPES_NS, Report, curie, findings, format_report, load_shapes, run_shacl, shape_count,
                         top_level_results)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLES = HERE / "examples"
SCHEMA = ROOT / "ontology" / "osteokg-schema.ttl"
BASE = EXAMPLES / "_base.ttl"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))

# Parameters that make a node shape report results itself (not only through its property shapes).
NODE_LEVEL = (SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.minLength, SH.maxLength, SH.languageIn,
              SH["in"], SH.hasValue, SH["or"], SH["and"], SH.xone, SH["not"], SH.node, SH.closed,
              SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive)


def header(path: Path) -> dict[str, str]:
    """The leading ``# key: value`` comment lines of an example."""
    meta: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].partition(":")
        if sep:
            meta.setdefault(key.strip(), value.strip())
    return meta


def named_shapes(shapes: Graph) -> set[URIRef]:
    """The shapes with an IRI in the shapes namespace."""
    return {s for kind in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and str(s).startswith(SHAPES_NS)}


def belongs_to(shapes: Graph, shape: URIRef) -> set:
    """``shape`` and its property shapes: the source shapes a result of ``shape`` can carry."""
    return {shape, *shapes.objects(shape, SH.property)}


def runners(shapes: Graph, shape: URIRef) -> set:
    """The shapes to run so that ``shape`` is evaluated: itself, the node shapes that use it, and
    their named property shapes (pyshacl's use_shapes does not follow sh:property to a named shape)."""
    owners = {shape} if (shape, RDF.type, SH.NodeShape) in shapes else set(shapes.subjects(SH.property, shape))
    named = {p for o in owners for p in shapes.objects(o, SH.property) if isinstance(p, URIRef)}
    return owners | named | {shape}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def base() -> Graph:
    graph = Graph()
    graph.parse(SCHEMA, format="turtle")
    graph.parse(BASE, format="turtle")
    return graph


def example_graph(base: Graph, path: Path) -> Graph:
    graph = Graph()
    for triple in base:
        graph.add(triple)
    graph.parse(path, format="turtle")
    return graph


def readable(results: Graph, graph: Graph, shapes: Graph) -> str:
    return format_report(Report(False, findings(results, graph, shapes), shape_count(shapes)))


def test_examples_exist() -> None:
    assert VALID and INVALID, f"no examples under {EXAMPLES}"


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_example_conforms(path: Path, shapes: Graph, base: Graph) -> None:
    graph = example_graph(base, path)
    conforms, results = run_shacl(graph, shapes)
    assert conforms, f"{path.name} should conform:\n{readable(results, graph, shapes)}"


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_fails_on_its_shape(path: Path, shapes: Graph, base: Graph) -> None:
    meta = header(path)
    assert meta.get("shape") and meta.get("reason"), f"{path.name} must start with '# shape:' and '# reason:' lines"
    shape = URIRef(meta["shape"])
    assert shape in named_shapes(shapes), f"{path.name} names {shape}, which is not a shape in shapes/"
    graph = example_graph(base, path)
    # only the shape under test (and the node shapes that use it) run: quicker, and enough to show
    # that this shape, not another one, rejects the example
    conforms, results = run_shacl(graph, shapes, use_shapes=runners(shapes, shape))
    assert not conforms, f"{path.name} should not conform ({meta['reason']})"
    sources = {results.value(r, SH.sourceShape) for r in top_level_results(results)}
    assert sources & belongs_to(shapes, shape), (
        f"{path.name}: no result from {shape} ({meta['reason']}); got:\n{readable(results, graph, shapes)}")


def test_every_shape_has_a_valid_and_an_invalid_example(shapes: Graph) -> None:
    valid = {p.stem for p in VALID}
    broken = {header(p).get("shape") for p in INVALID}
    missing = []
    for shape in sorted(named_shapes(shapes)):
        name = str(shape)[len(SHAPES_NS):]
        if name not in valid:
            missing.append(f"{name}: no examples/valid/{name}.ttl")
        if str(shape) not in broken:
            missing.append(f"{name}: no examples/invalid/{name}[-case].ttl with '# shape: {shape}'")
    assert not missing, "shapes without examples:\n" + "\n".join(missing)


def test_every_valid_example_names_a_shape(shapes: Graph) -> None:
    names = {str(s)[len(SHAPES_NS):] for s in named_shapes(shapes)}
    orphans = [p.name for p in VALID if p.stem not in names]
    assert not orphans, f"valid examples named after no shape: {orphans}"


def test_shapes_pass_shacl_shacl(shapes: Graph) -> None:
    from pyshacl.entrypoints import meta_validate

    conforms, _, text = meta_validate(shapes, inference="none")
    assert conforms, text


def test_every_reporting_constraint_has_an_english_message_and_violation_severity(shapes: Graph) -> None:
    problems = []

    def english(node) -> bool:
        return any(getattr(m, "language", None) == "en" for m in shapes.objects(node, SH.message))

    for shape in named_shapes(shapes):
        reporting = list(shapes.objects(shape, SH.property))
        if (shape, RDF.type, SH.PropertyShape) in shapes or any((shape, p, None) in shapes for p in NODE_LEVEL):
            reporting.append(shape)
        for node in reporting:
            if not english(node):
                problems.append(f"{shape}: constraint {node} has no English sh:message")
            if shapes.value(node, SH.severity, default=SH.Violation) != SH.Violation:
                problems.append(f"{shape}: constraint {node} is not sh:Violation")
        for constraint in shapes.objects(shape, SH.sparql):
            if not english(constraint):
                problems.append(f"{shape}: SPARQL constraint {constraint} has no English sh:message")
        if list(shapes.objects(shape, SH.sparql)) and list(shapes.objects(shape, SH.message)):
            problems.append(f"{shape}: has sh:sparql and a shape-level sh:message (pyshacl adds it to every result)")
    assert not problems, "\n".join(problems)


def test_the_schema_alone_conforms(shapes: Graph) -> None:
    graph = Graph().parse(SCHEMA, format="turtle")
    conforms, results = run_shacl(graph, shapes)
    assert conforms, readable(results, graph, shapes)


def _categories(graph: Graph, node) -> set[URIRef] | None:
    """A domain or range as its set of classes (a union lists its members); None when not declared."""
    from rdflib.collection import Collection
    from rdflib.namespace import OWL

    if node is None:
        return None
    union = graph.value(node, OWL.unionOf)
    return set(Collection(graph, union)) if union is not None else {node}


def test_edge_shapes_follow_the_schema_domains_and_ranges(shapes: Graph) -> None:
    """Each relation with an rdfs:domain or rdfs:range has an edge shape (sh:targetSubjectsOf the relation)
    whose subject and object checks name exactly those categories, so a schema change cannot leave a shape behind."""
    from rdflib.collection import Collection
    from rdflib.namespace import OWL, RDFS

    schema = Graph().parse(SCHEMA, format="turtle")
    by_relation = {p: s for s, p in shapes.subject_objects(SH.targetSubjectsOf)}
    problems = []
    for relation in sorted(schema.subjects(RDF.type, OWL.ObjectProperty)):
        domain = _categories(schema, schema.value(relation, RDFS.domain))
        range_ = _categories(schema, schema.value(relation, RDFS.range))
        shape = by_relation.get(relation)
        if shape is None:
            if domain or range_:
                problems.append(f"{relation}: has a domain or range but no edge shape")
            continue
        subject = obj = None
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            if path == relation:  # the object check: values of the relation, along rdfs:subClassOf*
                inner = shapes.value(shapes.value(prop, SH.node), SH.property)
                obj = set(Collection(shapes, shapes.value(shapes.value(inner, SH.qualifiedValueShape), SH["in"])))
            elif shapes.value(path, SH.zeroOrMorePath) == RDFS.subClassOf:  # the subject check
                subject = set(Collection(shapes, shapes.value(shapes.value(prop, SH.qualifiedValueShape), SH["in"])))
        if (subject, obj) != (domain, range_):
            def names(nodes):
                return "none" if nodes is None else " ".join(sorted(curie(n) for n in nodes))
            problems.append(f"{curie(relation)}: the schema's domain is {names(domain)} and range {names(range_)}, "
                            f"but {curie(shape)} checks subjects {names(subject)} and objects {names(obj)}")
    assert not problems, "\n".join(problems)
