"""The official labels of the codes osteokg cross-references: ``ontology/code-labels.tsv`` → skos:prefLabel.

A term's cross-references (``skos:exactMatch`` … ``narrowMatch``, written in the term tables) point to codes
of other terminologies (docs/terminologies.md); the schema maps the upper categories and relations to Biolink
(and the relations to RO/BFO) and two strengths to HPO's frequency terms (``skos:closeMatch``,
``skos:relatedMatch``). This table gives each distinct code its official label, as its terminology writes it,
in English, once; ``tests/ontology/test_xrefs.py`` checks every row against the terminology's own shipped data
(Biolink's: biolink-model's schema, where an element's name is its label: ``disease``, ``has phenotype``). The
build adds each label to the graph as ``<code> skos:prefLabel "…"@en``, so the release itself (its files, its
SPARQL endpoint, the entity answers) says what each code names beside the term that points to it.

The table is ROBOT-style, like the other editors' tables: ``#`` comment lines, a header row, a directive row
(``ID``, ``A skos:prefLabel@en``), one row per code, read by :func:`kg.tables.read_table` (which already refuses
bytes that are not UTF-8, empty cells and a row repeated exactly). What this module refuses, each a
:class:`~kg.errors.TableError` naming the file, the line and the column:

- a code that is not a CURIE with a known prefix (:data:`kg.vocab.PREFIXES`);
- a code given on two rows;
- a code that nothing of osteokg cross-references (a stale row);
- a code something of osteokg (a term, category, relation or strength) cross-references without a row (the error
  names the term's row, or the schema file for the others);
- a row for a code of a terminology whose names osteokg does not redistribute (:data:`UNNAMED`).

SNOMED CT's descriptions are SNOMED International's licensed content: outside a member country's licence
they may not be passed on, and osteokg's release is passed on to anyone. So the release carries SNOMED CT
concept IDs only, as MONDO and the other open OBO ontologies do; the test still confirms each ID against
the shipped data (pydicom's DICOM subset) and that it fits our term.

``skos:prefLabel`` is declared an ``owl:AnnotationProperty`` where it is used, here, so that ``osteokg.owl``
stays OWL 2 DL: the labels annotate IRIs that are no classes of osteokg, and say nothing the reasoner reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg.errors import TableError
from kg.tables import Row, TableKind, read_table
from kg.vocab import OSTEOKG, PREFIXES, TERM_RANGES, expand, id_range, shorten

#: terminologies whose codes are cross-referenced but whose names the release does not carry, and why
UNNAMED: dict[str, str] = {
    "SNOMEDCT": "SNOMED CT's descriptions are licensed content that an open release may not pass on (codes only)",
    "RO": "no package here ships the Relation Ontology's labels to check one against (biolink-model, which "
          "confirms the codes, names them without labels)",
    "BFO": "no package here ships BFO's labels to check one against (biolink-model, which confirms the codes, "
           "names them without labels)",
}

#: the table under ontology/
CODE_LABELS_TABLE = "code-labels.tsv"
#: its directives: the code (a CURIE) and its official English label
CODE, LABEL = "ID", "A skos:prefLabel@en"
CODE_LABELS = TableKind("code label table", required=(CODE, LABEL), non_empty=(CODE, LABEL))
#: the predicates of a cross-reference, as the term tables write them (docs/terminologies.md)
MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch)
#: and the schema's links, which may also be related (okg:often relatedMatch HPO's "Frequent")
LINKS = (*MATCHES, SKOS.relatedMatch)
#: where the schema's mappings are written (what an error about one of them names)
SCHEMA_FILE = "osteokg-schema.ttl"
_TERM_RANGES = frozenset(TERM_RANGES.values())
OKG_BASE = PREFIXES["okg"]


@dataclass(frozen=True)
class CodeLabel:
    """One row of the table: the code as written (a CURIE), its IRI, its official label and where the row is."""

    code: str
    iri: URIRef
    label: str
    location: str  # file:line
    row: Row | None = field(default=None, compare=False, repr=False)  # for errors that name the row's column


def read_code_labels(path: Path) -> dict[str, CodeLabel]:
    """The rows of ``path`` by code CURIE, in file order; a :class:`TableError` for a malformed or repeated code.
    (Whether the ontology uses each code is :func:`add_code_labels`'s check: it needs the graph.)"""
    found: dict[str, CodeLabel] = {}
    for row in read_table(path, CODE_LABELS):
        code = row.get(CODE)
        iri = expand(code)
        if iri is None or code.split(":", 1)[0] in ("OSTEOKG", "okg"):
            raise row.error(CODE, f"'{code}' is not the CURIE of another terminology's code (a known prefix of "
                                  f"kg.vocab.PREFIXES other than OSTEOKG and okg, a colon, the code)")
        if code in found:
            raise row.error(CODE, f"{code} is already given on line {found[code].location.rsplit(':', 1)[1]}; "
                                  f"one row per code")
        found[code] = CodeLabel(code, URIRef(iri), row.get(LABEL), row.location, row)
    return found


def is_ours(iri: object) -> TypeGuard[URIRef]:
    """An IRI of osteokg's own: a term, upper category or relation (``OSTEOKG_``), or a value of its vocabulary
    (``okg:``, the strengths)."""
    return isinstance(iri, URIRef) and (str(iri).startswith(str(OSTEOKG)) or str(iri).startswith(OKG_BASE))


def cross_referenced(graph: Graph) -> dict[URIRef, list[tuple[URIRef, URIRef]]]:
    """Code IRI → [(osteokg's IRI, link predicate)] for every link from something of osteokg's own to a code of
    another terminology: the terms' cross-references and the schema's mappings."""
    found: dict[URIRef, list[tuple[URIRef, URIRef]]] = {}
    for predicate in LINKS:
        for ours, code in graph.subject_objects(predicate):
            if is_ours(ours) and isinstance(code, URIRef) and not is_ours(code):
                found.setdefault(code, []).append((ours, predicate))
    return found


def add_code_labels(graph: Graph, path: Path, locations: dict[str, str] | None = None) -> int:
    """Add ``<code> skos:prefLabel "label"@en`` for every row of ``path`` to ``graph``, which must already hold
    the terms' cross-references; return how many. A missing table is an empty one (then every cross-reference
    is an error). ``locations`` (term IRI → ``file:line``, :attr:`kg.compose.Composition.locations`) lets the
    error for a code without a row name the term's row."""
    labels = read_code_labels(path) if path.exists() else {}
    used = cross_referenced(graph)
    by_iri = {entry.iri: entry for entry in labels.values()}
    for entry in labels.values():
        if entry.iri not in used:
            message = (f"no term cross-references {entry.code}, nor a category, relation or strength of the schema: "
                       f"remove the row, or add the code to the term it names")
            if entry.row is not None:
                raise entry.row.error(CODE, message)
            file, line = entry.location.rsplit(":", 1)
            raise TableError(file, int(line), CODE, message)
    for entry in labels.values():
        prefix = entry.code.split(":", 1)[0]
        if prefix in UNNAMED:
            message = f"{entry.code}: {UNNAMED[prefix]}; remove the row"
            if entry.row is not None:
                raise entry.row.error(CODE, message)
            file, line = entry.location.rsplit(":", 1)
            raise TableError(file, int(line), CODE, message)
    for code, uses in sorted(used.items()):
        if code not in by_iri and shorten(str(code)).split(":", 1)[0] not in UNNAMED:
            term, predicate = min(uses)
            where = (locations or {}).get(str(term), "")
            if not where and id_range(term) not in _TERM_RANGES:  # a category, relation or strength: the schema's
                where = f"{path.parent / SCHEMA_FILE}:"
            file, _, line = where.rpartition(":")
            message = (f"{shorten(str(term))} cross-references {shorten(str(code))} ({shorten(str(predicate))}), "
                       f"which {path} has no row for: add the code with its official label "
                       f"(docs/terminologies.md)")
            if line.isdigit():
                raise TableError(file, int(line), None, message)
            raise TableError(file or path, None, None, message)
    if labels:
        graph.add((SKOS.prefLabel, RDF.type, OWL.AnnotationProperty))
    for entry in labels.values():
        graph.add((entry.iri, SKOS.prefLabel, Literal(entry.label, lang="en")))
    return len(labels)
