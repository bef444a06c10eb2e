"""Turning the editors' sources (the schema Turtle and the TSV tables) into one asserted OWL graph.

Terms become OWL classes with labels, definitions, synonyms and parents (a parent that a source states, such as a
drug class's member substance cited to the ChEBI release, carries that source and its words as an axiom annotation:
ontology/subclass-evidence.tsv); relation rows become
existential restrictions (``S SubClassOf P some O``) annotated with their source and quote;
statement and note rows become individuals with typed values; every node with a Dutch quote gets that quote's
English rendering from ontology/quote-translations.tsv (``okg:quoteTranslation``). Every IRI that a row names is
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
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from kg.codes import CODE_LABELS_TABLE, add_code_labels
from kg.errors import SourceError
from kg.tables import (
    COMBINATION, CONDITION, CONDITION_EN, CONDITION_NL, CONTEXT, CURIE_ID, DEF_EN, DEF_NL, EVIDENCE_KIND, LABEL_EN,
    LABEL_NL, NOTES, QUANTIFIED_BY, QUOTE, QUOTE_TRANSLATION, QUOTE_TRANSLATIONS, RELATIONS, REVIEW_NOTE, REVIEW_STATUS,
    STATEMENTS, STRENGTH, SUBCLASS_EVIDENCE, SYNONYMS, TERMS, Row, TableError, read_table,
)
from kg.vocab import (
    CLINICAL_NOTE, COMBINED_READING, DEFINING, DEFINITION, EVIDENCE_KINDS, OIO, OKG, OSTEOKG, QUANTITATIVE_STATEMENT,
    RANGES, REGIONS, REVIEW_STATUSES, SCHEMA_TABLE, SYNONYM_PROPERTIES, SYNONYM_TYPES, TERM_RANGES, TIME_FRAME_KINDS,
    IdRange, expand,
)

SCHEMA_FILE = SCHEMA_TABLE
TERM_DIR = "terms"
#: the English renderings of the Dutch quotes, one row per distinct quote (:func:`_add_translations`)
TRANSLATION_FILE = "quote-translations.tsv"
#: the sources of term parents (:func:`_add_subclass_evidence`)
SUBCLASS_EVIDENCE_FILE = "subclass-evidence.tsv"
STATEMENT_KINDS = ("proportion", "percentage-range", "relative-risk", "ratio", "age-range", "comparison")
UNITS = ("1", "%", "a")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


@dataclass
class Composition:
    """The asserted graph and where each entity came from (IRI → ``file:line``).

    ``rejected`` lists the rows a reviewer rejected (``file:line``): they stay in the tables, with
    their reason, and are left out of the graph, so no query can take them for a fact."""

    graph: Graph
    locations: dict[str, str] = field(default_factory=dict)
    relation_rows: int = 0
    rejected: list[str] = field(default_factory=list)


def parse_turtle(path: Path, graph: Graph) -> None:
    """Parse a Turtle file into ``graph``; a syntax error becomes a :class:`SourceError` naming file and line."""
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises BadSyntax and several others; all mean "fix the file"
        text, offset = getattr(exc, "_str", None), getattr(exc, "_i", None)
        if isinstance(text, (bytes, str)) and isinstance(offset, int):  # rdflib's BadSyntax: exact offset
            newlines = text[:offset].count(b"\n") if isinstance(text, bytes) else text[:offset].count("\n")
            line: int | None = newlines + 1
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
    _check_iris(path, graph)


#: what an IRI cannot contain (Turtle's IRIREF, RFC 3987): rdflib reads such an IRI with only a
#: logged warning and fails later, when the graph is written, without saying which file holds it
BAD_IRI_CHARACTER = re.compile(r'[\x00-\x20<>"{}|\\^`]')


def bad_iri_character(iri: str) -> str | None:
    """The first character of ``iri`` that no IRI may contain, or None."""
    found = BAD_IRI_CHARACTER.search(iri)
    return found.group() if found else None


def _check_iris(path: Path, graph: Graph) -> None:
    """Refuse an IRI that cannot be written back (e.g. ``<https://example.org/a b>``), naming file and line."""
    for term in {t for triple in graph for t in triple if isinstance(t, URIRef)}:
        character = bad_iri_character(term)
        if character is None:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offset = text.find(f"<{term}>")
        if offset < 0:  # written relative to a base or a prefix: find an IRI reference with that character
            found = re.search(r"<[^<>\n]*" + re.escape(character) + r"[^<>\n]*>", text)
            offset = found.start() if found else -1
        where = f"{path}, line {text[:offset].count(chr(10)) + 1}" if offset >= 0 else str(path)
        raise SourceError(f"{where}: the IRI <{term}> contains {character!r}, which no IRI may contain "
                          "(percent-encode it: a space is %20)")


def _in_range(row: Row, directive: str, curie: str, bounds: IdRange) -> URIRef:
    if not CURIE_ID.match(curie):
        raise row.error(directive, f"'{curie}' is not an osteokg ID (expected OSTEOKG: and seven digits)")
    if int(curie.split(":")[1]) not in bounds:
        raise row.error(directive, f"ID {curie} is outside this table's range {bounds}")
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
    statement_rows = [(row, _in_range(row, "ID", row.get("ID"), RANGES["statement"]))
                      for row in _optional_table(ontology_dir / RANGES["statement"].table, STATEMENTS)]
    note_rows = [(row, _in_range(row, "ID", row.get("ID"), RANGES["note"]))
                 for row in _optional_table(ontology_dir / RANGES["note"].table, NOTES)]
    for row, iri in statement_rows + note_rows:
        resolver.add(iri, row.get(LABEL_EN), row)
    for row, iri in term_rows:
        _add_term(graph, resolver, row, iri)
        composition.locations[str(iri)] = row.location
    for row in _optional_table(ontology_dir / "synonyms.tsv", SYNONYMS):
        _add_synonym(graph, resolver, row)
    for row in _optional_table(ontology_dir / SUBCLASS_EVIDENCE_FILE, SUBCLASS_EVIDENCE):
        _add_subclass_evidence(graph, resolver, row)
    served_statements = {iri for row, iri in statement_rows if review_status(row, "A okg:reviewStatus",
                                                                             "A okg:reviewNote") != "rejected"}
    relation_rows = _optional_table(ontology_dir / "relations.tsv", RELATIONS)
    restrictions: dict[tuple[URIRef, URIRef, URIRef], BNode] = {}
    for row in relation_rows:
        if review_status(row, REVIEW_STATUS, REVIEW_NOTE) == "rejected":
            composition.rejected.append(row.location)
            continue
        _add_relation(graph, resolver, row, restrictions, served_statements)
    composition.relation_rows = len(relation_rows)
    for rows, kind in ((statement_rows, QUANTITATIVE_STATEMENT), (note_rows, CLINICAL_NOTE)):
        for row, iri in rows:
            if review_status(row, "A okg:reviewStatus", "A okg:reviewNote") == "rejected":
                composition.rejected.append(row.location)
                continue
            _add_statement(graph, resolver, row, iri, kind)
            composition.locations[str(iri)] = row.location
    quoting = [(row, ">A okg:quote") for row in relation_rows] + \
              [(row, "A okg:quote") for row, _ in statement_rows + note_rows]
    _add_translations(graph, _optional_table(ontology_dir / TRANSLATION_FILE, QUOTE_TRANSLATIONS), quoting)
    add_code_labels(graph, ontology_dir / CODE_LABELS_TABLE, composition.locations)
    return composition


def _add_translations(graph: Graph, rows: list[Row], quoting: list[tuple[Row, str]]) -> None:
    """Give every node with a Dutch okg:quote the English rendering that ontology/quote-translations.tsv gives that
    quote (``okg:quoteTranslation "…"@en``): written once per quote, however many rows quote it.

    A :class:`TableError` for a quote translated on two rows, for a translation row whose quote no row of the other
    tables quotes (a quote that changed, or a typo: the translation would silently be lost), and for a row whose
    Dutch quote has no translation (English readers would see the Dutch alone). The shapes check the rest: at most
    one translation, in English, on a node with a Dutch quote (shapes/osteokg-shapes.ttl)."""
    translations: dict[str, Row] = {}
    for row in rows:
        quote = row.get(QUOTE)
        if quote in translations:
            raise row.error(QUOTE, f"this quote is translated twice: here and on line {translations[quote].line} "
                                   "(one row per quote; delete one)")
        translations[quote] = row
    first_row: dict[str, tuple[Row, str]] = {}
    for row, directive in quoting:  # rejected rows too: a translation kept for a rejected row is not lost
        first_row.setdefault(row.get(directive), (row, directive))
    for quote, row in translations.items():
        if quote not in first_row:
            raise row.error(QUOTE, f"no row of relations.tsv, statements.tsv or notes.tsv quotes '{quote[:80]}' "
                                   "(the quote cell must be the quote exactly as they write it): correct it, or "
                                   "delete this row if the quote is gone")
    for node, quoted in sorted(set(graph.subject_objects(OKG.quote)), key=lambda pair: str(pair[1])):
        if not isinstance(quoted, Literal) or quoted.language != "nl":
            continue  # a quote of an English source (Uberon) needs no English rendering
        found = translations.get(str(quoted))
        if found is None:
            row, directive = first_row[str(quoted)]
            raise row.error(directive, f"this Dutch quote has no English translation: add a row to "
                                       f"ontology/{TRANSLATION_FILE} with the quote exactly as here and a plain "
                                       "English rendering that says what it says, no more and no less")
        graph.add((node, OKG.quoteTranslation, Literal(found.get(QUOTE_TRANSLATION), lang="en")))


def review_status(row: Row, status_directive: str, note_directive: str) -> str:
    """A row's review status (``unreviewed`` when empty); a rejection must say why."""
    status = row.get(status_directive) or "unreviewed"
    if status not in REVIEW_STATUSES:
        raise row.error(status_directive, f"'{status}' is not a review status; use one of {', '.join(REVIEW_STATUSES)}")
    if status == "rejected" and not row.get(note_directive):
        raise row.error(note_directive, "a rejected row needs the reviewer's reason in the review note")
    return status


def _add_review(graph: Graph, node, row: Row, status_directive: str, note_directive: str) -> None:
    graph.add((node, OKG.reviewStatus, Literal(review_status(row, status_directive, note_directive))))
    if row.get(note_directive):
        graph.add((node, OKG.reviewNote, Literal(row.get(note_directive), lang="en")))


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
    for match in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch"):
        for curie in row.values(f"A skos:{match}"):
            target = expand(curie)
            if target is None:
                raise row.error(f"A skos:{match}", f"'{curie}' is not a CURIE with a known prefix")
            if bad_iri_character(target):
                raise row.error(f"A skos:{match}", f"'{curie}' contains {bad_iri_character(target)!r}, which no IRI may contain")
            graph.add((iri, SKOS[match], URIRef(target)))
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


def _add_synonym(graph: Graph, resolver: Resolver, row: Row) -> None:
    """One row of ontology/synonyms.tsv: the synonym triple, and an axiom annotation with its type and region."""
    term = resolver.resolve(row, "SUBJECT", row.get("SUBJECT"))
    if (term, RDF.type, OWL.Class) not in graph:
        raise row.error("SUBJECT", f"'{row.get('SUBJECT')}' is not a term (an OWL class)")
    lang, scope = row.get("LANG"), row.get("SCOPE")
    if lang not in ("en", "nl"):
        raise row.error("LANG", f"'{lang}' is not a language of osteokg; use en or nl")
    if scope not in SYNONYM_PROPERTIES:
        raise row.error("SCOPE", f"'{scope}' is not a synonym scope; use one of {', '.join(SYNONYM_PROPERTIES)} "
                                 "(exact: means the same; broad: the synonym is broader; narrow: narrower; related: only related)")
    kind = row.get(">A oboInOwl:hasSynonymType")
    if kind not in SYNONYM_TYPES:
        raise row.error(">A oboInOwl:hasSynonymType", f"'{kind}' is not a synonym type; use one of {', '.join(SYNONYM_TYPES)}")
    region = row.get(">A dcterms:spatial")
    if region and region not in REGIONS:
        raise row.error(">A dcterms:spatial", f"'{region}' is not a region; use {' or '.join(REGIONS)}, or leave it empty "
                                             "when the word is used in both")
    synonym = Literal(row.get("SYNONYM"), lang=lang)
    prop = SYNONYM_PROPERTIES[scope]
    if (term, prop, synonym) in graph:
        raise row.error("SYNONYM", f"'{synonym}'@{lang} is already a {scope} synonym of {row.get('SUBJECT')}")
    graph.add((term, prop, synonym))
    axiom = BNode()
    for triple in ((RDF.type, OWL.Axiom), (OWL.annotatedSource, term), (OWL.annotatedProperty, prop),
                   (OWL.annotatedTarget, synonym), (OIO.hasSynonymType, SYNONYM_TYPES[kind])):
        graph.add((axiom, *triple))
    if region:
        graph.add((axiom, DCTERMS.spatial, Literal(region)))


def _add_subclass_evidence(graph: Graph, resolver: Resolver, row: Row) -> None:
    """One row of ontology/subclass-evidence.tsv: the source that says a term is a kind of one of its parents, as an
    axiom annotation on ``term rdfs:subClassOf parent`` (source and quote, like an edge's evidence; no strength: a
    parent holds of every member). The parent itself stays in the term's table, the one place parents are written."""
    term = resolver.resolve(row, "SUBJECT", row.get("SUBJECT"))
    if (term, RDF.type, OWL.Class) not in graph:
        raise row.error("SUBJECT", f"'{row.get('SUBJECT')}' is not a term (an OWL class)")
    parent = resolver.resolve(row, "SC %", row.get("SC %"))
    if (term, RDFS.subClassOf, parent) not in graph:
        raise row.error("SC %", f"'{row.get('SC %')}' is not a parent of {row.get('SUBJECT')}: name it in the parents "
                                "column of the term's row first (ontology/terms/*.tsv)")
    source, quote = _evidence(graph, resolver, row, ">A dcterms:source", ">A okg:quote")
    axiom = BNode()
    for triple in ((RDF.type, OWL.Axiom), (OWL.annotatedSource, term), (OWL.annotatedProperty, RDFS.subClassOf),
                   (OWL.annotatedTarget, parent), (DCTERMS.source, source), (OKG.quote, quote)):
        graph.add((axiom, *triple))


def _evidence(graph: Graph, resolver: Resolver, row: Row, source_directive: str, quote_directive: str) -> tuple[URIRef, Literal]:
    source = resolver.resolve(row, source_directive, row.get(source_directive))
    if (source, RDF.type, DCTERMS.BibliographicResource) not in graph:
        raise row.error(source_directive, f"'{row.get(source_directive)}' is not a source (a dcterms:BibliographicResource)")
    language = str(next(graph.objects(source, DCTERMS.language), "nl"))
    quote = row.get(quote_directive)
    if len(quote) < 8:
        raise row.error(quote_directive, "a quote needs at least 8 characters of the source's own words")
    return source, Literal(quote, lang=language)


def _terms(graph: Graph, resolver: Resolver, row: Row, directive: str) -> list[URIRef]:
    out = []
    for value in row.values(directive):
        term = resolver.resolve(row, directive, value)
        if (term, RDF.type, OWL.Class) not in graph:
            raise row.error(directive, f"'{value}' is not a term (an OWL class)")
        out.append(term)
    return out


def _strength_order(graph: Graph, strength: Node) -> int:
    """A strength's okg:strengthOrder (the schema gives every strength one; a TypeError if it does not)."""
    order = graph.value(strength, OKG.strengthOrder)
    if not isinstance(order, Literal):
        raise TypeError(f"strength {strength} has no okg:strengthOrder literal (ontology/{SCHEMA_TABLE})")
    return int(order)


def _qualifiers(graph: Graph, resolver: Resolver, row: Row, served_statements: set[URIRef]) -> list[tuple[URIRef, Node]]:
    """The (property, value) pairs that say how strongly and under what the row's source says its edge."""
    strengths = {str(s)[len(str(OKG)):]: s for s in graph.subjects(RDF.type, OKG.Strength)}
    strength = row.get(STRENGTH)
    if strength not in strengths:
        order = sorted(strengths, key=lambda s: _strength_order(graph, strengths[s]))
        raise row.error(STRENGTH, f"'{strength}' is not a strength; use the source's own wording: one of {', '.join(order)} "
                                  "(docs/model.md, 'Qualified relations')")
    kind_name = row.get(EVIDENCE_KIND) or "quoted"
    if kind_name not in EVIDENCE_KINDS:
        raise row.error(EVIDENCE_KIND, f"'{kind_name}' is not an evidence kind; use one of {', '.join(EVIDENCE_KINDS)}")
    kind = EVIDENCE_KINDS[kind_name]
    if kind == COMBINED_READING and "[…]" not in row.get(">A okg:quote"):
        raise row.error(">A okg:quote", "a combined reading quotes each passage it combines, joined by ' […] '")
    pairs: list[tuple[URIRef, Node]] = [(OKG.strength, strengths[strength]), (OKG.evidenceKind, kind)]
    conditions = _terms(graph, resolver, row, CONDITION)
    if len(conditions) > 1:
        raise row.error(CONDITION, "one condition per row (a row per condition)")
    texts = {lang: row.get(d) for lang, d in (("en", CONDITION_EN), ("nl", CONDITION_NL))}
    if any(texts.values()) and not all(texts.values()):
        raise row.error(CONDITION_NL if texts["en"] else CONDITION_EN, "give the condition's words in both en and nl")
    if conditions and not all(texts.values()):
        raise row.error(CONDITION_EN, "a condition needs its words in en and nl, as a clause after 'if' / 'als' ('the joint has been lost')")
    pairs += [(OKG.condition, c) for c in conditions]
    pairs += [(OKG.conditionText, Literal(text, lang=lang)) for lang, text in texts.items() if text]
    pairs += [(OKG.context, c) for c in _terms(graph, resolver, row, CONTEXT)]
    pairs += [(OKG.inCombinationWith, c) for c in _terms(graph, resolver, row, COMBINATION)]
    for value in row.values(QUANTIFIED_BY):
        statement = resolver.resolve(row, QUANTIFIED_BY, value)
        if statement not in served_statements:
            raise row.error(QUANTIFIED_BY, f"'{value}' is not a quantitative statement of ontology/statements.tsv "
                                           "(or it was rejected)")
        pairs.append((OKG.quantifiedBy, statement))
    if strengths[strength] == OKG.proportion and not row.values(QUANTIFIED_BY):
        raise row.error(QUANTIFIED_BY, "strength 'proportion' needs the statement with the number (its OSTEOKG:00070xx ID)")
    return pairs


def _add_relation(graph: Graph, resolver: Resolver, row: Row, restrictions: dict,
                  served_statements: set[URIRef]) -> None:
    """One row of ontology/relations.tsv. A row that holds of every subject (strength ``defining``)
    becomes the OWL existential ``S SubClassOf P some O``; any other row is only what it says: the
    direct edge ``S P O`` (an object property assertion on the punned class IRIs). Both carry the
    row's source, quote, strength and qualifiers as an axiom annotation."""
    subject = resolver.resolve(row, "SUBJECT", row.get("SUBJECT"))
    predicate = resolver.resolve(row, "PREDICATE", row.get("PREDICATE"))
    if (predicate, RDF.type, OWL.ObjectProperty) not in graph:
        raise row.error("PREDICATE", f"'{row.get('PREDICATE')}' is not a relation (an object property of the schema)")
    target = resolver.resolve(row, "OBJECT", row.get("OBJECT"))
    for directive, iri in (("SUBJECT", subject), ("OBJECT", target)):
        if (iri, RDF.type, OWL.Class) not in graph:
            raise row.error(directive, f"'{row.get(directive)}' is not a term (an OWL class)")
    source, quote = _evidence(graph, resolver, row, ">A dcterms:source", ">A okg:quote")
    qualifiers = _qualifiers(graph, resolver, row, served_statements)
    axiom = BNode()
    graph.add((axiom, RDF.type, OWL.Axiom))
    graph.add((axiom, OWL.annotatedSource, subject))
    if qualifiers[0][1] == DEFINING:
        key = (subject, predicate, target)
        restriction = restrictions.get(key)
        if restriction is None:
            restriction = restrictions[key] = BNode()
            graph.add((restriction, RDF.type, OWL.Restriction))
            graph.add((restriction, OWL.onProperty, predicate))
            graph.add((restriction, OWL.someValuesFrom, target))
            graph.add((subject, RDFS.subClassOf, restriction))
        graph.add((axiom, OWL.annotatedProperty, RDFS.subClassOf))
        graph.add((axiom, OWL.annotatedTarget, restriction))
    else:
        graph.add((subject, predicate, target))
        graph.add((axiom, OWL.annotatedProperty, predicate))
        graph.add((axiom, OWL.annotatedTarget, target))
        graph.add((axiom, OKG.inferred, Literal(False)))
    graph.add((axiom, DCTERMS.source, source))
    graph.add((axiom, OKG.quote, quote))
    for prop, value in qualifiers:
        graph.add((axiom, prop, value))
    _add_review(graph, axiom, row, REVIEW_STATUS, REVIEW_NOTE)


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
    _add_review(graph, iri, row, "A okg:reviewStatus", "A okg:reviewNote")
    if kind == CLINICAL_NOTE:
        return
    frame_kind = row.get("A okg:timeFrameKind")
    if frame_kind not in TIME_FRAME_KINDS:
        raise row.error("A okg:timeFrameKind", f"'{frame_kind}' is not a time frame kind; use one of {', '.join(TIME_FRAME_KINDS)} "
                                               "(within the period, at that time, some time after, lifetime, not stated)")
    graph.add((iri, OKG.timeFrameKind, Literal(frame_kind)))
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
