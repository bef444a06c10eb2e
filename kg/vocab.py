"""Namespaces, the fixed IRIs and the ID ranges of the osteokg model (see docs/model.md).

This is the one place that says which IRIs exist: ``OKG`` lists every term of the graph's own
vocabulary (a misspelt ``OKG.qoute`` raises AttributeError instead of minting a new IRI),
:data:`PREFIXES` with :func:`expand` and :func:`shorten` is the one prefix map and CURIE⇄IRI pair
(:data:`OUTPUT_PREFIXES` adds the few namespaces only an output writes; :func:`prefixes` picks a
subset by name), the other namespaces (IAO, oboInOwl, Biolink, schema.org) are closed too,
and :data:`ID_RANGES` is the table of ID ranges of docs/model.md ("Namespaces and identifiers"),
so that no module tests ``number < 100`` to mean "an upper category" by itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS, XSD, DefinedNamespace

OSTEOKG = Namespace("https://w3id.org/osteokg/OSTEOKG_")


class OKG(DefinedNamespace):
    """The graph's own technical vocabulary (``okg:``), declared in ontology/osteokg-schema.ttl.

    Every term any code writes or reads is listed here; ``_fail = True`` makes any other name an
    AttributeError (``OKG.name`` and ``OKG["name"]`` alike)."""

    _NS = Namespace("https://w3id.org/osteokg/vocab/")
    _fail = True

    # classes of the strength and evidence-kind individuals
    Strength: URIRef
    EvidenceKind: URIRef
    # strengths, strongest first
    defining: URIRef
    main: URIRef
    most: URIRef
    often: URIRef
    proportion: URIRef
    generally: URIRef
    can: URIRef
    strengthOrder: URIRef
    # evidence kinds (``definition`` is the build's own: an edge read from a term's definition)
    quoted: URIRef
    combinedReading: URIRef
    citedTitle: URIRef
    definition: URIRef
    # synonym types
    laySynonym: URIRef
    clinicalSynonym: URIRef
    # the evidence and qualifiers on an edge's axiom
    strength: URIRef
    evidenceKind: URIRef
    quote: URIRef
    quoteTranslation: URIRef  # a Dutch quote's English rendering (ontology/quote-translations.tsv)
    condition: URIRef
    conditionText: URIRef
    context: URIRef
    inCombinationWith: URIRef
    quantifiedBy: URIRef
    reviewStatus: URIRef
    reviewNote: URIRef
    confirmed: URIRef
    # inferred edges
    inferred: URIRef
    inferenceRule: URIRef
    premiseSubject: URIRef
    premisePredicate: URIRef
    premiseObject: URIRef
    # what a relation declares
    inheritedBySubclasses: URIRef
    generalizesObject: URIRef
    sentence: URIRef
    possibilitySentence: URIRef
    # quantitative statements and clinical notes
    about: URIRef
    outcome: URIRef
    outcomeText: URIRef
    populationCondition: URIRef
    populationText: URIRef
    comparator: URIRef
    comparatorText: URIRef
    comparison: URIRef
    statementKind: URIRef
    unit: URIRef
    value: URIRef
    minValue: URIRef
    maxValue: URIRef
    ageMin: URIRef
    ageMax: URIRef
    sex: URIRef
    timeFrame: URIRef
    timeFrameKind: URIRef
    timeFrameText: URIRef


class IAO(DefinedNamespace):
    """The Information Artifact Ontology terms the code uses (:data:`DEFINITION`, :data:`TERM_REPLACED_BY`;
    ``IAO + "0000115"`` or ``IAO["0000115"]``, any other term raises)."""

    _NS = Namespace("http://purl.obolibrary.org/obo/IAO_")
    _fail = True
    _extras = [
        "0000115",  # definition
        "0100001",  # term replaced by (an obsolete term's successor)
    ]


class OIO(DefinedNamespace):
    """The oboInOwl terms the code uses: the four synonym scopes and the synonym type."""

    _NS = Namespace("http://www.geneontology.org/formats/oboInOwl#")
    _fail = True

    hasExactSynonym: URIRef
    hasBroadSynonym: URIRef
    hasNarrowSynonym: URIRef
    hasRelatedSynonym: URIRef
    hasSynonymType: URIRef


class BIOLINK(DefinedNamespace):
    """The Biolink model terms the code writes itself (the KGX export's fallback predicate and its
    hierarchy edges); the Biolink classes and predicates the ontology matches are data, read as IRIs
    under ``str(BIOLINK)``."""

    _NS = Namespace("https://w3id.org/biolink/vocab/")
    _fail = True

    related_to: URIRef
    subclass_of: URIRef


class SCHEMA(DefinedNamespace):
    """The schema.org terms the code uses."""

    _NS = Namespace("https://schema.org/")
    _fail = True

    url: URIRef


OBO = Namespace("http://purl.obolibrary.org/obo/")

# ``IAO + local`` is the closed namespace's own look-up (an unlisted term raises) typed as the URIRef it is;
# a type checker reads ``IAO["0000115"]`` as a generic class subscripted, so the code uses these names
DEFINITION: URIRef = IAO + "0000115"
TERM_REPLACED_BY: URIRef = IAO + "0100001"
ONTOLOGY_IRI = "https://w3id.org/osteokg/osteokg.owl"

# Upper categories and relations used by the build's rules.
DISORDER = OSTEOKG["0000010"]
ANATOMICAL_SITE = OSTEOKG["0000020"]
QUANTITATIVE_STATEMENT = OSTEOKG["0000091"]
CLINICAL_NOTE = OSTEOKG["0000092"]
PART_OF = OSTEOKG["0009001"]
HAS_LOCATION = OSTEOKG["0009003"]

# Strengths and evidence kinds: declared (labels, definitions, order) in ontology/osteokg-schema.ttl;
# these names are the ones the build's rules use.
DEFINING, MAIN, MOST, OFTEN, PROPORTION, GENERALLY, CAN = (
    OKG.defining, OKG.main, OKG.most, OKG.often, OKG.proportion, OKG.generally, OKG.can)
#: the strengths from strongest to weakest (the schema's okg:strengthOrder says the same; a test checks it)
STRENGTHS = (DEFINING, MAIN, MOST, OFTEN, PROPORTION, GENERALLY, CAN)
QUOTED, COMBINED_READING, CITED_TITLE, DEFINITION_KIND = OKG.quoted, OKG.combinedReading, OKG.citedTitle, OKG.definition
#: how the tables write an evidence kind → its IRI (``definition`` is the build's own)
EVIDENCE_KINDS = {"quoted": QUOTED, "combined-reading": COMBINED_READING, "cited-title": CITED_TITLE}
REVIEW_STATUSES = ("unreviewed", "accepted", "rejected")
TIME_FRAME_KINDS = ("within", "at", "after", "lifetime", "not-stated")
SYNONYM_PROPERTIES = {"exact": OIO.hasExactSynonym, "broad": OIO.hasBroadSynonym, "narrow": OIO.hasNarrowSynonym,
                      "related": OIO.hasRelatedSynonym}
SYNONYM_TYPES = {"lay": OKG.laySynonym, "clinical": OKG.clinicalSynonym}
REGIONS = ("NL", "BE")
#: the languages every term is labelled and defined in, English first (the default answer language)
LANGUAGES = ("en", "nl")

# ---------------------------------------------------------------- ID ranges

#: the editors' schema file under ontology/: upper categories, sources and relations are written there
SCHEMA_TABLE = "osteokg-schema.ttl"


@dataclass(frozen=True)
class IdRange:
    """One family of osteokg IDs: its numbers ``first``–``last`` (inclusive) and the table under
    ontology/ its entities are written in (docs/model.md, "Namespaces and identifiers")."""

    name: str
    family: str
    first: int
    last: int
    table: str

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.first <= number <= self.last

    def __str__(self) -> str:
        return f"OSTEOKG:{self.first:07d}–{self.last:07d}"


#: the ID ranges, in order; a test checks them against docs/model.md's table
ID_RANGES: tuple[IdRange, ...] = (
    IdRange("category", "upper categories", 1, 99, SCHEMA_TABLE),
    IdRange("disorder", "disorders", 100, 999, "terms/disorders.tsv"),
    IdRange("anatomy", "anatomical sites", 1000, 1999, "terms/anatomy.tsv"),
    IdRange("cause", "causes, risk factors, mechanisms", 2000, 2999, "terms/causes.tsv"),
    IdRange("phenotype", "signs, symptoms, findings, outcomes", 3000, 3999, "terms/phenotypes.tsv"),
    IdRange("diagnostic", "diagnostic procedures", 4000, 4999, "terms/diagnostics.tsv"),
    IdRange("treatment", "treatments", 5000, 5999, "terms/treatments.tsv"),
    IdRange("care", "care pathways", 6000, 6999, "terms/care.tsv"),
    IdRange("statement", "quantitative statements", 7000, 7499, "statements.tsv"),
    IdRange("note", "clinical notes", 7500, 7999, "notes.tsv"),
    IdRange("source", "sources", 8000, 8099, SCHEMA_TABLE),
    IdRange("relation", "relations (object properties)", 9000, 9099, SCHEMA_TABLE),
)
#: range name → range
RANGES: dict[str, IdRange] = {r.name: r for r in ID_RANGES}
#: term table file name (under ontology/terms/) → the range its IDs must be in
TERM_RANGES: dict[str, IdRange] = {r.table.removeprefix("terms/"): r for r in ID_RANGES if r.table.startswith("terms/")}

_ID_LOCAL = re.compile(r"[0-9]{7}")


def id_number(iri: str) -> int | None:
    """The number of an osteokg ID IRI (``…/OSTEOKG_`` and seven digits), else None."""
    text = str(iri)
    local = text[len(str(OSTEOKG)):]
    if not text.startswith(str(OSTEOKG)) or not _ID_LOCAL.fullmatch(local):
        return None
    return int(local)


def id_range(iri: str) -> IdRange | None:
    """The range ``iri``'s ID is in, or None (not an osteokg ID, or in no range)."""
    number = id_number(iri)
    return next((r for r in ID_RANGES if number in r), None) if number is not None else None


def in_range(iri: str, name: str) -> bool:
    """Whether ``iri`` is an osteokg ID in the range called ``name`` (a KeyError for an unknown name)."""
    return id_number(iri) in RANGES[name]


def is_upper_category(iri: str) -> bool:
    """Whether ``iri`` is one of the upper categories (OSTEOKG:0000001–0000099)."""
    return in_range(iri, "category")


#: prefix → namespace, for CURIEs in tables, reports and JSON
PREFIXES: dict[str, str] = {
    "OSTEOKG": str(OSTEOKG),
    "okg": str(OKG),
    "UBERON": "http://purl.obolibrary.org/obo/UBERON_",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    # clinical terminologies (docs/terminologies.md): MESH and SNOMEDCT as in biolink-model's prefix map,
    # ICD10WHO, ICD10CM and ATC as BioPortal's canonical namespaces in prefixmaps' bioportal.csv,
    # ICD11 for MMS codes (no shipped prefix map names one)
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "SNOMEDCT": "http://snomed.info/id/",
    "ICD10WHO": "http://purl.bioontology.org/ontology/ICD10/",
    "ICD10CM": "http://purl.bioontology.org/ontology/ICD10CM/",
    "ICD11": "http://id.who.int/icd/release/11/mms/",
    "ATC": "http://purl.bioontology.org/ontology/ATC/",
    "RO": "http://purl.obolibrary.org/obo/RO_",
    "BFO": "http://purl.obolibrary.org/obo/BFO_",
    "IAO": str(IAO),
    "biolink": str(BIOLINK),
    "oboInOwl": str(OIO),
    "rdfs": str(RDFS),
    "rdf": str(RDF),
    "owl": str(OWL),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "xsd": str(XSD),
    "schema": str(SCHEMA),
}


#: the shapes' own namespace (shapes/*.ttl)
SHAPES_NS = "https://w3id.org/osteokg/shapes/"

#: namespaces that only an output writes — a SPARQL answer in Turtle or RDF/XML, a SHACL report, the SSSOM
#: export — and that nobody types as a CURIE: kept out of :data:`PREFIXES`, so :func:`expand` and
#: :func:`shorten` (tables, the API) do not know them
OUTPUT_PREFIXES: dict[str, str] = {
    "obo": str(OBO),  # SPARQL answers (kg.sparql.results)
    "osteokg": "https://w3id.org/osteokg/",  # SPARQL answers: the project's base (kg.sparql.results)
    "sh": str(SH),  # SHACL reports (kg.validate)
    "oks": SHAPES_NS,  # SHACL reports: the shapes (kg.validate)
    "semapv": "https://w3id.org/semapv/vocab/",  # the SSSOM export's mapping justifications (kg.export)
    # the SPARQL endpoint's service description (api.sparql)
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "formats": "http://www.w3.org/ns/formats/",
    "void": "http://rdfs.org/ns/void#",
}
assert not set(OUTPUT_PREFIXES) & set(PREFIXES), "an output prefix shadows a CURIE prefix"


def prefixes(*names: str) -> dict[str, str]:
    """prefix → namespace for ``names`` (from :data:`PREFIXES` or :data:`OUTPUT_PREFIXES`), in that
    order; a KeyError names an unknown prefix. Every other prefix table of the code is made with this."""
    known = {**PREFIXES, **OUTPUT_PREFIXES}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(f"unknown prefix(es) {', '.join(unknown)}: add them to kg.vocab.PREFIXES or OUTPUT_PREFIXES")
    return {name: known[name] for name in names}


def expand(curie: str) -> str | None:
    """The IRI of ``curie`` when its prefix is known, else None."""
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in PREFIXES or not local:
        return None
    return PREFIXES[prefix] + local


def shorten(iri: str) -> str:
    """The CURIE of ``iri`` under the longest matching known namespace, or the IRI itself."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri
