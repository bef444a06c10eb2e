"""Materializing the relation graph, so that one triple pattern answers a question — and no more.

Every edge an editor asserted becomes a direct edge ``S P O`` with its evidence: source, quote,
**strength** (how strongly the source says it: ``okg:defining`` — of every S —, main, most often,
often, in a share, generally, can) and qualifiers (condition, context, in combination with, the
statement with the number, evidence kind, review status). Only ``defining`` edges are OWL
existentials (``S SubClassOf P some O``); the others are direct assertions. The build then
derives, to a fixpoint, only what holds:

- ``definition``: a term defined as ``parents and P some O`` (its equivalent class) has ``S P O``,
  always; its evidence is the term's own definition (source: the ontology);
- ``subclass``: a defining edge of S holds for every subclass of S; a non-defining one only where
  the relation declares ``okg:inheritedBySubclasses true``, and then only as ``can`` (what a kind of
  disorder often has, one of its subtypes can have);
- ``superclass-target``: ``S P O`` and ``O SubClassOf O2`` give ``S P O2`` for defining edges, and
  for others where the relation declares ``okg:generalizesObject true`` (not when O2 is an upper
  category or subsumes S); the strength is kept, except that a ranking (main, most often) or a
  share no longer applies to the broader class and becomes ``can``;
- ``subproperty``: ``S P O`` and ``P SubPropertyOf Q`` give ``S Q O``, strength kept;
- ``part-of``: transitivity of part of, and property chains such as has location ∘ part of (the
  weaker of the two strengths, a ranking becoming ``can``);

and finally ``inverse``: every edge gets the edge of its inverse property, with strength ``can``
(inverse edges are navigational and read "some–some": that every osteonecrosis is in bone does not
make bone always the location of osteonecrosis, and "a missed diagnosis often leads to a cascade"
does not say how often a cascade follows one; they are not propagated further). A derived edge carries the
evidence and qualifiers of the asserted edge it descends from, marked ``okg:inferred true`` with
its rule and its premise (``okg:premiseSubject``/``Predicate``/``Object``: the edge it came from),
so every inferred edge can say why. An edge that is asserted is not also inferred. The subclass
hierarchy is closed too (rule ``transitivity``), and the parents HermiT found are marked ``reasoner``.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS
from rdflib.term import Node

from kg.vocab import (
    CAN, DEFINING, DEFINITION, DEFINITION_KIND, MAIN, MOST, OKG, ONTOLOGY_IRI, OSTEOKG, PART_OF, PROPORTION,
    STRENGTHS, is_upper_category,
)

Key = tuple[URIRef, URIRef, URIRef]
#: the evidence properties that are structure, not copied from premise to conclusion
_STRUCTURE = {RDF.type, OWL.annotatedSource, OWL.annotatedProperty, OWL.annotatedTarget, OKG.inferred,
              OKG.inferenceRule, OKG.strength, OKG.premiseSubject, OKG.premisePredicate, OKG.premiseObject}
#: rankings and shares are said of one class among its siblings: a broader class does not inherit them
_RANKINGS = {MAIN, MOST, PROPORTION}


@dataclass(frozen=True)
class Evidence:
    """Where an edge comes from: the source, its quote and every qualifier the row gave (not the strength)."""

    source: URIRef
    quote: Literal
    annotations: tuple[tuple[Node, Node], ...] = ()


@dataclass(frozen=True)
class Edge:
    subject: URIRef
    predicate: URIRef
    target: URIRef
    evidence: Evidence
    strength: URIRef
    rule: str | None  # None: asserted
    premise: Key | None = None
    #: the evidence node compose already wrote (a direct assertion), else None
    node: Node | None = None

    @property
    def key(self) -> Key:
        return (self.subject, self.predicate, self.target)


@dataclass(frozen=True)
class Materialization:
    asserted: int
    inferred: int
    subclass_inferred: int
    #: inferred edges per rule (an edge reached by two rules counts under each)
    by_rule: dict[str, int]
    #: asserted edges per strength (their strongest evidence), by local name
    by_strength: dict[str, int]


def weaker(a: URIRef, b: URIRef) -> URIRef:
    """The weaker of two strengths (an unknown strength counts as the weakest, can)."""
    rank = {s: i for i, s in enumerate(STRENGTHS)}
    return a if rank.get(a, len(STRENGTHS)) >= rank.get(b, len(STRENGTHS)) else b


def generalized(strength: URIRef) -> URIRef:
    """The strength of an edge carried to a broader object: a ranking or a share becomes can."""
    return CAN if strength in _RANKINGS else strength


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
    """What the schema says about the relation properties: inverses, superproperties, chains, inheritance."""

    def __init__(self, graph: Graph) -> None:
        self.properties = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty)
                           if isinstance(p, URIRef) and p.startswith(str(OSTEOKG))}
        self.inverse: dict[URIRef, URIRef] = {}
        for a, b in graph.subject_objects(OWL.inverseOf):
            if isinstance(a, URIRef) and isinstance(b, URIRef):  # named relations (not an inverse expression)
                self.inverse[a], self.inverse[b] = b, a
        self.super: dict[URIRef, set[URIRef]] = defaultdict(set)
        for a, b in graph.subject_objects(RDFS.subPropertyOf):
            if isinstance(a, URIRef) and isinstance(b, URIRef):
                self.super[a].add(b)
        self.transitive = {p for p in graph.subjects(RDF.type, OWL.TransitiveProperty)}
        self.chains: list[tuple[URIRef, URIRef, URIRef]] = []  # (first, second, result)
        for result, head in graph.subject_objects(OWL.propertyChainAxiom):
            members = list(Collection(graph, head))
            if len(members) == 2:
                first, second = members
                if isinstance(first, URIRef) and isinstance(second, URIRef) and isinstance(result, URIRef):
                    self.chains.append((first, second, result))

        def flag(p: URIRef, prop: URIRef) -> bool:
            value = graph.value(p, prop)
            return isinstance(value, Literal) and bool(value.toPython())  # a boolean annotation
        self.inherited = {p for p in self.properties if flag(p, OKG.inheritedBySubclasses)}
        self.generalizing = {p for p in self.properties if flag(p, OKG.generalizesObject)}

    def superproperties(self, prop: URIRef) -> set[URIRef]:
        return Hierarchy._walk(prop, self.super)


def _evidence_of(graph: Graph, axiom) -> tuple[Evidence, URIRef] | None:
    """The evidence an axiom annotation carries and its strength (``defining`` when it says none)."""
    source, quote = graph.value(axiom, DCTERMS.source), graph.value(axiom, OKG.quote)
    if not isinstance(source, URIRef) or not isinstance(quote, Literal):  # a source is an IRI, a quote a text
        return None
    annotations = tuple(sorted(((p, o) for p, o in graph.predicate_objects(axiom)
                                if p not in _STRUCTURE and p not in (DCTERMS.source, OKG.quote)), key=str))
    strength = graph.value(axiom, OKG.strength)
    return Evidence(source, quote, annotations), strength if isinstance(strength, URIRef) else DEFINING


def asserted_edges(graph: Graph, relations: Relations) -> list[Edge]:
    """The editors' edges: existentials (defining) and direct assertions, each with its evidence."""
    edges: list[Edge] = []
    for axiom in graph.subjects(RDF.type, OWL.Axiom):
        subject, prop, target = (graph.value(axiom, p) for p in
                                 (OWL.annotatedSource, OWL.annotatedProperty, OWL.annotatedTarget))
        found = _evidence_of(graph, axiom)
        if found is None or not isinstance(subject, URIRef):
            continue
        evidence, strength = found
        if prop == RDFS.subClassOf and isinstance(target, BNode):  # an existential's annotation
            prop, target = graph.value(target, OWL.onProperty), graph.value(target, OWL.someValuesFrom)
            if isinstance(prop, URIRef) and prop in relations.properties and isinstance(target, URIRef) \
                    and (subject, RDFS.subClassOf, graph.value(axiom, OWL.annotatedTarget)) in graph:
                edges.append(Edge(subject, prop, target, evidence, strength, None))
        elif isinstance(prop, URIRef) and prop in relations.properties and isinstance(target, URIRef) \
                and graph.value(axiom, OKG.inferred) == Literal(False) and (subject, prop, target) in graph:
            edges.append(Edge(subject, prop, target, evidence, strength, None, node=axiom))
    return edges


def definition_edges(graph: Graph, relations: Relations) -> list[Edge]:
    """``S P O`` for each ``P some O`` in a term's equivalent class: it holds of every S by definition."""
    ontology = URIRef(ONTOLOGY_IRI)
    edges: list[Edge] = []
    for term, equivalent in graph.subject_objects(OWL.equivalentClass):
        members = graph.value(equivalent, OWL.intersectionOf) if isinstance(equivalent, BNode) else None
        definition = next((d for d in graph.objects(term, DEFINITION) if isinstance(d, Literal) and d.language == "en"), None)
        if members is None or definition is None or not isinstance(term, URIRef):
            continue
        for member in Collection(graph, members):
            prop, target = graph.value(member, OWL.onProperty), graph.value(member, OWL.someValuesFrom)
            if isinstance(prop, URIRef) and prop in relations.properties and isinstance(target, URIRef):
                evidence = Evidence(ontology, definition, ((OKG.evidenceKind, DEFINITION_KIND),
                                                           (OKG.reviewStatus, Literal("unreviewed"))))
                edges.append(Edge(term, prop, target, evidence, DEFINING, "definition"))
    return edges


def derive(graph: Graph) -> list[Edge]:
    """All edges, asserted and inferred (one Edge per evidence), in a stable order."""
    relations = Relations(graph)
    hierarchy = Hierarchy(graph)
    asserted = asserted_edges(graph, relations)
    asserted_keys = {e.key for e in asserted}
    by_key: dict[Key, list[Edge]] = defaultdict(list)
    seen: set[tuple[Key, Evidence]] = set()
    by_subject: dict[tuple[URIRef, URIRef], set[URIRef]] = defaultdict(set)
    by_target: dict[tuple[URIRef, URIRef], set[URIRef]] = defaultdict(set)
    queue: list[Edge] = []

    def add(edge: Edge) -> None:
        if edge.rule is not None and edge.key in asserted_keys:
            return  # asserted wins: an editor's edge is not also an inference
        if (edge.key, edge.evidence) in seen:
            return
        seen.add((edge.key, edge.evidence))
        by_key[edge.key].append(edge)
        by_subject[(edge.subject, edge.predicate)].add(edge.target)
        by_target[(edge.target, edge.predicate)].add(edge.subject)
        queue.append(edge)

    def derived(premise: Edge, s: URIRef, p: URIRef, o: URIRef, strength: URIRef, rule: str) -> None:
        add(Edge(s, p, o, premise.evidence, strength, rule, premise.key))

    for edge in sorted(asserted, key=lambda e: (e.key, str(e.evidence))):
        add(edge)
    for edge in sorted(definition_edges(graph, relations), key=lambda e: e.key):
        add(edge)
    while queue:
        edge = queue.pop(0)
        s, p, o, strength = edge.subject, edge.predicate, edge.target, edge.strength
        if strength == DEFINING or p in relations.inherited:
            for child in sorted(hierarchy.descendants(s)):
                derived(edge, child, p, o, DEFINING if strength == DEFINING else CAN, "subclass")
        if strength == DEFINING or p in relations.generalizing:
            subject_line = hierarchy.ancestors(s) | {s}
            for ancestor in sorted(hierarchy.ancestors(o)):
                # "pain on activity precedes pain at rest" must not become "… precedes pain": a target
                # that subsumes the subject itself says nothing; nor does an upper category.
                if not is_upper_category(ancestor) and ancestor not in subject_line:
                    derived(edge, s, p, ancestor, generalized(strength), "superclass-target")
        for prop in sorted(relations.superproperties(p)):
            derived(edge, s, prop, o, strength, "subproperty")
        if p in relations.transitive:
            rule = "part-of" if p == PART_OF else "transitive"
            for further in sorted(by_subject[(o, p)]):
                for second in by_key[(o, p, further)]:
                    derived(edge, s, p, further, generalized(weaker(strength, second.strength)), rule)
            for earlier in sorted(by_target[(s, p)]):
                for first in list(by_key[(earlier, p, s)]):
                    derived(first, earlier, p, o, generalized(weaker(first.strength, strength)), rule)
        for first_p, second_p, result in relations.chains:
            rule = "part-of" if PART_OF in (first_p, second_p) else "property-chain"
            if p == first_p:  # S first O, O second X ⇒ S result X (the evidence of the first edge)
                for further in sorted(by_subject[(o, second_p)]):
                    for second in by_key[(o, second_p, further)]:
                        derived(edge, s, result, further, generalized(weaker(strength, second.strength)), rule)
            if p == second_p:  # E first S, S second O ⇒ E result O
                for earlier in sorted(by_target[(s, first_p)]):
                    for first in list(by_key[(earlier, first_p, s)]):
                        derived(first, earlier, result, o, generalized(weaker(first.strength, strength)), rule)
    forward = [edge for edges in by_key.values() for edge in edges]
    for edge in forward:
        inverse = relations.inverse.get(edge.predicate)
        if inverse is not None:
            derived(edge, edge.target, inverse, edge.subject, CAN, "inverse")
    return sorted((e for edges in by_key.values() for e in edges),
                  key=lambda e: (e.key, e.rule or "", str(e.evidence.quote), str(e.strength)))


def _annotate(graph: Graph, s: URIRef, p: URIRef, o: URIRef, *, inferred: bool, rule: str | None,
              evidence: Evidence | None = None, strength: URIRef | None = None, premise: Key | None = None) -> None:
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
        for prop, value in evidence.annotations:
            graph.add((axiom, prop, value))
    if strength is not None:
        graph.add((axiom, OKG.strength, strength))
    if premise is not None:
        for prop, value in zip((OKG.premiseSubject, OKG.premisePredicate, OKG.premiseObject), premise):
            graph.add((axiom, prop, value))


def materialize(graph: Graph, reasoner_links: tuple[tuple[URIRef, URIRef], ...] = ()) -> Materialization:
    """Add the reasoner's parents, the closed hierarchy and every edge with its evidence to ``graph``."""
    for child, parent in reasoner_links:
        graph.add((child, RDFS.subClassOf, parent))
        _annotate(graph, child, RDFS.subClassOf, parent, inferred=True, rule="reasoner")
    hierarchy = Hierarchy(graph)
    closure = 0
    for child in sorted(set(hierarchy.parents)):
        for ancestor in sorted(hierarchy.ancestors(child) - hierarchy.parents[child]):
            graph.add((child, RDFS.subClassOf, ancestor))
            _annotate(graph, child, RDFS.subClassOf, ancestor, inferred=True, rule="transitivity")
            closure += 1
    edges = derive(graph)
    for edge in edges:
        graph.add(edge.key)
        if edge.node is None:  # a direct assertion's evidence node is already there (kg.compose)
            _annotate(graph, *edge.key, inferred=edge.rule is not None, rule=edge.rule, evidence=edge.evidence,
                      strength=edge.strength, premise=edge.premise)
    asserted_keys = {e.key for e in edges if e.rule is None}
    inferred_keys = {e.key for e in edges if e.rule is not None}
    by_rule = Counter(rule for rule, _ in {(e.rule, e.key) for e in edges if e.rule is not None})
    strongest: dict[Key, URIRef] = {}
    for edge in edges:
        if edge.rule is None:
            strongest[edge.key] = edge.strength if edge.key not in strongest else \
                min(strongest[edge.key], edge.strength, key=STRENGTHS.index)
    by_strength = Counter(str(s)[len(str(OKG)):] for s in strongest.values())
    return Materialization(asserted=len(asserted_keys), inferred=len(inferred_keys),
                           subclass_inferred=len(reasoner_links) + closure,
                           by_rule=dict(sorted(by_rule.items())), by_strength=dict(sorted(by_strength.items())))
