"""Materializing the relation graph, so that one triple pattern answers a question.

Every existential restriction ``S SubClassOf P some O`` with evidence becomes a direct edge
``S P O``. The build then derives, to a fixpoint:

- ``subclass``: an edge of a class holds for each of its descendants;
- ``superclass-target``: ``S P O`` and ``O SubClassOf O2`` give ``S P O2`` (not when O2 is an upper
  category or subsumes S itself);
- ``subproperty``: ``S P O`` and ``P SubPropertyOf Q`` give ``S Q O``;
- ``part-of``: transitivity of part of, and property chains such as has location ∘ part of;

and finally ``inverse``: every edge gets the edge of its inverse property. Inverse edges are
navigational (they read "some–some") and are not propagated further. Each derived edge carries
the evidence (source and quote) of the edge it was derived from, marked ``okg:inferred true``
with its rule; asserted edges are marked ``okg:inferred false``. The subclass hierarchy is
closed too (rule ``transitivity``), and the parents HermiT found are marked ``reasoner``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.vocab import OKG, OSTEOKG, PART_OF

Key = tuple[URIRef, URIRef, URIRef]


@dataclass(frozen=True)
class Evidence:
    source: URIRef
    quote: Literal


@dataclass(frozen=True)
class Edge:
    subject: URIRef
    predicate: URIRef
    target: URIRef
    evidence: tuple[Evidence, ...]
    rule: str | None  # None: asserted

    @property
    def key(self) -> Key:
        return (self.subject, self.predicate, self.target)


@dataclass(frozen=True)
class Materialization:
    asserted: int
    inferred: int
    subclass_inferred: int


def is_upper_category(iri: URIRef) -> bool:
    return iri.startswith(str(OSTEOKG)) and iri[len(str(OSTEOKG)):].isdigit() and int(iri[len(str(OSTEOKG)):]) < 100


class Hierarchy:
    """Named-class ancestors and descendants over rdfs:subClassOf (asserted plus reasoner links)."""

    def __init__(self, graph: Graph) -> None:
        self.parents: dict[URIRef, set[URIRef]] = defaultdict(set)
        self.children: dict[URIRef, set[URIRef]] = defaultdict(set)
        for child, parent in graph.subject_objects(RDFS.subClassOf):
            if isinstance(child, URIRef) and isinstance(parent, URIRef) and child != parent:
                self.parents[child].add(parent)
                self.children[parent].add(child)

    @staticmethod
    def _walk(start: URIRef, step: dict[URIRef, set[URIRef]]) -> set[URIRef]:
        seen: set[URIRef] = set()
        stack = list(step.get(start, ()))
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(step.get(node, ()))
        seen.discard(start)
        return seen

    def ancestors(self, iri: URIRef) -> set[URIRef]:
        return self._walk(iri, self.parents)

    def descendants(self, iri: URIRef) -> set[URIRef]:
        return self._walk(iri, self.children)


class Relations:
    """What the schema says about the relation properties: inverses, superproperties, chains."""

    def __init__(self, graph: Graph) -> None:
        self.properties = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty)
                           if isinstance(p, URIRef) and p.startswith(str(OSTEOKG))}
        self.inverse: dict[URIRef, URIRef] = {}
        for a, b in graph.subject_objects(OWL.inverseOf):
            self.inverse[a], self.inverse[b] = b, a
        self.super: dict[URIRef, set[URIRef]] = defaultdict(set)
        for a, b in graph.subject_objects(RDFS.subPropertyOf):
            self.super[a].add(b)
        self.transitive = {p for p in graph.subjects(RDF.type, OWL.TransitiveProperty)}
        self.chains: list[tuple[URIRef, URIRef, URIRef]] = []  # (first, second, result)
        for result, head in graph.subject_objects(OWL.propertyChainAxiom):
            members = list(Collection(graph, head))
            if len(members) == 2:
                self.chains.append((members[0], members[1], result))

    def superproperties(self, prop: URIRef) -> set[URIRef]:
        return Hierarchy._walk(prop, self.super)


def asserted_edges(graph: Graph, relations: Relations) -> dict[Key, list[Evidence]]:
    """Direct edges for every restriction on a relation property, with the evidence annotating it."""
    edges: dict[Key, list[Evidence]] = {}
    for subject, restriction in graph.subject_objects(RDFS.subClassOf):
        prop = graph.value(restriction, OWL.onProperty)
        target = graph.value(restriction, OWL.someValuesFrom)
        if prop in relations.properties and isinstance(subject, URIRef) and isinstance(target, URIRef):
            edges.setdefault((subject, prop, target), [])
    for axiom in graph.subjects(RDF.type, OWL.Axiom):
        restriction = graph.value(axiom, OWL.annotatedTarget)
        if graph.value(axiom, OWL.annotatedProperty) != RDFS.subClassOf or not isinstance(restriction, BNode):
            continue
        key = (graph.value(axiom, OWL.annotatedSource), graph.value(restriction, OWL.onProperty),
               graph.value(restriction, OWL.someValuesFrom))
        if key in edges:
            for source in graph.objects(axiom, DCTERMS.source):
                for quote in graph.objects(axiom, OKG.quote):
                    edges[key].append(Evidence(source, quote))
    return edges


def derive(graph: Graph) -> list[Edge]:
    """All edges, asserted and inferred, in a stable order."""
    relations = Relations(graph)
    hierarchy = Hierarchy(graph)
    edges: dict[Key, Edge] = {}
    by_subject: dict[tuple[URIRef, URIRef], set[URIRef]] = defaultdict(set)
    by_target: dict[tuple[URIRef, URIRef], set[URIRef]] = defaultdict(set)
    queue: list[Edge] = []

    def add(edge: Edge) -> None:
        if edge.key in edges:
            return
        edges[edge.key] = edge
        by_subject[(edge.subject, edge.predicate)].add(edge.target)
        by_target[(edge.target, edge.predicate)].add(edge.subject)
        queue.append(edge)

    for (s, p, o), evidence in sorted(asserted_edges(graph, relations).items()):
        add(Edge(s, p, o, tuple(evidence), None))
    while queue:
        edge = queue.pop(0)
        s, p, o, ev = edge.subject, edge.predicate, edge.target, edge.evidence
        for child in sorted(hierarchy.descendants(s)):
            add(Edge(child, p, o, ev, "subclass"))
        subject_line = hierarchy.ancestors(s) | {s}
        for ancestor in sorted(hierarchy.ancestors(o)):
            # "pain on activity precedes pain at rest" must not become "… precedes pain": a target
            # that subsumes the subject itself says nothing; nor does an upper category.
            if not is_upper_category(ancestor) and ancestor not in subject_line:
                add(Edge(s, p, ancestor, ev, "superclass-target"))
        for prop in sorted(relations.superproperties(p)):
            add(Edge(s, prop, o, ev, "subproperty"))
        if p in relations.transitive:
            rule = "part-of" if p == PART_OF else "transitive"
            for further in sorted(by_subject[(o, p)]):
                add(Edge(s, p, further, ev, rule))
            for earlier in sorted(by_target[(s, p)]):
                add(Edge(earlier, p, o, ev, rule))
        for first, second, result in relations.chains:
            rule = "part-of" if PART_OF in (first, second) else "property-chain"
            if p == first:
                for further in sorted(by_subject[(o, second)]):
                    add(Edge(s, result, further, ev, rule))
            if p == second:
                for earlier in sorted(by_target[(s, first)]):
                    add(Edge(earlier, result, o, ev, rule))
    forward = list(edges.values())
    for edge in forward:
        inverse = relations.inverse.get(edge.predicate)
        if inverse is not None:
            add(Edge(edge.target, inverse, edge.subject, edge.evidence, "inverse"))
    return sorted(edges.values(), key=lambda e: (e.key, e.rule or ""))


def _annotate(graph: Graph, s: URIRef, p: URIRef, o: URIRef, *, inferred: bool, rule: str | None,
              evidence: Evidence | None) -> None:
    axiom = BNode()
    graph.add((axiom, RDF.type, OWL.Axiom))
    graph.add((axiom, OWL.annotatedSource, s))
    graph.add((axiom, OWL.annotatedProperty, p))
    graph.add((axiom, OWL.annotatedTarget, o))
    graph.add((axiom, OKG.inferred, Literal(inferred)))
    if rule:
        graph.add((axiom, OKG.inferenceRule, Literal(rule)))
    if evidence is not None:
        graph.add((axiom, DCTERMS.source, evidence.source))
        graph.add((axiom, OKG.quote, evidence.quote))


def materialize(graph: Graph, reasoner_links: tuple[tuple[URIRef, URIRef], ...] = ()) -> Materialization:
    """Add the reasoner's parents, the closed hierarchy and every edge with its evidence to ``graph``."""
    for child, parent in reasoner_links:
        graph.add((child, RDFS.subClassOf, parent))
        _annotate(graph, child, RDFS.subClassOf, parent, inferred=True, rule="reasoner", evidence=None)
    hierarchy = Hierarchy(graph)
    closure = 0
    for child in sorted(set(hierarchy.parents)):
        for ancestor in sorted(hierarchy.ancestors(child) - hierarchy.parents[child]):
            graph.add((child, RDFS.subClassOf, ancestor))
            _annotate(graph, child, RDFS.subClassOf, ancestor, inferred=True, rule="transitivity", evidence=None)
            closure += 1
    edges = derive(graph)
    for edge in edges:
        graph.add(edge.key)
        for evidence in edge.evidence or (None,):
            _annotate(graph, *edge.key, inferred=edge.rule is not None, rule=edge.rule, evidence=evidence)
    asserted = sum(1 for edge in edges if edge.rule is None)
    return Materialization(asserted=asserted, inferred=len(edges) - asserted,
                           subclass_inferred=len(reasoner_links) + closure)
