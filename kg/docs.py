"""HTML documentation of the ontology: one self-contained page, ``index.html``.

:func:`write_docs` takes the built ontology (a Turtle or OWL file, or an rdflib Graph) and writes a
page in the manner of pyLODE: the ontology's metadata, then every class (upper categories first,
then the terms by ID), every object property, the annotation and datatype properties, the
statements and notes, and the sources. Each entity has an anchor named after its ID
(``#OSTEOKG_0000106``, ``#okg_quote``) and shows its labels and definitions in English and Dutch,
synonyms, parents and children, relations (asserted, or inferred and by which rule), domain and
range, inverse, characteristics and cross-references.

Why not pyLODE itself (tried: ``pylode`` 3.4.1 and 3.3.4 on ``build/osteokg.ttl``): 3.4.1 does
not import (it reads a ``pyproject.toml`` that its wheel does not ship, RDFLib/pyLODE#260); 3.3.4
runs but takes about 9 s, leaves files unclosed (ResourceWarnings, which the test suite treats as
errors), does not show ``IAO:0000115`` definitions, runs the English and Dutch labels together in
one heading ("bone scanbotscan"), and anchors entities by label rather than by ID. This generator
is a few hundred lines of rdflib and escaping, and renders the built graph in about 0.2 s.
"""
from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.util import guess_format

from kg.files import write_atomically
from kg.vocab import (DEFINITION, OIO, OKG, ONTOLOGY_IRI, OSTEOKG, SCHEMA, TERM_REPLACED_BY, id_number, is_upper_category,
                      shorten)

_OSTEOKG = str(OSTEOKG)
_LANGS = ("en", "nl")
_LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}
_MATCHES = {SKOS.exactMatch: "exact match", SKOS.closeMatch: "close match", SKOS.broadMatch: "broad match",
            SKOS.narrowMatch: "narrow match", SKOS.relatedMatch: "related match"}
_CHARACTERISTICS = {OWL.TransitiveProperty: "transitive", OWL.SymmetricProperty: "symmetric",
                    OWL.FunctionalProperty: "functional", OWL.InverseFunctionalProperty: "inverse functional",
                    OWL.AsymmetricProperty: "asymmetric", OWL.ReflexiveProperty: "reflexive",
                    OWL.IrreflexiveProperty: "irreflexive"}

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ccc; margin-top: 2em; }
nav ul { columns: 3; font-size: 0.9em; } nav li { break-inside: avoid; }
section.entity { border: 1px solid #ddd; border-radius: 4px; padding: 0.4em 1em; margin: 1em 0; }
section.entity h3 { margin: 0.3em 0; } .curie { font-family: monospace; color: #666; font-weight: normal; font-size: 0.85em; }
table { border-collapse: collapse; } th { text-align: left; vertical-align: top; padding: 0.15em 1em 0.15em 0; white-space: nowrap; color: #555; }
td { padding: 0.15em 0; } .tag { font-size: 0.75em; background: #eef; border-radius: 3px; padding: 0 0.3em; color: #336; }
.lang { font-size: 0.75em; color: #888; } ul.plain { margin: 0; padding-left: 1.2em; }
"""


# ---------------------------------------------------------------- reading the graph


def _load(source: Graph | str | os.PathLike) -> Graph:
    if isinstance(source, Graph):
        return source
    path = Path(source)
    graph = Graph()
    graph.parse(path, format=guess_format(str(path)) or "turtle")
    return graph


def _texts(graph: Graph, node, prop: URIRef, lang: str | None = None) -> list[str]:
    """The literal values of ``prop`` on ``node`` (of language ``lang`` if given), sorted."""
    out = []
    for value in graph.objects(node, prop):
        if isinstance(value, Literal) and (lang is None or (value.language or "").lower() == lang):
            out.append(str(value))
    return sorted(out)


def _label(graph: Graph, node, lang: str = "en") -> str | None:
    for wanted in (lang, "en", None):
        values = _texts(graph, node, RDFS.label, wanted)
        if values:
            return values[0]
    return None


def _anchor(node: URIRef) -> str:
    """The HTML id of an entity: its CURIE with ``_`` for ``:`` (OSTEOKG_0000106, okg_quote)."""
    return shorten(str(node)).replace(":", "_").replace("/", "_").replace("#", "_")


def _osteokg(node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(_OSTEOKG)


def _number(node: URIRef) -> int:
    """The ID number of an osteokg IRI, for sorting (-1 when it has none)."""
    number = id_number(node)
    return -1 if number is None else number


# ---------------------------------------------------------------- rendering


class _Page:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.documented: set[URIRef] = set()
        self.object_properties: list[URIRef] = []

    # -- small pieces

    def link(self, node) -> str:
        """A link to ``node``: in-page when documented here, else to its IRI; restrictions written out."""
        g = self.graph
        if isinstance(node, BNode):
            prop = g.value(node, OWL.onProperty)
            filler = g.value(node, OWL.someValuesFrom)
            if prop is not None and filler is not None:
                return f"{self.link(prop)} <em>some</em> {self.link(filler)}"
            for operator, word in ((OWL.unionOf, "or"), (OWL.intersectionOf, "and")):
                members = g.value(node, operator)
                if members is not None:
                    return f" <em>{word}</em> ".join(self.link(m) for m in Collection(g, members)).join("()")
            return "<em>(anonymous)</em>"
        if isinstance(node, Literal):
            return _esc(str(node))
        label = _label(g, node)
        curie = shorten(str(node))
        text = _esc(label) if label else f'<span class="curie">{_esc(curie)}</span>'
        if node in self.documented:
            return f'<a href="#{_esc(_anchor(node))}" title="{_esc(curie)}">{text}</a>'
        return f'<a href="{_esc(str(node))}" title="{_esc(curie)}">{text if label else _esc(curie)}</a>'

    def lang_values(self, node, prop: URIRef) -> str | None:
        rows = []
        for lang in _LANGS:
            for value in _texts(self.graph, node, prop, lang):
                rows.append(f'<li>{_esc(value)} <span class="lang">{lang}</span></li>')
        others = [v for v in self.graph.objects(node, prop)
                  if isinstance(v, Literal) and (v.language or "").lower() not in _LANGS]
        rows += [f"<li>{_esc(str(v))}</li>" for v in sorted(others)]
        return f'<ul class="plain">{"".join(rows)}</ul>' if rows else None

    def links(self, nodes: Iterable) -> str | None:
        items = sorted(set(nodes), key=lambda n: (_label(self.graph, n) or str(n)).lower() if not isinstance(n, BNode) else "~")
        return ", ".join(self.link(n) for n in items) if items else None

    def mappings(self, node) -> str | None:
        rows = []
        for prop, word in _MATCHES.items():
            for target in sorted(self.graph.objects(node, prop), key=str):
                text = shorten(str(target)) if isinstance(target, URIRef) else str(target)
                href = f' href="{_esc(str(target))}"' if isinstance(target, URIRef) else ""
                rows.append(f'<li>{word}: <a{href}>{_esc(text)}</a></li>')
        return f'<ul class="plain">{"".join(rows)}</ul>' if rows else None

    def relations(self, node) -> str | None:
        """Outgoing relation edges (direct triples, else the asserted restrictions), with how they hold."""
        g = self.graph
        edges: dict[tuple, set[str]] = {}
        for prop in self.object_properties:
            for target in g.objects(node, prop):
                edges.setdefault((prop, target), set())
        for parent in g.objects(node, RDFS.subClassOf):
            on_property, filler = g.value(parent, OWL.onProperty), g.value(parent, OWL.someValuesFrom)
            if isinstance(parent, BNode) and on_property is not None and isinstance(filler, URIRef):
                edges.setdefault((on_property, filler), set())
        if not edges:
            return None
        for axiom in g.subjects(OWL.annotatedSource, node):
            key = (g.value(axiom, OWL.annotatedProperty), g.value(axiom, OWL.annotatedTarget))
            if key in edges:
                if str(g.value(axiom, OKG.inferred)).lower() == "true":
                    edges[key].add(f"inferred: {g.value(axiom, OKG.inferenceRule) or '?'}")
                else:
                    source = g.value(axiom, DCTERMS.source)
                    edges[key].add("asserted" + (f" ({shorten(str(source))})" if source is not None else ""))
        rows = []
        for (prop, target), how in sorted(edges.items(), key=lambda kv: (_label(g, kv[0][0]) or "", _label(g, kv[0][1]) or "")):
            asserted = sorted(h for h in how if h.startswith("asserted"))
            note = asserted[0] if asserted else (sorted(how)[0] if how else "")
            tag = f' <span class="tag">{_esc(note)}</span>' if note else ""
            rows.append(f"<li>{self.link(prop)} {self.link(target)}{tag}</li>")
        return f'<ul class="plain">{"".join(rows)}</ul>'

    def table(self, rows: list[tuple[str, str | None]]) -> str:
        body = "".join(f"<tr><th>{_esc(name)}</th><td>{value}</td></tr>" for name, value in rows if value)
        return f"<table>{body}</table>"

    def entity(self, node: URIRef, kind: str, rows: list[tuple[str, str | None]]) -> str:
        g = self.graph
        en, nl = _label(g, node, "en"), _texts(g, node, RDFS.label, "nl")
        title = _esc(en or shorten(str(node)))
        if nl and nl[0] != en:
            title += f' / <span lang="nl">{_esc(nl[0])}</span>'
        head = (f'<h3>{title} <span class="curie">{_esc(shorten(str(node)))}</span> '
                f'<span class="tag">{_esc(kind)}</span></h3>')
        common = [("IRI", f'<a href="{_esc(str(node))}">{_esc(str(node))}</a>'),
                  ("label", self.lang_values(node, RDFS.label)),
                  ("definition", self.lang_values(node, DEFINITION)),
                  ("description", self.lang_values(node, DCTERMS.description)),
                  ("comment", self.lang_values(node, RDFS.comment))]
        deprecated = g.value(node, OWL.deprecated)
        if deprecated is not None and str(deprecated).lower() == "true":
            replaced = g.value(node, TERM_REPLACED_BY)
            common.append(("deprecated", "yes" + (f"; replaced by {self.link(replaced)}" if replaced is not None else "")))
        return (f'<section class="entity" id="{_esc(_anchor(node))}">{head}'
                f"{self.table(common + rows)}</section>")

    # -- sections

    def class_block(self, node: URIRef) -> str:
        g = self.graph
        parents = [p for p in g.objects(node, RDFS.subClassOf) if isinstance(p, URIRef) and p != node]
        children = [c for c in g.subjects(RDFS.subClassOf, node) if isinstance(c, URIRef) and c != node]
        equivalent = [e for e in g.objects(node, OWL.equivalentClass)]
        disjoint = list(g.objects(node, OWL.disjointWith))
        uppers = sorted({a for a in self.ancestors(node) if is_upper_category(a) and a != node},
                        key=_number)
        rows = [("exact synonyms", self.lang_values(node, OIO.hasExactSynonym)),
                ("broad synonyms", self.lang_values(node, OIO.hasBroadSynonym)),
                ("narrow synonyms", self.lang_values(node, OIO.hasNarrowSynonym)),
                ("related synonyms", self.lang_values(node, OIO.hasRelatedSynonym)),
                ("categories", self.links(uppers)),
                ("parents", self.links(parents)),
                ("equivalent to", " ; ".join(self.link(e) for e in equivalent) or None),
                ("children", self.links(children)),
                ("disjoint with", self.links(disjoint)),
                ("relations", self.relations(node)),
                ("mappings", self.mappings(node))]
        return self.entity(node, "class", rows)

    def property_block(self, node: URIRef, kind: str) -> str:
        g = self.graph
        chains = [" \u2218 ".join(self.link(p) for p in Collection(g, chain))
                  for chain in g.objects(node, OWL.propertyChainAxiom)]
        inverse = list(g.objects(node, OWL.inverseOf)) + list(g.subjects(OWL.inverseOf, node))
        rows = [("characteristics", ", ".join(sorted(w for t, w in _CHARACTERISTICS.items() if (node, RDF.type, t) in g)) or None),
                ("sub-property of", self.links(g.objects(node, RDFS.subPropertyOf))),
                ("super-property of", self.links(g.subjects(RDFS.subPropertyOf, node))),
                ("inverse of", self.links(inverse)),
                ("domain", " ; ".join(self.link(d) for d in g.objects(node, RDFS.domain)) or None),
                ("range", " ; ".join(self.link(r) for r in g.objects(node, RDFS.range)) or None),
                ("property chain", "<br/>".join(chains) or None),
                ("mappings", self.mappings(node))]
        return self.entity(node, kind, rows)

    def individual_block(self, node: URIRef) -> str:
        g = self.graph
        types = [t for t in g.objects(node, RDF.type) if t != OWL.NamedIndividual]
        values = []
        for prop, obj in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
            if prop in (RDF.type, RDFS.label, DEFINITION, DCTERMS.description, RDFS.comment) or \
                    not (str(prop).startswith(str(OKG)) or prop in (DCTERMS.source, DCTERMS.title, DCTERMS.publisher,
                                                                  DCTERMS.date, DCTERMS.language, DCTERMS.references,
                                                                  SCHEMA.url, DCTERMS.spatial)):
                continue
            lang = f' <span class="lang">{_esc(obj.language)}</span>' if isinstance(obj, Literal) and obj.language else ""
            shown = self.link(obj) if isinstance(obj, URIRef) else _esc(str(obj))
            values.append(f"<li>{self.link(prop)}: {shown}{lang}</li>")
        rows = [("type", self.links(types)), ("values", f'<ul class="plain">{"".join(values)}</ul>' if values else None)]
        return self.entity(node, "individual", rows)

    def ancestors(self, node: URIRef) -> set:
        seen, todo = set(), [node]
        while todo:
            for parent in self.graph.objects(todo.pop(), RDFS.subClassOf):
                if isinstance(parent, URIRef) and parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def render(self) -> str:
        g = self.graph
        ontologies = sorted(o for o in g.subjects(RDF.type, OWL.Ontology) if isinstance(o, URIRef))
        ontology = URIRef(ONTOLOGY_IRI) if URIRef(ONTOLOGY_IRI) in ontologies else (ontologies[0] if ontologies else None)

        def ours(kind: URIRef) -> list[URIRef]:
            found = {s for s in g.subjects(RDF.type, kind) if isinstance(s, URIRef)}
            return sorted(found, key=lambda n: (not _osteokg(n), _number(n) if _osteokg(n) else 0, shorten(str(n))))

        classes = [c for c in ours(OWL.Class) if _osteokg(c)]
        uppers = [c for c in classes if is_upper_category(c)]
        terms = [c for c in classes if not is_upper_category(c)]
        self.object_properties = ours(OWL.ObjectProperty)
        annotations = ours(OWL.AnnotationProperty)
        datatypes = ours(OWL.DatatypeProperty)
        individuals = [i for i in ours(OWL.NamedIndividual) if _osteokg(i)]
        sources = [i for i in individuals if (i, RDF.type, DCTERMS.BibliographicResource) in g]
        statements = [i for i in individuals if i not in sources]
        sections = [("upper-categories", "Upper categories", uppers, self.class_block),
                    ("terms", "Terms", terms, self.class_block),
                    ("object-properties", "Relations (object properties)", self.object_properties,
                     lambda n: self.property_block(n, "object property")),
                    ("annotation-properties", "Annotation properties", annotations,
                     lambda n: self.property_block(n, "annotation property")),
                    ("datatype-properties", "Datatype properties", datatypes,
                     lambda n: self.property_block(n, "datatype property")),
                    ("statements", "Statements and clinical notes", statements, self.individual_block),
                    ("sources", "Sources", sources, self.individual_block)]
        self.documented = {n for _, _, nodes, _ in sections for n in nodes}

        titles = _texts(g, ontology, DCTERMS.title, "en") if ontology is not None else []
        title = (titles[0] if titles else None) or "osteokg"
        meta = []
        if ontology is not None:
            meta = [("ontology IRI", f'<a href="{_esc(str(ontology))}">{_esc(str(ontology))}</a>'),
                    ("version IRI", self.links(g.objects(ontology, OWL.versionIRI))),
                    ("version", ", ".join(_esc(v) for v in _texts(g, ontology, OWL.versionInfo)) or None),
                    ("title", self.lang_values(ontology, DCTERMS.title)),
                    ("description", self.lang_values(ontology, DCTERMS.description)),
                    ("license", self.links(g.objects(ontology, DCTERMS.license))),
                    ("sources", self.links(g.objects(ontology, DCTERMS.source)))]
        nav = []
        body = []
        for anchor, heading, nodes, block in sections:
            if not nodes:
                continue
            nav.append(f'<li><a href="#{anchor}">{_esc(heading)}</a> ({len(nodes)})</li>')
            entries = "".join(f'<li><a href="#{_esc(_anchor(n))}">{_esc(_label(g, n) or shorten(str(n)))}</a></li>'
                              for n in nodes)
            body.append(f'<h2 id="{anchor}">{_esc(heading)}</h2><nav><ul>{entries}</ul></nav>'
                        + "".join(block(n) for n in nodes))
        return ("<!DOCTYPE html>\n"
                f'<html lang="en"><head><meta charset="utf-8"/><title>{_esc(title)}</title>'
                f'<meta name="viewport" content="width=device-width, initial-scale=1"/>'
                f"<style>{_CSS}</style></head><body>"
                f"<header><h1>{_esc(title)}</h1>{self.table(meta)}</header>"
                f'<nav id="contents"><h2>Contents</h2><ul>{"".join(nav)}</ul></nav>'
                f"<main>{''.join(body)}</main>"
                "<footer><p>Generated from the built ontology by <code>kg/docs.py</code>; "
                "edit <code>ontology/</code>, not this page.</p></footer>"
                "</body></html>\n")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(source: Graph | str | os.PathLike) -> str:
    """The documentation page of ``source`` (a Graph, or a Turtle/OWL/any rdflib-readable file)."""
    return _Page(_load(source)).render()


def write_docs(source: Graph | str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Write the documentation of ``source`` to ``out_dir/index.html`` (atomically); return its path."""
    text = render_html(source)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    write_atomically({target: text})
    return target


__all__ = ["render_html", "write_docs"]
