"""Turning the editors' sources (the schema Turtle and the TSV tables) into one asserted OWL graph.

Terms become OWL classes with labels, definitions, synonyms and parents; relation rows become
existential restrictions (``S SubClassOf P some O``) annotated with their source and quote;
statement and note rows become individuals with typed values. Every IRI that a row names is
resolved against the IDs and English labels of the whole ontology, so a misspelt reference
fails the build with the table, line and column named.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from kg.tables import (
    CURIE_ID, DEF_EN, DEF_NL, LABEL_EN, LABEL_NL, NOTES, RELATIONS, STATEMENTS, TERMS, Row, TableError,
    read_table,
)
from kg.vocab import CLINICAL_NOTE, DEFINITION, OKG, OSTEOKG, QUANTITATIVE_STATEMENT, expand

SCHEMA_FILE = "osteokg-schema.ttl"
TERM_DIR = "terms"
#: ID ranges per term table (inclusive), from docs/model.md
TERM_RANGES: dict[str, tuple[int, int]] = {
    "disorders.tsv": (100, 999),
    "anatomy.tsv": (1000, 1999),
    "causes.tsv": (2000, 2999),
    "phenotypes.tsv": (3000, 3999),
    "diagnostics.tsv": (4000, 4999),
    "treatments.tsv": (5000, 5999),
    "care.tsv": (6000, 6999),
}
STATEMENT_RANGE = (7000, 7499)
NOTE_RANGE = (7500, 7999)
STATEMENT_KINDS = ("proportion", "percentage-range", "relative-risk", "ratio", "age-range", "comparison")
UNITS = ("1", "%", "a")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


class SourceError(ValueError):
    """A source file that cannot be read: names the file and, where known, the line."""


@dataclass
class Composition:
    """The asserted graph and where each entity came from (IRI → ``file:line``)."""

    graph: Graph
    locations: dict[str, str] = field(default_factory=dict)
    relation_rows: int = 0


def parse_turtle(path: Path, graph: Graph) -> None:
    """Parse a Turtle file into ``graph``; a syntax error becomes a :class:`SourceError` naming file and line."""
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises BadSyntax and several others; all mean "fix the file"
        text, offset = getattr(exc, "_str", None), getattr(exc, "_i", None)
        if isinstance(text, (bytes, str)) and isinstance(offset, int):  # rdflib's BadSyntax: exact offset
            newline = b"\n" if isinstance(text, bytes) else "\n"
            line: int | None = text[:offset].count(newline) + 1
            reason = str(getattr(exc, "_why", "")) or "bad syntax"
            snippet = text[max(0, offset - 40):offset + 20]
            snippet = snippet.decode("utf-8", "replace") if isinstance(snippet, bytes) else snippet
            message = f"{reason} near «{' '.join(snippet.split())}»"
        else:
            message = " ".join(str(exc).split())
            found = re.search(r"line (\d+)", message)
            line = int(found.group(1)) if found else None
        where = f"{path}, line {line}" if line else str(path)
        raise SourceError(f"{where}: Turtle syntax error: {message}") from exc


def _in_range(row: Row, directive: str, curie: str, bounds: tuple[int, int]) -> URIRef:
    if not CURIE_ID.match(curie):
        raise row.error(directive, f"'{curie}' is not an osteokg ID (expected OSTEOKG: and seven digits)")
    number = int(curie.split(":")[1])
    if not bounds[0] <= number <= bounds[1]:
        raise row.error(directive, f"ID {curie} is outside this table's range OSTEOKG:{bounds[0]:07d}–{bounds[1]:07d}")
    return OSTEOKG[curie.split(":")[1]]


class Resolver:
    """Finds the IRI of a term, relation or source by its CURIE or exact English label."""

    def __init__(self) -> None:
        self.by_label: dict[str, URIRef] = {}
        self.known: set[URIRef] = set()

    def add(self, iri: URIRef, label: str | None, row: Row | None = None, directive: str = LABEL_EN) -> None:
        if iri in self.known and row is not None:
            raise row.error("ID", f"ID {iri} is defined twice")
        self.known.add(iri)
        if label:
            if label in self.by_label and self.by_label[label] != iri:
                if row is not None:
                    raise row.error(directive, f"label '{label}' is already used by {self.by_label[label]}")
            self.by_label.setdefault(label, iri)

    def resolve(self, row: Row, directive: str, value: str) -> URIRef:
        if CURIE_ID.match(value):
            iri = OSTEOKG[value.split(":")[1]]
            if iri not in self.known:
                raise row.error(directive, f"unknown ID '{value}'")
            return iri
        if value in self.by_label:
            return self.by_label[value]
        raise row.error(directive, f"unknown term, relation or source '{value}' (use an OSTEOKG: ID or an exact English label)")


def compose(ontology_dir: Path) -> Composition:
    """Read everything under ``ontology_dir`` into one asserted graph."""
    graph = Graph()
    schema_path = ontology_dir / SCHEMA_FILE
    if not schema_path.exists():
        raise SourceError(f"{schema_path}: missing (the ontology header, categories and relations)")
    parse_turtle(schema_path, graph)
    resolver = Resolver()
    for subject in set(graph.subjects(RDFS.label, None)):
        if isinstance(subject, URIRef):
            label = next((str(o) for o in graph.objects(subject, RDFS.label) if getattr(o, "language", None) == "en"), None)
            resolver.add(subject, label)
    composition = Composition(graph)
    term_rows: list[tuple[Row, URIRef]] = []
    term_dir = ontology_dir / TERM_DIR
    for path in sorted(term_dir.glob("*.tsv")):
        bounds = TERM_RANGES.get(path.name)
        if bounds is None:
            raise TableError(path, None, None, f"unknown term table; expected one of {', '.join(TERM_RANGES)}")
        for row in read_table(path, TERMS):
            iri = _in_range(row, "ID", row.get("ID"), bounds)
            resolver.add(iri, row.get(LABEL_EN), row)
            term_rows.append((row, iri))
    statement_rows = [(row, _in_range(row, "ID", row.get("ID"), STATEMENT_RANGE))
                      for row in _optional_table(ontology_dir / "statements.tsv", STATEMENTS)]
    note_rows = [(row, _in_range(row, "ID", row.get("ID"), NOTE_RANGE))
                 for row in _optional_table(ontology_dir / "notes.tsv", NOTES)]
    for row, iri in statement_rows + note_rows:
        resolver.add(iri, row.get(LABEL_EN), row)
    for row, iri in term_rows:
        _add_term(graph, resolver, row, iri)
        composition.locations[str(iri)] = row.location
    relation_rows = _optional_table(ontology_dir / "relations.tsv", RELATIONS)
    restrictions: dict[tuple[URIRef, URIRef, URIRef], BNode] = {}
    for row in relation_rows:
        _add_relation(graph, resolver, row, restrictions)
    composition.relation_rows = len(relation_rows)
    for row, iri in statement_rows:
        _add_statement(graph, resolver, row, iri, QUANTITATIVE_STATEMENT)
        composition.locations[str(iri)] = row.location
    for row, iri in note_rows:
        _add_statement(graph, resolver, row, iri, CLINICAL_NOTE)
        composition.locations[str(iri)] = row.location
    return composition


def _optional_table(path: Path, kind) -> list[Row]:
    return read_table(path, kind) if path.exists() else []


def _add_texts(graph: Graph, iri: URIRef, row: Row) -> None:
    graph.add((iri, RDFS.label, Literal(row.get(LABEL_EN), lang="en")))
    graph.add((iri, RDFS.label, Literal(row.get(LABEL_NL), lang="nl")))
    graph.add((iri, DEFINITION, Literal(row.get(DEF_EN), lang="en")))
    graph.add((iri, DEFINITION, Literal(row.get(DEF_NL), lang="nl")))


def _add_term(graph: Graph, resolver: Resolver, row: Row, iri: URIRef) -> None:
    graph.add((iri, RDF.type, OWL.Class))
    _add_texts(graph, iri, row)
    parents = [resolver.resolve(row, "SC %", value) for value in row.values("SC %")]
    for parent in parents:
        if parent == iri:
            raise row.error("SC %", "a term cannot be its own parent")
        graph.add((iri, RDFS.subClassOf, parent))
    for directive, prop in (("A oboInOwl:hasExactSynonym", "hasExactSynonym"), ("A oboInOwl:hasRelatedSynonym", "hasRelatedSynonym")):
        for lang in ("en", "nl"):
            for synonym in row.values(f"{directive}@{lang}"):
                graph.add((iri, URIRef(f"http://www.geneontology.org/formats/oboInOwl#{prop}"), Literal(synonym, lang=lang)))
    for match in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch"):
        for curie in row.values(f"A skos:{match}"):
            target = expand(curie)
            if target is None:
                raise row.error(f"A skos:{match}", f"'{curie}' is not a CURIE with a known prefix")
            graph.add((iri, URIRef(f"http://www.w3.org/2004/02/skos/core#{match}"), URIRef(target)))
    location = row.get("EC OSTEOKG:0009003 some %")
    if location:
        site = resolver.resolve(row, "EC OSTEOKG:0009003 some %", location)
        restriction = BNode()
        graph.add((restriction, RDF.type, OWL.Restriction))
        graph.add((restriction, OWL.onProperty, OSTEOKG["0009003"]))
        graph.add((restriction, OWL.someValuesFrom, site))
        intersection = BNode()
        graph.add((intersection, RDF.type, OWL.Class))
        members = BNode()
        Collection(graph, members, [*parents, restriction])
        graph.add((intersection, OWL.intersectionOf, members))
        graph.add((iri, OWL.equivalentClass, intersection))


def _evidence(graph: Graph, resolver: Resolver, row: Row, source_directive: str, quote_directive: str) -> tuple[URIRef, Literal]:
    source = resolver.resolve(row, source_directive, row.get(source_directive))
    if (source, RDF.type, DCTERMS.BibliographicResource) not in graph:
        raise row.error(source_directive, f"'{row.get(source_directive)}' is not a source (a dcterms:BibliographicResource)")
    language = str(next(graph.objects(source, DCTERMS.language), "nl"))
    quote = row.get(quote_directive)
    if len(quote) < 8:
        raise row.error(quote_directive, "a quote needs at least 8 characters of the source's own words")
    return source, Literal(quote, lang=language)


def _add_relation(graph: Graph, resolver: Resolver, row: Row, restrictions: dict) -> None:
    subject = resolver.resolve(row, "SUBJECT", row.get("SUBJECT"))
    predicate = resolver.resolve(row, "PREDICATE", row.get("PREDICATE"))
    if (predicate, RDF.type, OWL.ObjectProperty) not in graph:
        raise row.error("PREDICATE", f"'{row.get('PREDICATE')}' is not a relation (an object property of the schema)")
    target = resolver.resolve(row, "OBJECT", row.get("OBJECT"))
    for directive, iri in (("SUBJECT", subject), ("OBJECT", target)):
        if (iri, RDF.type, OWL.Class) not in graph:
            raise row.error(directive, f"'{row.get(directive)}' is not a term (an OWL class)")
    source, quote = _evidence(graph, resolver, row, ">A dcterms:source", ">A okg:quote")
    key = (subject, predicate, target)
    restriction = restrictions.get(key)
    if restriction is None:
        restriction = restrictions[key] = BNode()
        graph.add((restriction, RDF.type, OWL.Restriction))
        graph.add((restriction, OWL.onProperty, predicate))
        graph.add((restriction, OWL.someValuesFrom, target))
        graph.add((subject, RDFS.subClassOf, restriction))
    axiom = BNode()
    graph.add((axiom, RDF.type, OWL.Axiom))
    graph.add((axiom, OWL.annotatedSource, subject))
    graph.add((axiom, OWL.annotatedProperty, RDFS.subClassOf))
    graph.add((axiom, OWL.annotatedTarget, restriction))
    graph.add((axiom, DCTERMS.source, source))
    graph.add((axiom, OKG.quote, quote))


def _decimal(row: Row, directive: str) -> Literal | None:
    text = row.get(directive)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise row.error(directive, f"'{text}' is not a number") from None
    if not value.is_finite():
        raise row.error(directive, f"'{text}' is not a finite number")
    # the canonical lexical form (always with a point), so every serialization writes it alike
    canonical = format(value.normalize(), "f")
    return Literal(canonical if "." in canonical else canonical + ".0", datatype=XSD.decimal)


def _integer(row: Row, directive: str) -> Literal | None:
    text = row.get(directive)
    if not text:
        return None
    if not text.isdigit():
        raise row.error(directive, f"'{text}' is not a whole number of years")
    return Literal(int(text), datatype=XSD.integer)


def _add_statement(graph: Graph, resolver: Resolver, row: Row, iri: URIRef, kind: URIRef) -> None:
    graph.add((iri, RDF.type, OWL.NamedIndividual))
    graph.add((iri, RDF.type, kind))
    _add_texts(graph, iri, row)
    source, quote = _evidence(graph, resolver, row, "A dcterms:source", "A okg:quote")
    graph.add((iri, DCTERMS.source, source))
    graph.add((iri, OKG.quote, quote))
    for directive in ("A okg:about", "A okg:outcome", "A okg:populationCondition", "A okg:comparator"):
        if row.get(directive):
            term = resolver.resolve(row, directive, row.get(directive))
            graph.add((iri, OKG[directive.split(":")[1]], term))
    if kind == CLINICAL_NOTE:
        return
    statement_kind = row.get("A okg:statementKind")
    if statement_kind not in STATEMENT_KINDS:
        raise row.error("A okg:statementKind", f"'{statement_kind}' is not one of {', '.join(STATEMENT_KINDS)}")
    graph.add((iri, OKG.statementKind, Literal(statement_kind)))
    unit = row.get("A okg:unit")
    if unit and unit not in UNITS:
        raise row.error("A okg:unit", f"'{unit}' is not one of the UCUM units {', '.join(UNITS)}")
    if unit:
        graph.add((iri, OKG.unit, Literal(unit)))
    for name in ("outcomeText", "populationText", "timeFrameText", "comparatorText"):
        for lang in ("en", "nl"):
            text = row.get(f"A okg:{name}@{lang}")
            if text:
                graph.add((iri, OKG[name], Literal(text, lang=lang)))
    for name in ("value", "minValue", "maxValue"):
        value = _decimal(row, f"A okg:{name}")
        if value is not None:
            graph.add((iri, OKG[name], value))
    for name in ("ageMin", "ageMax"):
        value = _integer(row, f"A okg:{name}")
        if value is not None:
            graph.add((iri, OKG[name], value))
    sex = row.get("A okg:sex")
    if sex:
        if sex not in ("female", "male"):
            raise row.error("A okg:sex", f"'{sex}' is not 'female' or 'male'")
        graph.add((iri, OKG.sex, Literal(sex)))
    duration = row.get("A okg:timeFrame")
    if duration:
        if not DURATION.match(duration):
            raise row.error("A okg:timeFrame", f"'{duration}' is not an ISO 8601 duration such as P1Y")
        graph.add((iri, OKG.timeFrame, Literal(duration, datatype=XSD.duration)))
    comparison = row.get("A okg:comparison")
    if comparison:
        graph.add((iri, OKG.comparison, Literal(comparison)))
