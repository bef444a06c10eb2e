"""Validate the built graph against the SHACL shapes in ``shapes/`` and report what to fix.

The shapes check the *built* graph (asserted and materialized triples together). They are run with
pyshacl, ``inference='none'`` (the build has already materialized what the reasoner inferred) and
``advanced=True`` (SHACL-AF: several shapes pick their focus nodes with SPARQL-based targets).

:func:`validate` turns pyshacl's results into :class:`Finding` objects that a person can act on:
the entity's label and CURIE, the property's label and CURIE, the message, the offending value and
where the entity comes from in the editors' sources; :func:`format_report` prints them.

:func:`run_shacl` has two engines that give the same results. ``fast`` (the default, what the build
and ``osteokg validate`` use) runs each ``sh:sparql`` constraint once per shape over the whole graph
and the SPARQL-based targets once, in pyoxigraph, and leaves the core constraints to pyshacl
(:mod:`kg.shacl_sparql`); ``reference`` is pyshacl alone, the ``sh:sparql`` constraints once per focus
node (1,718 queries on the real graph), kept to check the other against
(tests/shapes/test_expected.py) and for the bench (bench/build_bench.py). pyshacl parses the text
of a SPARQL constraint again for every focus node; while it runs, the parsed queries are cached (see
:func:`_cached_sparql`).
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH

from kg.settings import SHAPES_DIR, require_checkout
from kg.vocab import PREFIXES as _VOCAB_PREFIXES
from kg.vocab import SHAPES_NS, prefixes

# SHAPES_DIR: the checkout's shapes folder (kg.settings); every ``*.ttl`` in it is loaded
# SHAPES_NS: namespace of the shapes themselves (kg.vocab)


class _PyshaclOptions(TypedDict):
    """The keyword options of :func:`pyshacl.validate` that :data:`PYSHACL_OPTIONS` sets."""

    inference: str
    advanced: bool


#: the options every run of the shapes uses
PYSHACL_OPTIONS: _PyshaclOptions = {"inference": "none", "advanced": True}

#: prefix → namespace for CURIEs in reports (the project's prefixes, plus SHACL and the shapes)
PREFIXES: dict[str, str] = {**_VOCAB_PREFIXES, **prefixes("sh", "oks")}

# Labels for properties the data graph does not label itself.
_BUILTIN_LABELS: dict[str, str] = {
    str(RDF.type): "type",
    str(RDFS.label): "label",
    str(RDFS.subClassOf): "subclass of",
    str(RDFS.comment): "comment",
    str(OWL.annotatedSource): "annotated source",
    str(OWL.annotatedProperty): "annotated property",
    str(OWL.annotatedTarget): "annotated target",
    str(OWL.versionIRI): "version IRI",
    "http://purl.org/dc/terms/source": "source",
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/description": "description",
    "http://purl.org/dc/terms/publisher": "publisher",
    "http://purl.org/dc/terms/language": "language",
    "http://purl.org/dc/terms/license": "license",
    "http://purl.org/dc/terms/date": "date",
    "https://schema.org/url": "URL",
    "http://www.w3.org/2004/02/skos/core#exactMatch": "exact match",
    "http://www.w3.org/2004/02/skos/core#closeMatch": "close match",
    "http://www.w3.org/2004/02/skos/core#broadMatch": "broad match",
    "http://www.w3.org/2004/02/skos/core#narrowMatch": "narrow match",
}

_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the graph, in terms an editor can act on.

    ``focus``, ``path``, ``shape`` and ``value`` are CURIEs where the namespace is known
    (``OSTEOKG:0000100``), full IRIs otherwise, ``_:id`` for blank nodes, and literals in Turtle
    form (``"heup"@nl``). ``path`` may be a SHACL path written out (``rdfs:subClassOf*``).
    ``focus_label`` is the entity's label (English preferred); for an evidence node it is the edge
    it supports, written ``S label —P label→ O label``. ``location`` is where the entity (for an
    evidence node: its subject) comes from in the editors' sources, e.g. ``ontology/terms/x.tsv:7``.
    """

    severity: str
    focus: str
    focus_label: str | None
    path: str | None
    path_label: str | None
    message: str
    shape: str
    value: str | None
    location: str | None
    value_label: str | None = None


@dataclass(frozen=True)
class Report:
    """The outcome of a validation: whether the graph conforms, and every finding."""

    conforms: bool
    findings: tuple[Finding, ...]
    shape_count: int = 0

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity Violation."""
        return tuple(f for f in self.findings if f.severity == "Violation")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings of severity Warning."""
        return tuple(f for f in self.findings if f.severity == "Warning")


# ---------------------------------------------------------------- loading and running


def load_shapes(shapes_dir: Path = SHAPES_DIR) -> Graph:
    """Every ``*.ttl`` file in ``shapes_dir``, parsed into one shapes graph (a
    :class:`kg.settings.CheckoutMissing` when the folder is not there: the shapes are not shipped)."""
    files = sorted(require_checkout(shapes_dir, "the SHACL shapes").glob("*.ttl"))
    if not files:
        raise FileNotFoundError(f"no shapes (*.ttl) in {shapes_dir}")
    shapes = Graph()
    for path in files:
        shapes.parse(path, format="turtle")
    return shapes


def shape_count(shapes: Graph) -> int:
    """How many named shapes (node and property shapes with an IRI) ``shapes`` holds."""
    named = {s for kind in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, kind)}
    return sum(1 for s in named if isinstance(s, URIRef))


_CACHE_LOCK = threading.RLock()
_QUERY_CACHE: dict[str, object] = {}


@contextlib.contextmanager
def _cached_sparql() -> Iterator[None]:
    """While active, rdflib parses each distinct SPARQL query text once.

    pyshacl hands rdflib the same query text for every focus node of a SPARQL constraint, and
    rdflib parses it each time (about 50 ms per query); caching the translated query makes a run
    on a graph with thousands of evidence nodes many times faster. The patch is local to this
    context and serialized by a lock; if rdflib's internals differ it does nothing.
    """
    try:
        from rdflib.plugins.sparql import processor
        from rdflib.plugins.sparql.algebra import translateQuery
        from rdflib.plugins.sparql.parser import parseQuery
    except ImportError:  # pragma: no cover - other rdflib layout
        yield
        return
    original = processor.SPARQLProcessor.query

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803
        if isinstance(strOrQuery, str):
            key = f"{base}\n{strOrQuery}"
            prepared = _QUERY_CACHE.get(key)
            if prepared is None:
                try:
                    # the shapes declare their prefixes, so the data graph's bindings are not needed
                    prepared = translateQuery(parseQuery(strOrQuery), base, {})
                except Exception:  # e.g. a prefix only the data graph binds: no caching
                    return original(self, strOrQuery, initBindings, initNs, base, DEBUG)
                if len(_QUERY_CACHE) > 1000:  # only the shapes' few dozen queries are expected
                    _QUERY_CACHE.clear()
                _QUERY_CACHE[key] = prepared
            strOrQuery = prepared
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    with _CACHE_LOCK:
        # a patch of rdflib's class for the run (restored below): what method-assign warns of, meant here
        processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
        try:
            yield
        finally:
            processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


#: the engines :func:`run_shacl` can use: ``fast`` (the default) and ``reference`` (pyshacl alone)
ENGINES = ("fast", "reference")


def run_shacl(graph: Graph, shapes: Graph | None = None,
              use_shapes: Iterable[URIRef] | None = None, engine: str = "fast") -> tuple[bool, Graph]:
    """Run the shapes on ``graph``; return (conforms, results graph, as pyshacl writes it).

    ``use_shapes`` limits the run to those node shapes (with their property shapes), e.g. to check
    quickly that one shape fires; by default every shape runs. ``engine`` ``"reference"`` runs every
    constraint in pyshacl (the ``sh:sparql`` ones once per focus node); ``"fast"`` gives the same
    results, running each ``sh:sparql`` constraint once over the whole graph in pyoxigraph and the
    SPARQL-based targets there too (see :mod:`kg.shacl_sparql`).
    """
    shapes = load_shapes() if shapes is None else shapes
    only = sorted(str(s) for s in use_shapes) if use_shapes is not None else None
    if engine == "reference":
        return _pyshacl(graph, shapes, only)
    if engine != "fast":
        raise ValueError(f"unknown SHACL engine {engine!r} (one of {', '.join(ENGINES)})")
    from kg.shacl_sparql import Lifted, lift

    plan: Lifted = lift(shapes, graph, only)
    conforms, results = _pyshacl(graph, plan.core, only)
    extra = plan.run()
    if extra:
        plan.add_results(results, extra)
        conforms = False
    return conforms, results


def _pyshacl(graph: Graph, shapes: Graph, only: list[str] | None) -> tuple[bool, Graph]:
    from pyshacl import validate as pyshacl_validate

    with _cached_sparql():
        conforms, results, _ = pyshacl_validate(
            graph, shacl_graph=shapes, abort_on_first=False, allow_warnings=False, allow_infos=False,
            meta_shacl=False, debug=False, use_shapes=only or None, **PYSHACL_OPTIONS)
    return bool(conforms), results


# ---------------------------------------------------------------- rendering terms


def curie(node: rdflib.term.Node | str) -> str:
    """``node`` as a CURIE under the longest known namespace, its IRI, ``_:id`` or a Turtle literal."""
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        return _literal(node)
    iri = str(node)
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")) and len(iri) > len(namespace):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def _literal(literal: Literal) -> str:
    text = str(literal).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if literal.language:
        return f'"{text}"@{literal.language}'
    if literal.datatype is not None and str(literal.datatype) != "http://www.w3.org/2001/XMLSchema#string":
        return f'"{text}"^^{curie(literal.datatype)}'
    return f'"{text}"'


def label(graph: Graph, node: rdflib.term.Node) -> str | None:
    """The rdfs:label of ``node`` in ``graph``: English first, then untagged, then any; else None."""
    if isinstance(node, Literal):
        return None
    labels = [lit for lit in graph.objects(node, RDFS.label) if isinstance(lit, Literal)]
    for wanted in ("en", None):
        for lit in sorted(labels):
            if (lit.language or None) == wanted or (wanted == "en" and (lit.language or "").startswith("en-")):
                return str(lit)
    if labels:
        return str(sorted(labels)[0])
    return _BUILTIN_LABELS.get(str(node)) if isinstance(node, URIRef) else None


def _term_text(graph: Graph, node: rdflib.term.Node) -> str:
    """A short name for ``node`` in an edge: its label, a restriction written out, or its CURIE."""
    if isinstance(node, BNode):
        prop = graph.value(node, OWL.onProperty)
        filler = graph.value(node, OWL.someValuesFrom)
        if prop is not None and filler is not None:
            return f"({_term_text(graph, prop)} some {_term_text(graph, filler)})"
    return label(graph, node) or curie(node)


def edge_text(graph: Graph, axiom: rdflib.term.Node) -> str | None:
    """The statement an evidence node annotates, ``S label —P label→ O label``; None if not one."""
    s = graph.value(axiom, OWL.annotatedSource)
    p = graph.value(axiom, OWL.annotatedProperty)
    o = graph.value(axiom, OWL.annotatedTarget)
    if s is None or p is None or o is None:
        return None
    return f"{_term_text(graph, s)} \u2014{_term_text(graph, p)}\u2192 {_term_text(graph, o)}"


def path_text(graph: Graph, path: rdflib.term.Node, labels: Graph | None = None) -> tuple[str, str | None]:
    """A SHACL path as (CURIE form, label form); ``labels`` names the properties (default ``graph``).

    Simple paths are the property's CURIE; others are written as in SPARQL property paths:
    ``^p``, ``p/q``, ``p|q``, ``p*``, ``p+``, ``p?``. The label form is None when a property in the
    path has no label.
    """
    labels = graph if labels is None else labels
    if isinstance(path, URIRef):
        return curie(path), label(labels, path)
    if (path, RDF.first, None) in graph:
        parts = [path_text(graph, p, labels) for p in Collection(graph, path)]
        return _join(parts, "/")
    for predicate, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                           (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, predicate)
        if inner is not None:
            text, name = path_text(graph, inner, labels)
            if not isinstance(inner, URIRef):
                text, name = f"({text})", (f"({name})" if name else None)
            return fmt.format(text), (fmt.format(name) if name else None)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return _join([path_text(graph, p, labels) for p in Collection(graph, alternatives)], "|")
    return curie(path), None


def _join(parts: list[tuple[str, str | None]], sep: str) -> tuple[str, str | None]:
    """Join sub-paths with ``sep`` ("/" or "|"), bracketing composite ones."""
    text = sep.join(t if not any(c in t for c in "/|") else f"({t})" for t, _ in parts)
    names = [n for _, n in parts if n]
    return text, (f" {sep} ".join(names) if len(names) == len(parts) else None)


# ---------------------------------------------------------------- results → findings


def _owner(shapes: Graph, shape: rdflib.term.Node) -> rdflib.term.Node:
    """The nearest named shape that ``shape`` (perhaps a blank property shape) belongs to."""
    seen: set[rdflib.term.Node] = set()
    current = shape
    while isinstance(current, BNode) and current not in seen:
        seen.add(current)
        parent = next(shapes.subjects(SH.property, current), None) or next(shapes.subjects(SH.node, current), None)
        if parent is None:
            holder = next(shapes.subjects(RDF.first, current), None)
            while holder is not None and parent is None:  # a member of an sh:or / sh:and list
                parent = next((s for p in (SH["or"], SH["and"], SH.xone) for s in shapes.subjects(p, holder)), None)
                holder = next(shapes.subjects(RDF.rest, holder), None)
        if parent is None:
            break
        current = parent
    return current


def _message(results: Graph, result: rdflib.term.Node) -> str:
    messages = [m for m in results.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    for wanted in ("en", None):
        for m in sorted(messages):
            if (m.language or None) == wanted:
                return str(m)
    return str(sorted(messages)[0]) if messages else "(no message)"


def _location(locations: Mapping[str, str], graph: Graph, focus: rdflib.term.Node) -> str | None:
    if isinstance(focus, BNode):
        subject = graph.value(focus, OWL.annotatedSource)
        if subject is None:
            return None
        focus = subject
    if isinstance(focus, Literal):
        return None
    return locations.get(str(focus)) or locations.get(curie(focus))


def top_level_results(results: Graph) -> list[rdflib.term.Node]:
    """The results of the validation report itself, not the sh:detail results nested in them."""
    reports = list(results.subjects(RDF.type, SH.ValidationReport))
    if not reports:
        return list(results.subjects(RDF.type, SH.ValidationResult))
    return [r for report in reports for r in results.objects(report, SH.result)]


def findings(results: Graph, graph: Graph, shapes: Graph,
             locations: Mapping[str, str] | None = None) -> tuple[Finding, ...]:
    """The validation results in ``results`` as findings, without duplicates, in a stable order."""
    locations = locations or {}
    out: dict[tuple, Finding] = {}
    for result in top_level_results(results):
        focus = results.value(result, SH.focusNode)
        if focus is None:
            continue
        severity_node = results.value(result, SH.resultSeverity)
        severity = str(severity_node).rsplit("#", 1)[-1] if severity_node is not None else "Violation"
        path_node = results.value(result, SH.resultPath)
        path = path_label = None
        if path_node is not None:
            path_graph = results if (path_node, None, None) in results or isinstance(path_node, URIRef) else shapes
            path, path_label = path_text(path_graph, path_node, labels=graph)
        value_node = results.value(result, SH.value)
        source_shape = results.value(result, SH.sourceShape)
        shape = curie(_owner(shapes, source_shape)) if source_shape is not None else "?"
        if isinstance(focus, BNode):
            focus_label = edge_text(graph, focus) or label(graph, focus)
        else:
            focus_label = label(graph, focus)
        value = value_label = None
        if value_node is not None and value_node != focus:  # a node-level check repeats the focus
            value = curie(value_node)
            if isinstance(value_node, BNode):
                value_label = edge_text(graph, value_node) or _term_text(graph, value_node)
                if value_label == value:
                    value_label = None
            else:
                value_label = label(graph, value_node)
        finding = Finding(
            severity=severity, focus=curie(focus), focus_label=focus_label, path=path,
            path_label=path_label, message=_message(results, result), shape=shape, value=value,
            location=_location(locations, graph, focus), value_label=value_label)
        key = (finding.severity, finding.focus, finding.path, finding.value, finding.message,
               str(source_shape) if isinstance(source_shape, URIRef) else finding.shape)
        out.setdefault(key, finding)
    return tuple(sorted(out.values(), key=_order))


def _order(f: Finding) -> tuple:
    return (_SEVERITY_ORDER.get(f.severity, 9), f.location or "\uffff", f.focus_label or "", f.focus,
            f.path or "", f.message, f.value or "")


def validate(graph: Graph, shapes: Graph | None = None, locations: Mapping[str, str] | None = None) -> Report:
    """Validate ``graph`` (the built graph) against ``shapes`` (default: :func:`load_shapes`).

    ``locations`` maps an entity's IRI (or CURIE) to where it is defined in the editors' sources,
    e.g. ``ontology/terms/disorders.tsv:7``; findings on evidence nodes use their subject's entry.
    """
    shapes = load_shapes() if shapes is None else shapes
    conforms, results = run_shacl(graph, shapes)
    return Report(conforms=conforms, findings=findings(results, graph, shapes, locations),
                  shape_count=shape_count(shapes))


# ---------------------------------------------------------------- the text report


def _entity(f: Finding) -> str:
    if f.focus_label and f.focus.startswith("_:"):
        return f"evidence of {f.focus_label} ({f.focus})"
    return f"{f.focus_label} ({f.focus})" if f.focus_label else f.focus


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def format_report(report: Report) -> str:
    """The report as text: one block per finding, then a summary line with the counts."""
    if report.conforms and not report.findings:
        return f"Graph conforms to the shapes ({_plural(report.shape_count, 'shape')})."
    blocks: list[str] = []
    for f in report.findings:
        lines = [f"{f.severity.upper()}: {_entity(f)}"]
        if f.path:
            lines.append(f"  property: {f.path_label} ({f.path})" if f.path_label else f"  property: {f.path}")
        lines.append(f"  problem:  {f.message}")
        if f.value is not None and not (f.value == f.focus and not f.path):
            lines.append(f"  value:    {f.value}" + (f" ({f.value_label})" if f.value_label else ""))
        lines.append(f"  location: {f.location or 'unknown'}")
        lines.append(f"  shape:    {f.shape}")
        blocks.append("\n".join(lines))
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    parts = [_plural(n, severity.lower()) for severity, n in
             sorted(counts.items(), key=lambda kv: _SEVERITY_ORDER.get(kv[0], 9))]
    entities = len({f.focus for f in report.findings})
    verdict = "Graph conforms" if report.conforms else "Graph does not conform"
    summary = (f"{verdict} to the shapes ({_plural(report.shape_count, 'shape')}): "
               f"{', '.join(parts)} on {_plural(entities, 'entity')}.")
    return "\n\n".join(blocks) + "\n\n" + summary
