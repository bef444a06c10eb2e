"""Exports of the built graph for other tools: an SSSOM mapping set and KGX TSV files.

:func:`write_sssom` writes every ``skos:exactMatch`` / ``closeMatch`` / ``broadMatch`` /
``narrowMatch`` / ``relatedMatch`` of an osteokg entity (terms, upper categories, relations) as an
SSSOM TSV mapping set: the metadata block (``curie_map``, ``mapping_set_id``,
``mapping_set_version`` from ``owl:versionInfo``, ``license`` from ``dcterms:license``, …) as
``#``-prefixed YAML lines, then one row per mapping, justified ``semapv:ManualMappingCuration``
(every mapping is written by an editor). A mapping marked unconfirmed (see :mod:`kg.report`) gets
the comment ``unconfirmed``.

:func:`write_kgx` writes the graph as KGX TSV (``osteokg_nodes.tsv``, ``osteokg_edges.tsv``) for
Biolink-based tools:

- nodes are the terms (and any other osteokg class an edge touches); ``category`` is the Biolink
  classes that the term's upper categories (it and its ancestors below 0000100) match with
  ``skos:exactMatch``, ``closeMatch`` or ``broadMatch`` (a broad match names a broader Biolink
  class, which still holds); ``name`` and ``description`` are English, ``synonym`` holds the Dutch
  label and every synonym, ``xref`` every skos match outside Biolink;
- edges are the relation edges, one row per Biolink triple (KGX keys an edge by subject,
  predicate and object): the Biolink ``predicate`` the relation matches exactly — else closely,
  else broadly (a narrow match would claim more than the relation says), else
  ``biolink:related_to`` —, the osteokg property in ``relation`` and ``original_predicate``, the
  sources in ``publications``, the verbatim quotes in ``supporting_text`` (Biolink's slot for
  the text that supports an assertion), ``knowledge_level``/``agent_type`` (a quote or a cited
  title: knowledge_assertion by a manual_agent; an editor's combined reading of two passages:
  prediction; what the build derived: logical_entailment by an automated_agent — a row merged from
  several evidence nodes takes the weakest: any prediction makes it a prediction), and the
  qualifiers: a context that is a disorder in ``disease_context_qualifier``, an anatomical site in
  ``anatomical_context_qualifier`` (Biolink's slots); the rest in ``osteokg_`` columns, which
  Biolink has no slot for — ``osteokg_strength`` (how strongly the source says it: okg:can …
  okg:defining; Biolink's ``frequency_qualifier`` takes a rate per unit of time — its range
  ``frequency value`` is UO:0000105 — and only variant-to-population associations use it), ``osteokg_condition`` / ``osteokg_condition_text``, ``osteokg_context``,
  ``osteokg_in_combination_with``, ``osteokg_quantified_by`` (the statements with the numbers),
  ``osteokg_evidence_kind``, ``osteokg_review_status``, ``osteokg_inferred`` (false when any
  evidence was asserted) and ``osteokg_inference_rule``. A merged row says what its strongest
  evidence says (see :func:`_qualifier_cells`). When two relations become
  the same Biolink triple, the more specific one is kept (``has adverse effect``, not the
  ``causes`` the build derives from it). Edges the build derived only as the
  inverse of another edge are left out (they repeat it in the other direction; Biolink tools read
  predicates in their canonical direction) unless ``include_inverse=True``. The hierarchy between
  terms is added as ``biolink:subclass_of`` edges (the editors' parents and the reasoner's, not
  the transitive closure).

Both compute everything in memory first and raise ValueError (writing nothing) when the graph
cannot be exported faithfully (a mapping to an unknown namespace or a literal, an edge without
evidence, a ``|`` inside a multi-valued KGX cell); files are written to a temporary name and
renamed into place.
"""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.files import write_atomically
from kg.vocab import (ANATOMICAL_SITE, BIOLINK, DEFINITION, DISORDER, OIO, OKG, ONTOLOGY_IRI, OSTEOKG, PREFIXES, prefixes,
                      is_upper_category, shorten)

#: the SSSOM mapping set's identifier (where the release publishes it)
MAPPING_SET_ID = "https://w3id.org/osteokg/osteokg.sssom.tsv"
#: the information resource osteokg is in the Biolink / Translator sense
INFORES = "infores:osteokg"
#: KGX file names
KGX_NODES = "osteokg_nodes.tsv"
KGX_EDGES = "osteokg_edges.tsv"

MATCH_PROPERTIES: dict[URIRef, str] = {
    SKOS.exactMatch: "skos:exactMatch",
    SKOS.closeMatch: "skos:closeMatch",
    SKOS.broadMatch: "skos:broadMatch",
    SKOS.narrowMatch: "skos:narrowMatch",
    SKOS.relatedMatch: "skos:relatedMatch",
}
#: matches whose Biolink target may stand for an osteokg category or relation, most precise first
USABLE_MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)

SSSOM_COLUMNS = ("subject_id", "subject_label", "subject_type", "predicate_id", "object_id", "object_label",
                 "mapping_justification")
NODE_COLUMNS = ("id", "category", "name", "description", "xref", "synonym", "provided_by", "iri")
EDGE_COLUMNS = ("id", "subject", "predicate", "object", "relation", "original_predicate", "knowledge_level",
                "agent_type", "primary_knowledge_source", "publications", "supporting_text",
                "disease_context_qualifier", "anatomical_context_qualifier",
                "osteokg_inferred", "osteokg_inference_rule", "osteokg_strength", "osteokg_evidence_kind",
                "osteokg_review_status", "osteokg_condition", "osteokg_condition_text", "osteokg_context",
                "osteokg_in_combination_with", "osteokg_quantified_by")
#: the strengths, strongest first, where the graph gives no okg:strengthOrder
STRENGTH_NAMES = ("defining", "main", "most", "often", "proportion", "generally", "can")

_OSTEOKG = str(OSTEOKG)
_BIOLINK = str(BIOLINK)


# ---------------------------------------------------------------- helpers


def _is_osteokg(node: object) -> TypeGuard[URIRef]:
    return isinstance(node, URIRef) and str(node).startswith(_OSTEOKG)


def _text(value: str) -> str:
    """A cell: whitespace (tabs, line breaks) collapsed to single spaces."""
    return " ".join(str(value).split())


def _literal(graph: Graph, node, prop: URIRef, lang: str) -> str | None:
    values = sorted(str(o) for o in graph.objects(node, prop)
                    if isinstance(o, Literal) and (o.language or "").lower() == lang)
    return values[0] if values else None


def _curie(node, what: str) -> str:
    """The CURIE of an IRI under a known prefix; ValueError (naming ``what``) otherwise."""
    if not isinstance(node, URIRef):
        raise ValueError(f"{what}: {node!r} is not an IRI")
    text = shorten(str(node))
    if text == str(node) or not text.split(":", 1)[1]:
        raise ValueError(f"{what}: {node} is not in a known namespace (kg.vocab.PREFIXES)")
    return text


def biolink_name(iri: str) -> str:
    """A Biolink element's name from its IRI: ``causes`` → ``causes``, ``has_phenotype`` →
    ``has phenotype``, ``PhenotypicFeature`` → ``phenotypic feature`` (Biolink's own naming rule)."""
    local = iri[len(_BIOLINK):]
    if local[:1].isupper():
        return re.sub(r"(?<!^)(?=[A-Z])", " ", local).lower()
    return local.replace("_", " ")


def _tsv(columns: Iterable[str], rows: Iterable[dict[str, str]]) -> str:
    columns = list(columns)
    lines = ["\t".join(columns)]
    for row in rows:
        lines.append("\t".join(_text(row.get(c, "")) for c in columns))
    return "\n".join(lines) + "\n"


def _ontology(graph: Graph) -> URIRef:
    declared = [o for o in graph.subjects(RDF.type, OWL.Ontology) if isinstance(o, URIRef)]
    return URIRef(ONTOLOGY_IRI) if URIRef(ONTOLOGY_IRI) in declared or not declared else sorted(declared)[0]


def _unconfirmed(graph: Graph) -> set[tuple]:
    """(subject, match property, object) of mappings marked ``okg:confirmed false``."""
    out = set()
    for axiom in graph.subjects(OKG.confirmed, None):
        if str(graph.value(axiom, OKG.confirmed)).lower() not in ("false", "0"):
            continue
        out.add((graph.value(axiom, OWL.annotatedSource), graph.value(axiom, OWL.annotatedProperty),
                 graph.value(axiom, OWL.annotatedTarget)))
    return out


# ---------------------------------------------------------------- SSSOM


def sssom_text(graph: Graph) -> str:
    """The SSSOM TSV (metadata block and rows) for ``graph``'s mappings; ValueError if one cannot be written."""
    unconfirmed = _unconfirmed(graph)
    rows: list[dict[str, str]] = []
    problems: list[str] = []
    for prop, predicate in MATCH_PROPERTIES.items():
        for subject, target in graph.subject_objects(prop):
            if not _is_osteokg(subject):
                continue
            try:
                object_id = _curie(target, f"{shorten(str(subject))} {predicate}")
            except ValueError as exc:
                problems.append(str(exc))
                continue
            object_label = (_literal(graph, target, RDFS.label, "en")  # a code's official label (kg/codes.py)
                            or _literal(graph, target, SKOS.prefLabel, "en") or "")
            if (subject, RDF.type, OWL.ObjectProperty) in graph:
                subject_type = "owl object property"
            elif (subject, RDF.type, OWL.Class) in graph:
                subject_type = "owl class"
            else:
                subject_type = "owl named individual"
            row = {
                "subject_id": shorten(str(subject)),
                "subject_label": _literal(graph, subject, RDFS.label, "en") or "",
                "subject_type": subject_type,
                "predicate_id": predicate,
                "object_id": object_id,
                "object_label": object_label,
                "mapping_justification": "semapv:ManualMappingCuration",
            }
            if (subject, prop, target) in unconfirmed:
                row["comment"] = "unconfirmed"
            rows.append(row)
    if problems:
        raise ValueError("cannot write the SSSOM mapping set:\n  " + "\n  ".join(sorted(problems)))
    rows.sort(key=lambda r: (r["subject_id"], r["predicate_id"], r["object_id"]))

    used = {r[c].split(":", 1)[0] for r in rows for c in ("subject_id", "predicate_id", "object_id",
                                                          "mapping_justification")}
    curie_map = prefixes(*sorted(used | {"OSTEOKG", "skos", "semapv"}, key=str.lower))

    ontology = _ontology(graph)
    metadata: list[tuple[str, object]] = [("curie_map", curie_map), ("mapping_set_id", MAPPING_SET_ID)]
    version = graph.value(ontology, OWL.versionInfo)
    if version is not None:
        metadata.append(("mapping_set_version", str(version)))
    title = _literal(graph, ontology, DCTERMS.title, "en")
    metadata.append(("mapping_set_title", f"{title}: mappings" if title else "osteokg mappings"))
    metadata.append(("mapping_set_description", "The cross-references of the osteokg terms, upper categories and "
                     "relations to other terminologies and to Biolink, as the editors wrote them."))
    license_ = graph.value(ontology, DCTERMS.license)
    if license_ is not None:
        metadata.append(("license", str(license_)))
    metadata.append(("mapping_tool", "osteokg build"))

    header: list[str] = []
    for key, value in metadata:
        if isinstance(value, dict):
            header.append(f"#{key}:")
            header.extend(f"#  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
        else:
            header.append(f"#{key}: {json.dumps(value, ensure_ascii=False)}")
    columns = list(SSSOM_COLUMNS) + (["comment"] if any("comment" in r for r in rows) else [])
    return "\n".join(header) + "\n" + _tsv(columns, rows)


def write_sssom(graph: Graph, path: Path) -> Path:
    """Write ``graph``'s mappings as an SSSOM TSV file at ``path``; nothing is written on error."""
    path = Path(path)
    text = sssom_text(graph)
    write_atomically({path: text})
    return path


# ---------------------------------------------------------------- KGX


def _biolink_targets(graph: Graph, node: URIRef) -> list[str]:
    """The Biolink IRIs ``node`` matches: its exact matches, else close, else broad ones."""
    for prop in USABLE_MATCHES:
        targets = sorted(str(o) for o in graph.objects(node, prop)
                         if isinstance(o, URIRef) and str(o).startswith(_BIOLINK))
        if targets:
            return targets
    return []


def _ancestors(graph: Graph, node: URIRef) -> set[URIRef]:
    """``node`` and every named class above it."""
    seen = {node}
    todo = [node]
    while todo:
        current = todo.pop()
        for parent in graph.objects(current, RDFS.subClassOf):
            if isinstance(parent, URIRef) and parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def categories(graph: Graph, node: URIRef) -> list[str]:
    """The Biolink categories (CURIEs) of a class, from its upper categories' mappings."""
    uppers = sorted(a for a in _ancestors(graph, node) if is_upper_category(a))
    out: list[str] = []
    for upper in uppers:
        for target in _biolink_targets(graph, upper):
            curie = shorten(target)
            if curie not in out:
                out.append(curie)
    return out


def _multi(values: Iterable[str], what: str) -> str:
    values = [_text(v) for v in values]
    for v in values:
        if "|" in v:
            raise ValueError(f"{what}: {v!r} contains '|', the KGX list separator")
    return "|".join(dict.fromkeys(v for v in values if v))


def _node_row(graph: Graph, node: URIRef) -> dict[str, str]:
    name = shorten(str(node))
    category = categories(graph, node)
    if not category:
        raise ValueError(f"{name} has no upper category mapped to a Biolink category")
    synonyms = [s for s in [_literal(graph, node, RDFS.label, "nl")] if s]
    for prop in (OIO.hasExactSynonym, OIO.hasRelatedSynonym):
        synonyms += sorted(str(o) for o in graph.objects(node, prop) if isinstance(o, Literal))
    xrefs = sorted(_curie(o, f"{name} xref") for p in MATCH_PROPERTIES for o in graph.objects(node, p)
                   if not str(o).startswith(_BIOLINK))  # Biolink matches are the category
    return {
        "id": name,
        "category": _multi(category, f"{name} category"),
        "name": _literal(graph, node, RDFS.label, "en") or "",
        "description": _literal(graph, node, DEFINITION, "en") or "",
        "xref": _multi(xrefs, f"{name} xref"),
        "synonym": _multi(synonyms, f"{name} synonym"),
        "provided_by": INFORES,
        "iri": str(node),
    }


def _super_properties(graph: Graph, prop: URIRef) -> set[URIRef]:
    """Every property above ``prop`` (rdfs:subPropertyOf, transitively), not ``prop`` itself."""
    seen: set[URIRef] = set()
    todo = [prop]
    while todo:
        for parent in graph.objects(todo.pop(), RDFS.subPropertyOf):
            if isinstance(parent, URIRef) and parent not in seen and parent != prop:
                seen.add(parent)
                todo.append(parent)
    return seen


def _edge_id(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '|'.join(parts))}"


def _evidence(graph: Graph) -> dict[tuple, list[BNode]]:
    out: dict[tuple, list] = {}
    for axiom in graph.subjects(RDF.type, OWL.Axiom):
        key = (graph.value(axiom, OWL.annotatedSource), graph.value(axiom, OWL.annotatedProperty),
               graph.value(axiom, OWL.annotatedTarget))
        out.setdefault(key, []).append(axiom)
    return out


@dataclass(frozen=True)
class _Piece:
    """One evidence node of a relation edge, as the KGX row needs it."""

    source: str
    quote: str
    inferred: bool
    rule: str
    strength: str = ""  # CURIE, okg:…
    kind: str = ""  # CURIE, okg:…
    review: str = ""
    condition: tuple[str, ...] = ()
    condition_text: tuple[str, ...] = ()  # English
    context: tuple[URIRef, ...] = ()
    combined: tuple[str, ...] = ()
    quantified: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        """Biolink knowledge level: an editor's combined reading is a prediction (also what the build
        derives from it: an entailment is no surer than its premise), a quote or cited title a
        knowledge assertion, what the build derives a logical entailment."""
        if self.kind == "okg:combinedReading":
            return "prediction"
        return "logical_entailment" if self.inferred else "knowledge_assertion"


#: a row's knowledge level is its weakest evidence's
_LEVELS = ("prediction", "knowledge_assertion", "logical_entailment")


def _piece(graph: Graph, axiom, source, quote, inferred: bool, rule: str) -> _Piece:
    def curies(prop: URIRef) -> tuple[str, ...]:
        return tuple(sorted(_curie(o, f"{prop} of an evidence node") for o in graph.objects(axiom, prop)))

    def one(prop: URIRef) -> str:
        value = graph.value(axiom, prop)
        return "" if value is None else (shorten(str(value)) if isinstance(value, URIRef) else str(value))

    return _Piece(shorten(str(source)), str(quote), inferred, rule, strength=one(OKG.strength),
                  kind=one(OKG.evidenceKind), review=one(OKG.reviewStatus), condition=curies(OKG.condition),
                  condition_text=tuple(sorted(str(o) for o in graph.objects(axiom, OKG.conditionText)
                                              if isinstance(o, Literal) and (o.language or "en").lower().startswith("en"))),
                  context=tuple(sorted(o for o in graph.objects(axiom, OKG.context) if isinstance(o, URIRef))),
                  combined=curies(OKG.inCombinationWith), quantified=curies(OKG.quantifiedBy))


def _strength_order(graph: Graph) -> dict[str, int]:
    """Strength CURIE → okg:strengthOrder (1 the strongest)."""
    order = {f"okg:{name}": rank for rank, name in enumerate(STRENGTH_NAMES, 1)}
    for strength, value in graph.subject_objects(OKG.strengthOrder):
        if isinstance(value, Literal) and str(value).isdigit():
            order[shorten(str(strength))] = int(str(value))
    return order


def _qualifier_cells(graph: Graph, pieces: list[_Piece], order: dict[str, int], what: str) -> dict[str, str]:
    """The qualifier columns of one KGX row merged from ``pieces``.

    The row says what its strongest evidence says: the strongest strength (lowest okg:strengthOrder),
    with every condition, context and in-combination that an evidence node of that strength gives
    (each only narrows the claim, so the row never says more than its evidence). Evidence kinds and
    quantitative statements are listed from every piece; the review status is ``accepted`` only when
    every piece is. A context that is a disorder is Biolink's disease_context_qualifier (one value; with
    more they stay in osteokg_context), an anatomical site its anatomical_context_qualifier, anything
    else osteokg_context.
    """
    ranked = [p for p in pieces if p.strength]
    best = min((order.get(p.strength, len(order) + 1) for p in ranked), default=None)
    strongest = [p for p in ranked if order.get(p.strength, len(order) + 1) == best] or pieces
    contexts = sorted({c for p in strongest for c in p.context})
    disorders = [c for c in contexts if DISORDER in _ancestors(graph, c)]
    sites = [c for c in contexts if c not in disorders and ANATOMICAL_SITE in _ancestors(graph, c)]
    others = [c for c in contexts if c not in sites and (c not in disorders or len(disorders) > 1)]
    reviews = {p.review for p in pieces}
    return {
        "disease_context_qualifier": shorten(str(disorders[0])) if len(disorders) == 1 else "",
        "anatomical_context_qualifier": _multi([shorten(str(c)) for c in sites], f"{what} context"),
        "osteokg_strength": strongest[0].strength if ranked else "",
        "osteokg_evidence_kind": _multi(sorted({p.kind for p in pieces}), f"{what} evidence kind"),
        "osteokg_review_status": ("accepted" if reviews == {"accepted"} else "unreviewed") if reviews - {""} else "",
        "osteokg_condition": _multi(sorted({c for p in strongest for c in p.condition}), f"{what} condition"),
        "osteokg_condition_text": _multi(sorted({c for p in strongest for c in p.condition_text}), f"{what} condition text"),
        "osteokg_context": _multi([shorten(str(c)) for c in others], f"{what} context"),
        "osteokg_in_combination_with": _multi(sorted({c for p in strongest for c in p.combined}), f"{what} in combination with"),
        "osteokg_quantified_by": _multi(sorted({q for p in pieces for q in p.quantified}), f"{what} quantified by"),
    }


def kgx_tables(graph: Graph, include_inverse: bool = False) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The KGX node and edge rows of ``graph``; ValueError if it cannot be exported faithfully."""
    relations = sorted(p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if _is_osteokg(p))
    predicates: dict[URIRef, str] = {}
    for prop in relations:
        targets = _biolink_targets(graph, prop)
        predicates[prop] = shorten(targets[0] if targets else BIOLINK.related_to)
    evidence = _evidence(graph)
    order = _strength_order(graph)

    # every relation edge S P O with its distinct evidence, grouped by the Biolink triple it becomes
    groups: dict[tuple[str, str, str], dict[URIRef, dict[_Piece, None]]] = {}
    problems: list[str] = []
    for prop in relations:
        # rdflib orders nodes by kind, then text: the osteokg pairs keep the order they had among all pairs
        for subject, target in sorted((s, o) for s, o in graph.subject_objects(prop) if _is_osteokg(s) and _is_osteokg(o)):
            pieces: dict[_Piece, None] = {}
            has_evidence = False
            for axiom in evidence.get((subject, prop, target), []):
                source = graph.value(axiom, DCTERMS.source)
                quote = graph.value(axiom, OKG.quote)
                if source is None or quote is None:
                    continue
                has_evidence = True
                inferred = str(graph.value(axiom, OKG.inferred)).lower() in ("true", "1")
                rule = str(graph.value(axiom, OKG.inferenceRule) or "") if inferred else ""
                if rule == "inverse" and not include_inverse:
                    continue
                try:
                    pieces[_piece(graph, axiom, source, quote, inferred, rule)] = None
                except ValueError as exc:
                    problems.append(f"{shorten(str(subject))} {shorten(str(prop))} {shorten(str(target))}: {exc}")
            if not has_evidence:
                problems.append(f"{shorten(str(subject))} {shorten(str(prop))} {shorten(str(target))}: "
                                "no evidence (source and quote)")
            elif pieces:  # else: only the inverse of another edge
                key = (shorten(str(subject)), predicates[prop], shorten(str(target)))
                groups.setdefault(key, {}).setdefault(prop, {}).update(pieces)
    if problems:
        raise ValueError("cannot write KGX:\n  " + "\n  ".join(problems))

    edges: list[dict[str, str]] = []
    for (s, predicate, o), by_relation in sorted(groups.items()):
        # Two relations that become the same Biolink triple: keep the most specific (has outcome,
        # not the can cause it implies); KGX keys an edge by subject, predicate and object.
        kept = sorted(r for r in by_relation
                      if not any(other != r and r in _super_properties(graph, other) for other in by_relation))
        merged = sorted({piece for r in kept for piece in by_relation[r]},
                        key=lambda k: (k.inferred, k.rule, k.source, k.quote, k.strength))
        inferred = all(piece.inferred for piece in merged)
        level = min((piece.level for piece in merged), key=_LEVELS.index)
        what = f"{s} {predicate} {o}"
        relation = _multi([shorten(str(r)) for r in kept], f"{what} relation")
        edges.append({
            "id": _edge_id(s, predicate, o), "subject": s, "predicate": predicate, "object": o,
            "relation": relation, "original_predicate": relation,
            "knowledge_level": level,
            "agent_type": "manual_agent" if any(not p.inferred for p in merged if p.level == level) else "automated_agent",
            "primary_knowledge_source": INFORES,
            "publications": _multi(sorted({piece.source for piece in merged}), f"{what} source"),
            "supporting_text": _multi([piece.quote for piece in merged], f"{what} quote"),
            "osteokg_inferred": "true" if inferred else "false",
            "osteokg_inference_rule": _multi(sorted({piece.rule for piece in merged}) if inferred else [], f"{what} rule"),
            **_qualifier_cells(graph, merged, order, what),
        })

    terms = {c for c in graph.subjects(RDF.type, OWL.Class) if _is_osteokg(c) and not is_upper_category(c)}
    for child, parent in sorted(graph.subject_objects(RDFS.subClassOf)):
        if child not in terms or parent not in terms or child == parent:
            continue
        annotations = evidence.get((child, RDFS.subClassOf, parent), [])
        rules = {str(graph.value(a, OKG.inferenceRule) or "") for a in annotations}
        if "transitivity" in rules:
            continue  # a link of the closed hierarchy: implied by the others
        inferred = "reasoner" in rules
        s, o = shorten(str(child)), shorten(str(parent))
        edges.append({
            "id": _edge_id(s, "rdfs:subClassOf", o), "subject": s, "predicate": shorten(BIOLINK.subclass_of), "object": o,
            "relation": "rdfs:subClassOf", "original_predicate": "rdfs:subClassOf",
            "knowledge_level": "logical_entailment" if inferred else "knowledge_assertion",
            "agent_type": "automated_agent" if inferred else "manual_agent",
            "primary_knowledge_source": INFORES,
            "osteokg_inferred": "true" if inferred else "false", "osteokg_inference_rule": "reasoner" if inferred else "",
        })

    endpoints = {URIRef(PREFIXES["OSTEOKG"] + e[k].split(":", 1)[1]) for e in edges for k in ("subject", "object")}
    nodes = [_node_row(graph, n) for n in sorted(terms | endpoints)]
    edges.sort(key=lambda e: (e["subject"], e["relation"], e["object"], e["osteokg_inferred"],
                              e["osteokg_inference_rule"], e["id"]))
    return nodes, edges


def write_kgx(graph: Graph, folder: Path, include_inverse: bool = False) -> list[Path]:
    """Write ``osteokg_nodes.tsv`` and ``osteokg_edges.tsv`` into ``folder``; nothing is written on error."""
    folder = Path(folder)
    nodes, edges = kgx_tables(graph, include_inverse)
    return write_atomically({folder / KGX_NODES: _tsv(NODE_COLUMNS, nodes),
                          folder / KGX_EDGES: _tsv(EDGE_COLUMNS, edges)})


__all__ = ["EDGE_COLUMNS", "INFORES", "KGX_EDGES", "KGX_NODES", "MAPPING_SET_ID", "NODE_COLUMNS", "SSSOM_COLUMNS",
           "biolink_name", "categories", "kgx_tables", "sssom_text", "write_kgx", "write_sssom"]
