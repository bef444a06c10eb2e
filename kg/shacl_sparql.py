"""The SPARQL parts of the shapes run once per shape, in pyoxigraph: the fast engine of :mod:`kg.validate`.

pyshacl runs a ``sh:sparql`` constraint once per focus node, with ``$this`` pre-bound, through
rdflib's query engine (1,718 queries on the real graph, 70 % of a build), and a SPARQL-based target
(``sh:SPARQLTarget``) through the same engine. The shapes stay standard SHACL and SHACL-AF, as written
in ``shapes/``; only how they are run changes:

* every ``sh:sparql`` constraint of a node shape that is only used through its own targets runs
  *once*, over the whole graph, in pyoxigraph: its ``SELECT`` with the shape's focus nodes joined
  in at the top of its ``WHERE`` (``{ SELECT DISTINCT ?this WHERE { target ∪ target … } }``). The
  shapes' SPARQL follows SHACL's rules for pre-bound ``$this`` (no ``VALUES``, ``MINUS`` or
  sub-select, ``$this`` bound at the top level), under which the join gives exactly the solutions
  of the per-node queries. Each solution becomes the result pyshacl would have made: the focus node,
  ``?path`` and ``?value`` (else the focus node), the shape's severity, the constraint's messages
  with ``{?var}``/``{$var}`` filled in, source shape and constraint;
* every other shape's SPARQL-based targets are evaluated once in pyoxigraph and handed to pyshacl
  as the equivalent ``sh:targetNode`` list (in a copy of the shapes graph; focus nodes need not be in
  the graph, as for any ``sh:targetNode``);
* pyshacl runs everything else (the core constraints) on that copy.

A constraint outside those rules (``$currentShape``, ``$shapesGraph``, ``$PATH``, ``?failure``, a
property shape, a shape another shape refers to, a shape-level ``sh:message``, a deactivated shape, a
target kind not listed above) stays in pyshacl, run as before. tests/shapes/test_expected.py checks
that the findings are the same as the reference engine's (pyshacl alone) on every example and on the
real graph with every invalid example added.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from kg.store import OxigraphStore

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
#: what a node shape may say besides its constraints (a shape with nothing else left needs no pyshacl run)
_NOT_CONSTRAINTS = {RDF.type, RDFS.label, RDFS.comment, SH.severity, SH.deactivated, SH.name, SH.description,
                    SH.message, *_TARGETS}
#: the special variables pyshacl handles itself (or refuses); a query naming one stays in pyshacl
_SPECIAL = re.compile(r"[$?](currentShape|shapesGraph|failure)\b|\$PATH\b")
_WHERE = re.compile(r"\A(\s*SELECT\b[^{]*?\bWHERE\s*\{)", re.IGNORECASE | re.DOTALL)
_XSD_STRING = str(XSD.string)


@dataclass(frozen=True)
class Constraint:
    """One ``sh:sparql`` constraint run once over the graph: the query (prefixes, targets joined in)."""

    shape: Node
    node: Node
    query: str
    messages: tuple[Literal, ...]
    severity: Node


@dataclass(frozen=True)
class Result:
    """One solution of a lifted constraint: what pyshacl would have reported for it."""

    constraint: Constraint
    focus: Node
    path: Node | None
    value: Node | None
    messages: tuple[Literal, ...]


@dataclass
class Lifted:
    """A run planned: ``core`` (the shapes graph copy pyshacl runs) and the constraints lifted out of it."""

    core: Graph
    constraints: list[Constraint]
    store: OxigraphStore | None = None
    graph: Graph | None = None
    #: typed literals as the store gives them back (it writes numbers canonically: "130.0" → "130") → the graph's
    #: literals of that form (several when the graph has "130.0" and "130")
    originals: dict[tuple[str, str], list[Literal]] = field(default_factory=dict)

    def run(self) -> list[Result]:
        """Every result of the lifted constraints on the data graph (one query per constraint)."""
        out: list[Result] = []
        if not self.constraints or self.store is None:
            return out
        for constraint in self.constraints:
            out.extend(_results(constraint, self.store.run(constraint.query), self.originals, self.graph))
        return out

    def add_results(self, results: Graph, extra: list[Result]) -> None:
        """Write ``extra`` into pyshacl's ``results`` graph as it writes a SPARQL constraint's results."""
        report = next(results.subjects(RDF.type, SH.ValidationReport), None)
        if report is None:
            report = BNode()
            results.add((report, RDF.type, SH.ValidationReport))
        results.set((report, SH.conforms, Literal(False)))
        for found in extra:
            node = BNode()
            results.add((report, SH.result, node))
            results.add((node, RDF.type, SH.ValidationResult))
            results.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
            results.add((node, SH.sourceShape, found.constraint.shape))
            results.add((node, SH.sourceConstraint, found.constraint.node))
            results.add((node, SH.resultSeverity, found.constraint.severity))
            results.add((node, SH.focusNode, found.focus))
            if found.value is not None:
                results.add((node, SH.value, found.value))
            if found.path is not None:
                results.add((node, SH.resultPath, found.path))
            for message in found.messages:
                results.add((node, SH.resultMessage, message))


# ---------------------------------------------------------------- planning


def lift(shapes: Graph, graph: Graph, only: list[str] | None = None) -> Lifted:
    """Plan a run of ``shapes`` on ``graph``: which constraints run here, and pyshacl's copy of the shapes.

    ``only`` (shape IRIs, as pyshacl's ``use_shapes``) limits the lifted constraints to those shapes.
    """
    core = Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace, override=True)
    for triple in shapes:
        core.add(triple)
    constraints: list[Constraint] = []
    referenced = {o for s, p, o in shapes if p not in (RDF.type, *_TARGETS) and isinstance(o, (URIRef, BNode))}
    wanted = set(only) if only is not None else None
    for shape in sorted(set(shapes.subjects(SH.sparql, None)), key=str):
        targets = _target_patterns(shapes, shape)
        if targets is None or not _liftable_shape(shapes, shape, referenced):
            continue
        for node in sorted(shapes.objects(shape, SH.sparql), key=str):
            query = _lifted_query(shapes, shape, node, targets)
            if query is None:
                continue
            core.remove((shape, SH.sparql, node))
            if wanted is not None and str(shape) not in wanted:
                continue
            messages = tuple(m for m in shapes.objects(node, SH.message) if isinstance(m, Literal))
            constraints.append(Constraint(shape, node, query, messages,
                                          shapes.value(shape, SH.severity) or SH.Violation))
        if not set(core.predicates(shape, None)) - _NOT_CONSTRAINTS:  # nothing left for pyshacl to check
            for kind in _TARGETS:
                core.remove((shape, kind, None))
    plan = Lifted(core, constraints, graph=graph)
    sparql_targets = [(s, t) for s, t in core.subject_objects(SH.target) if (t, RDF.type, SH.SPARQLTarget) in core]
    if constraints or sparql_targets:
        plan.store = _store(graph, plan.originals)
    for targeted, target in sparql_targets:
        text = _target_select(core, target)
        if text is None or plan.store is None:
            continue
        solutions = plan.store.run(text)
        assert isinstance(solutions, ox.QuerySolutions)
        core.remove((targeted, SH.target, target))
        for solution in solutions:
            focus = solution["this"]
            if focus is not None:
                core.add((targeted, SH.targetNode, _to_rdflib(focus, plan.originals)))
    return plan


def _liftable_shape(shapes: Graph, shape: Node, referenced: set) -> bool:
    """A node shape validated only through its own targets, with pyshacl's defaults for results."""
    return ((shape, RDF.type, SH.NodeShape) in shapes and (shape, SH.path, None) not in shapes
            and shape not in referenced and (shape, SH.message, None) not in shapes
            and not any((shape, RDF.type, c) in shapes for c in (RDFS.Class, OWL.Class))
            and shapes.value(shape, SH.deactivated) not in (Literal(True), Literal("true", datatype=XSD.boolean)))


def _prefixes(shapes: Graph, node: Node) -> dict[str, str] | None:
    """The prefixes ``node``'s ``sh:prefixes`` declare (None when two declare one prefix differently)."""
    out: dict[str, str] = {}
    for holder in shapes.objects(node, SH.prefixes):
        for declaration in shapes.objects(holder, SH.declare):
            prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                return None
            if out.setdefault(str(prefix), str(namespace)) != str(namespace):
                return None
    return out


def _merge(into: dict[str, str], more: dict[str, str] | None) -> bool:
    if more is None:
        return False
    for prefix, namespace in more.items():
        if into.setdefault(prefix, namespace) != namespace:
            return False
    return True


def _iri(node: Node) -> str:
    return f"<{node}>"


def _target_select(shapes: Graph, target: Node) -> str | None:
    """A ``sh:SPARQLTarget``'s query with its prefixes, or None when it is not one this module runs."""
    select = shapes.value(target, SH.select)
    prefixes = _prefixes(shapes, target)
    if not isinstance(select, Literal) or prefixes is None or _SPECIAL.search(str(select)):
        return None
    if set(shapes.predicates(target, None)) - {RDF.type, SH.select, SH.prefixes}:
        return None
    return "".join(f"PREFIX {p}: <{n}>\n" for p, n in prefixes.items()) + str(select)


def _target_patterns(shapes: Graph, shape: Node) -> tuple[list[str], dict[str, str]] | None:
    """The shape's targets as SPARQL group patterns binding ``?this``, with the prefixes they need."""
    patterns: list[str] = []
    prefixes: dict[str, str] = {}
    for predicate, obj in shapes.predicate_objects(shape):
        if predicate not in _TARGETS:
            continue
        if not isinstance(obj, (URIRef, BNode, Literal)):
            return None
        if predicate == SH.targetClass and isinstance(obj, URIRef):
            patterns.append(f"?this {_iri(RDF.type)}/{_iri(RDFS.subClassOf)}* {_iri(obj)} .")
        elif predicate == SH.targetSubjectsOf and isinstance(obj, URIRef):
            patterns.append(f"?this {_iri(obj)} ?targetObject .")
        elif predicate == SH.targetObjectsOf and isinstance(obj, URIRef):
            patterns.append(f"?targetSubject {_iri(obj)} ?this .")
        elif predicate == SH.targetNode and isinstance(obj, (URIRef, Literal)):
            patterns.append(f"VALUES ?this {{ {obj.n3()} }}")
        elif predicate == SH.target and (obj, RDF.type, SH.SPARQLTarget) in shapes:
            select = shapes.value(obj, SH.select)
            if (not isinstance(select, Literal) or _SPECIAL.search(str(select))
                    or not _merge(prefixes, _prefixes(shapes, obj))
                    or set(shapes.predicates(obj, None)) - {RDF.type, SH.select, SH.prefixes}):
                return None
            patterns.append(f"{{ {select} }}")
        else:
            return None
    return (patterns, prefixes) if patterns else None


def _lifted_query(shapes: Graph, shape: Node, node: Node,
                  targets: tuple[list[str], dict[str, str]]) -> str | None:
    """The constraint's SELECT with the shape's focus nodes joined in, or None to leave it to pyshacl."""
    select = shapes.value(node, SH.select)
    if (not isinstance(select, Literal) or not isinstance(select.value, str) or _SPECIAL.search(select.value)
            or (node, SH.ask, None) in shapes or shapes.value(node, SH.deactivated) is not None
            or not any(isinstance(m, Literal) for m in shapes.objects(node, SH.message))):
        return None
    patterns, target_prefixes = targets
    prefixes = dict(target_prefixes)
    if not _merge(prefixes, _prefixes(shapes, node)):
        return None
    head = _WHERE.match(select.value)
    if head is None or not _this_bound_at_top(select.value[head.end():]):
        return None
    focus = " UNION ".join(f"{{ {p} }}" for p in patterns)
    return ("".join(f"PREFIX {p}: <{n}>\n" for p, n in prefixes.items())
            + head.group(1) + f"\n  {{ SELECT DISTINCT ?this WHERE {{ {focus} }} }}\n"
            + select.value[head.end():])


_TOKENS = re.compile(r"""
    (?P<skip>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|<[^<>"{}|^`\\\s]*>|\#[^\n]*)
  | (?P<this>[$?]this\b)
  | (?P<word>[A-Za-z_]+)
  | (?P<open>[{(])
  | (?P<close>[})])
""", re.VERBOSE)


def _this_bound_at_top(body: str) -> bool:
    """True when joining the focus nodes in at the top of ``body`` (the text after ``WHERE {``) gives the
    solutions of pre-binding ``$this``: ``$this`` is in an expression (``FILTER``, ``BIND``, ``EXISTS``) only
    when that expression belongs to the top-level group, and there is no sub-select. (A ``FILTER NOT EXISTS
    { $this … }`` inside a ``UNION`` branch would see ``$this`` unbound there: such a query stays in pyshacl.)"""
    depth = 1  # groups open: the WHERE block is 1
    frames: list[int] = []  # per open bracket: 0 for a group, else the group depth its expression began in
    pending = False  # FILTER, BIND or EXISTS just read: the next bracket opens an expression
    for match in _TOKENS.finditer(body):
        kind, text = match.lastgroup, match.group()
        if kind == "skip":
            continue
        if kind == "word":
            if text.upper() == "SELECT":
                return False
            pending = text.upper() in ("FILTER", "BIND", "EXISTS")
            continue
        if kind == "this":
            origin = next((f for f in frames if f), 0)
            if origin > 1:
                return False
            pending = False
            continue
        if kind == "open":
            origin = next((f for f in frames if f), 0)
            if origin:
                frames.append(origin)
            elif pending:
                frames.append(depth)
            else:
                frames.append(0)
                depth += 1
            pending = False
            continue
        if not frames:
            return True  # the WHERE block closes: what follows are solution modifiers
        if frames.pop() == 0:
            depth -= 1
        pending = False
    return True


# ---------------------------------------------------------------- running


def _results(constraint: Constraint, solutions: object, originals: dict[tuple[str, str], list[Literal]],
             graph: Graph | None) -> Iterator[Result]:
    """pyshacl's results for the solutions of one constraint (its de-duplication per focus node kept)."""
    if not isinstance(solutions, ox.QuerySolutions):
        return
    names = [v.value for v in solutions.variables]
    seen: set[tuple] = set()
    for solution in solutions:
        bound = {name: _to_rdflib(term, originals) for name in names if (term := solution[name]) is not None}
        focus = bound.pop("this", None)
        if focus is None:
            continue  # cannot happen: ?this is joined in; pyshacl would skip an unbound one as well
        path, given = bound.pop("path", None), bound.pop("value", None)
        for value in _values(solution["value"] if "value" in names else None, given, focus, path, originals, graph):
            key = (focus, path, value, tuple(sorted(bound.items())))
            if key in seen:
                continue
            seen.add(key)
            if value is None:
                value = focus  # a node shape's result names the focus node as its value
            fill = {**bound, "this": focus, **({"path": path} if path is not None else {}), "value": value}
            yield Result(constraint, focus, path, value, tuple(_message(m, fill) for m in constraint.messages))


def _values(stored: object, value: Node | None, focus: Node, path: Node | None,
            originals: dict[tuple[str, str], list[Literal]], graph: Graph | None) -> list[Node | None]:
    """The graph's terms a solution's ``?value`` stands for: itself, or, when the graph writes one number in
    several ways ("120" and "120.0", one value in the store), those of them that are ``focus path value``
    triples (one result each, as per-node queries on the graph give)."""
    if not isinstance(stored, ox.Literal):
        return [value]
    candidates = originals.get((stored.value, stored.datatype.value), [])
    if len(candidates) < 2:
        return [value]
    if isinstance(path, URIRef) and graph is not None:
        present = [c for c in candidates if (focus, path, c) in graph]
        if present:
            return list(present)
    return [value]


def _message(message: Literal, bound: dict[str, Node]) -> Literal:
    """``message`` with ``{?var}`` and ``{$var}`` replaced by the bound terms, as pyshacl fills them in."""
    text = str(message.value)
    for name, term in bound.items():
        text = re.sub(f"{{[?$]{name}}}", str(term), text)
    return Literal(text)


def _to_rdflib(term: object, originals: dict[tuple[str, str], list[Literal]]) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        found = originals.get((term.value, term.datatype.value))
        if found:  # the graph's own form of it (the first, or the one written as the store writes it)
            return next((o for o in found if str(o) == term.value), found[0])
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"not an RDF term from a SELECT: {term!r}")


def _store(graph: Graph, originals: dict[tuple[str, str], list[Literal]]) -> OxigraphStore:
    """``graph`` in an in-memory pyoxigraph store (kg.store's copy, term by term: blank nodes keep their labels,
    so results name them); fills ``originals`` with the graph's typed literals by their stored form (the store
    writes numbers canonically: "130.0" → "130")."""
    store = OxigraphStore.from_graph(graph)
    typed = sorted({o for o in graph.objects() if isinstance(o, Literal) and o.datatype is not None
                    and str(o.datatype) != _XSD_STRING}, key=lambda lit: (str(lit.datatype), str(lit)))
    if typed:  # how the store writes each one: read back from a store of those literals alone
        probe = Graph()
        predicate = URIRef("urn:osteokg:literal")
        for i, literal in enumerate(typed):
            probe.add((URIRef(f"urn:osteokg:literal:{i}"), predicate, literal))
        for quad in OxigraphStore.from_graph(probe).store:
            node = typed[int(quad.subject.value.rsplit(":", 1)[1])]
            stored = quad.object
            if isinstance(stored, ox.Literal):
                originals.setdefault((stored.value, stored.datatype.value), []).append(node)
    return store
