"""Every fact carries its evidence, and every quote is the source's own words."""
from __future__ import annotations

import pytest
from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.quotes import load_repairs, missing_parts
from kg.vocab import DEFINITION, OKG, ONTOLOGY_IRI, OSTEOKG, SCHEMA, shorten

UBERON_SOURCE = "OSTEOKG:0008005"


def evidence_nodes(graph):
    return [a for a in graph.subjects(RDF.type, OWL.Axiom) if (a, OKG.quote, None) in graph]


def test_every_relation_edge_has_evidence(built) -> None:
    graph = built.graph
    relations = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(OSTEOKG))}
    annotated = {(graph.value(a, OWL.annotatedSource), graph.value(a, OWL.annotatedProperty), graph.value(a, OWL.annotatedTarget))
                 for a in evidence_nodes(graph)}
    edges = [(s, p, o) for p in relations for s, o in graph.subject_objects(p)]
    assert len(edges) > 300
    assert [e for e in edges if e not in annotated] == []


def test_every_statement_has_source_and_quote(built) -> None:
    graph = built.graph
    statements = set(graph.subjects(RDF.type, OSTEOKG["0000091"])) | set(graph.subjects(RDF.type, OSTEOKG["0000092"]))
    assert len(statements) == 36
    for statement in statements:
        assert graph.value(statement, DCTERMS.source) is not None, statement
        assert graph.value(statement, OKG.quote) is not None, statement


def test_every_quote_is_verbatim_in_its_source(built, seed_texts) -> None:
    """Only the extraction's line-break splits are undone; every other repair is in ontology/quote-repairs.tsv."""
    graph = built.graph
    repairs = load_repairs()
    pairs = {(shorten(str(graph.value(node, DCTERMS.source))), str(graph.value(node, OKG.quote)))
             for node in set(graph.subjects(OKG.quote, None))}
    checked = [(source, quote) for source, quote in pairs if source in seed_texts]
    assert len(checked) > 60
    missing = [(source, quote, missing_parts(quote, seed_texts[source], repairs.get(source, ())))
               for source, quote in checked]
    assert [m for m in missing if m[2]] == []


def test_definition_edges_quote_the_definition_of_their_subject(built) -> None:
    """An edge entailed by a term's definition cites the ontology, with that definition as its quote."""
    graph = built.graph
    nodes = [a for a in graph.subjects(OKG.inferenceRule, None) if str(graph.value(a, OKG.inferenceRule)) == "definition"]
    assert len(nodes) == 10
    for node in nodes:
        subject = graph.value(node, OWL.annotatedSource)
        assert graph.value(node, DCTERMS.source) == URIRef(ONTOLOGY_IRI)
        assert graph.value(node, OKG.quote) in set(graph.objects(subject, DEFINITION))
        assert graph.value(node, OKG.evidenceKind) == OKG.definition and graph.value(node, OKG.strength) == OKG.defining


def test_quotes_are_short_and_the_texts_are_not_shipped(built, seed_texts) -> None:
    """Each quote is a short passage; together they leave out part of each text, and never quote its
    non-clinical lines (contact numbers, insurance services, copyright)."""
    from kg.quotes import _pattern, apply_repairs, quote_parts

    graph = built.graph
    quotes = {str(q) for q in graph.objects(None, OKG.quote)}
    assert max(len(q) for q in quotes) < 320
    repairs = load_repairs()
    for source, raw in seed_texts.items():
        text = apply_repairs(raw, repairs.get(source, ()))
        covered = [False] * len(text)
        for node in graph.subjects(OKG.quote, None):
            if shorten(str(graph.value(node, DCTERMS.source))) == source:
                for part in quote_parts(str(graph.value(node, OKG.quote))):
                    found = _pattern(part).search(text)
                    if found:
                        covered[found.start():found.end()] = [True] * (found.end() - found.start())
        assert sum(covered) / len(text) < 0.85, source
        lines = {"OSTEOKG:0008001": ("Alle rechten voorbehouden", "+32 (0)9 332 94 97"),
                 "OSTEOKG:0008002": ("Gratis & exclusief voor klanten van CZ", "Vraag het de medisch specialist")}
        for line in lines[source]:
            start = text.find(line)
            assert start >= 0 and not any(covered[start:start + len(line)]), (source, line)


def test_quotes_are_in_the_language_of_their_source(built) -> None:
    graph = built.graph
    for node in set(graph.subjects(OKG.quote, None)):
        source = graph.value(node, DCTERMS.source)
        assert graph.value(node, OKG.quote).language in {str(v) for v in graph.objects(source, DCTERMS.language)}


def test_sources_are_cited_with_title_publisher_url_and_language(built) -> None:
    graph = built.graph
    used = set(graph.objects(None, DCTERMS.source))
    assert {shorten(str(s)) for s in used} >= {"OSTEOKG:0008001", "OSTEOKG:0008002", UBERON_SOURCE}
    for source in used:
        for prop in (DCTERMS.title, DCTERMS.publisher, SCHEMA.url, DCTERMS.language):
            assert graph.value(source, prop) is not None, (source, prop)


def test_inferred_edges_are_marked_and_carry_their_premise_evidence(built) -> None:
    """Every inferred edge names its rule and the edge it came from, which has the same source and quote;
    following premises ends at an asserted edge (or a term's definition)."""
    graph = built.graph
    nodes = evidence_nodes(graph)
    inferred = [a for a in nodes if graph.value(a, OKG.inferred) is not None and graph.value(a, OKG.inferred).toPython()]
    asserted = [a for a in nodes if graph.value(a, OKG.inferred) is not None and not graph.value(a, OKG.inferred).toPython()]
    assert len(asserted) >= 68 and len(inferred) > len(asserted)
    assert all(graph.value(a, OKG.inferenceRule) is not None for a in inferred)
    assert all(graph.value(a, OKG.inferenceRule) is None for a in asserted)
    index: dict[tuple, list] = {}
    for a in nodes:
        key = (graph.value(a, OWL.annotatedSource), graph.value(a, OWL.annotatedProperty), graph.value(a, OWL.annotatedTarget),
               graph.value(a, DCTERMS.source), graph.value(a, OKG.quote))
        index.setdefault(key, []).append(a)
    for a in inferred:
        steps, node = 0, a
        while graph.value(node, OKG.inferred).toPython() and str(graph.value(node, OKG.inferenceRule)) != "definition":
            premise = tuple(graph.value(node, p) for p in (OKG.premiseSubject, OKG.premisePredicate, OKG.premiseObject))
            assert premise in set(graph.triples((premise[0], premise[1], premise[2]))) or premise in graph, (a, premise)
            candidates = index.get((*premise, graph.value(node, DCTERMS.source), graph.value(node, OKG.quote)), [])
            assert candidates, f"the premise {premise} of an inferred edge has no evidence with the same quote"
            node = sorted(candidates, key=lambda c: graph.value(c, OKG.inferred).toPython())[0]
            steps += 1
            assert steps < 10


def uberon_id(graph, term) -> str:
    """The term's one exact UBERON match (it may have exact matches in other terminologies too)."""
    codes = [shorten(str(c)) for c in graph.objects(term, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"))]
    uberon_codes = [c for c in codes if c.startswith("UBERON:")]
    assert len(uberon_codes) == 1, (term, codes)
    return uberon_codes[0]


@pytest.fixture(scope="module")
def uberon():
    """Uberon as shipped by cellxgene-ontology-guide: id → {label, description, synonyms, ancestors}."""
    import importlib.resources
    import json

    zstandard = pytest.importorskip("zstandard")
    data = importlib.resources.files("cellxgene_ontology_guide") / "data"
    files = sorted(p.name for p in data.iterdir() if p.name.startswith("UBERON-ontology-v2026-04-01"))
    assert files, "the Uberon release cited by OSTEOKG:0008005 is not shipped by this cellxgene-ontology-guide"
    with (data / files[0]).open("rb") as handle:
        return json.loads(zstandard.ZstdDecompressor().stream_reader(handle).read())


def test_uberon_part_of_quotes_and_relations_hold_in_uberon(built, uberon) -> None:
    graph = built.graph
    part_of = OSTEOKG["0009001"]
    checked = 0
    for node in evidence_nodes(graph):
        if shorten(str(graph.value(node, DCTERMS.source))) != UBERON_SOURCE:
            continue
        if graph.value(node, OWL.annotatedProperty) != part_of or graph.value(node, OKG.inferred).toPython():
            continue  # the OWL restriction's own annotation, or an inferred copy
        part, whole = graph.value(node, OWL.annotatedSource), graph.value(node, OWL.annotatedTarget)
        part_id, whole_id = uberon_id(graph, part), uberon_id(graph, whole)
        assert whole_id in uberon[part_id]["ancestors"], (part_id, whole_id)
        assert str(graph.value(node, OKG.quote)) in uberon[part_id]["description"]
        checked += 1
    assert checked == 3


def test_uberon_matches_name_the_same_structure(built, uberon) -> None:
    graph = built.graph
    checked = 0
    for match in ("exactMatch", "closeMatch"):
        for term, code in graph.subject_objects(URIRef(f"http://www.w3.org/2004/02/skos/core#{match}")):
            curie = shorten(str(code))
            if not curie.startswith("UBERON:"):
                continue
            entry = uberon[curie]
            names = {entry["label"].lower(), *(s.lower() for s in entry.get("synonyms") or [])}
            ours = {str(l).lower() for l in graph.objects(term, RDFS.label) if l.language == "en"}
            ours |= {str(s).lower() for s in graph.objects(term, URIRef("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"))
                     if s.language == "en"}
            assert names & ours, (curie, entry["label"], ours)
            assert not entry["deprecated"]
            checked += 1
    assert checked >= 14
