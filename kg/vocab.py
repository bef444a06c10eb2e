"""Namespaces and the fixed IRIs of the osteokg model (see docs/model.md)."""
from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

OSTEOKG = Namespace("https://w3id.org/osteokg/OSTEOKG_")
OKG = Namespace("https://w3id.org/osteokg/vocab/")
IAO = Namespace("http://purl.obolibrary.org/obo/IAO_")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OIO = Namespace("http://www.geneontology.org/formats/oboInOwl#")
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
SCHEMA = Namespace("https://schema.org/")

DEFINITION = IAO["0000115"]
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
    OKG[name] for name in ("defining", "main", "most", "often", "proportion", "generally", "can"))
#: the strengths from strongest to weakest (the schema's okg:strengthOrder says the same; a test checks it)
STRENGTHS = (DEFINING, MAIN, MOST, OFTEN, PROPORTION, GENERALLY, CAN)
QUOTED, COMBINED_READING, CITED_TITLE, DEFINITION_KIND = (
    OKG[name] for name in ("quoted", "combinedReading", "citedTitle", "definition"))
#: how the tables write an evidence kind → its IRI (``definition`` is the build's own)
EVIDENCE_KINDS = {"quoted": QUOTED, "combined-reading": COMBINED_READING, "cited-title": CITED_TITLE}
REVIEW_STATUSES = ("unreviewed", "accepted", "rejected")
TIME_FRAME_KINDS = ("within", "at", "after", "lifetime", "not-stated")
SYNONYM_PROPERTIES = {scope: OIO[f"has{scope.capitalize()}Synonym"] for scope in ("exact", "broad", "narrow", "related")}
SYNONYM_TYPES = {"lay": OKG.laySynonym, "clinical": OKG.clinicalSynonym}
REGIONS = ("NL", "BE")

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
