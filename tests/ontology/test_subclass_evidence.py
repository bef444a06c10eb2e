"""The member substances of the drug classes the texts name, imported from the shipped ChEBI release.

An order names a substance (alendronic acid), the texts name classes (anti-osteoporosis medication, intravenous
bisphosphonates, prednisone). ontology/terms/treatments.tsv holds the substances, each under its class
(bisphosphonate, corticosteroid), and ontology/subclass-evidence.tsv cites each link to the ChEBI release
(OSTEOKG:0008006) with the release's is_a chain from the substance to the class as its quote. Here:

- every link's chain holds in the shipped release, step by step (each entry a direct is_a parent of the one before,
  labels exactly the release's, nothing deprecated), starts at a code the member maps to and ends at one the class
  maps to; and the built graph carries each link's evidence;
- the members are the ones chosen, with their codes and Dutch names, and the rule that chose them is checked
  (the named medicines that the release puts under the class; one it does not is left out and said so);
- what the members inherit is only what holds: the claims of the texts stay on the classes they name. Bisphosphonate is
  a chemical class of medicines, not a kind of anti-osteoporosis medication: no source here says every bisphosphonate
  (pamidronic or etidronic acid among them) is a medicine against osteoporosis, so no claim of "middelen tegen
  botontkalking" reaches a substance. Only the intravenous bisphosphonates, the class the CBG notice names, sit under
  both; their jaw-osteonecrosis risk reaches no substance either (the graph does not say a substance's route). The
  corticosteroids beside prednisone inherit nothing of it.
"""
from __future__ import annotations

import importlib.resources
import itertools
import json
import re

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS, SKOS

from kg.build import ONTOLOGY_DIR
from kg.compose import SUBCLASS_EVIDENCE_FILE
from kg.tables import SUBCLASS_EVIDENCE, read_table
from kg.vocab import OKG, OSTEOKG, expand, shorten

CHEBI_SOURCE = "OSTEOKG:0008006"
CHEBI_RELEASE = "CHEBI-ontology-2026-05-01"  # the release OSTEOKG:0008006's title names
BISPHOSPHONATE, CORTICOSTEROID = OSTEOKG["0005014"], OSTEOKG["0005021"]
DRUG, IV, PREDNISONE = OSTEOKG["0005002"], OSTEOKG["0005003"], OSTEOKG["0002001"]
JAW_OSTEONECROSIS, OSTEONECROSIS = OSTEOKG["0000108"], OSTEOKG["0000106"]
RAISES_RISK, ADVERSE_EFFECT, CAUSES, TREATS, REIMBURSED = (OSTEOKG[n] for n in ("0009007", "0009011", "0009005",
                                                                                 "0009015", "0009023"))
MATCHES = (SKOS.exactMatch, SKOS.closeMatch)

#: (ID, English label, Dutch label, class, the ChEBI code of the link's chain, exact match or None)
MEMBERS = [
    ("0005015", "alendronic acid", "alendroninezuur", BISPHOSPHONATE, "CHEBI:2567", "CHEBI:2567"),
    ("0005016", "risedronic acid", "risedroninezuur", BISPHOSPHONATE, "CHEBI:8868", "CHEBI:8869"),
    ("0005017", "ibandronic acid", "ibandroninezuur", BISPHOSPHONATE, "CHEBI:41060", "CHEBI:41060"),
    ("0005018", "pamidronic acid", "pamidroninezuur", BISPHOSPHONATE, "CHEBI:7904", None),
    ("0005019", "zoledronic acid", "zoledroninezuur", BISPHOSPHONATE, "CHEBI:46557", "CHEBI:46557"),
    ("0005020", "etidronic acid", "etidroninezuur", BISPHOSPHONATE, "CHEBI:4907", "CHEBI:4907"),
    ("0002001", "prednisone", "prednison", CORTICOSTEROID, "CHEBI:8382", "CHEBI:8382"),
    ("0005022", "prednisolone", "prednisolon", CORTICOSTEROID, "CHEBI:8378", "CHEBI:8378"),
    ("0005023", "dexamethasone", "dexamethason", CORTICOSTEROID, "CHEBI:41879", "CHEBI:41879"),
    ("0005024", "hydrocortisone", "hydrocortison", CORTICOSTEROID, "CHEBI:17650", "CHEBI:17650"),
]
SUBSTANCES = [OSTEOKG[m[0]] for m in MEMBERS if m[3] == BISPHOSPHONATE]
STEROIDS_BESIDE_PREDNISONE = [OSTEOKG[m[0]] for m in MEMBERS if m[3] == CORTICOSTEROID and m[1] != "prednisone"]
#: the ChEBI class each osteokg class is closely matched to
CLASS_CODES = {BISPHOSPHONATE: "CHEBI:77383", CORTICOSTEROID: "CHEBI:50858"}
#: a chain entry: "label (CHEBI:n)"
ENTRY = re.compile(r"(.+?) \((CHEBI:\d+)\)")
ROWS = read_table(ONTOLOGY_DIR / SUBCLASS_EVIDENCE_FILE, SUBCLASS_EVIDENCE)


@pytest.fixture(scope="module")
def chebi() -> dict:
    """The ChEBI release cited by OSTEOKG:0008006, as shipped by cellxgene-ontology-guide: id → {label, ancestors}."""
    zstandard = pytest.importorskip("zstandard")
    data = importlib.resources.files("cellxgene_ontology_guide") / "data"
    files = sorted(p.name for p in data.iterdir() if p.name.startswith(CHEBI_RELEASE))
    assert files, f"the ChEBI release cited by {CHEBI_SOURCE} is not shipped by this cellxgene-ontology-guide"
    with (data / files[0]).open("rb") as handle:
        return json.loads(zstandard.ZstdDecompressor().stream_reader(handle).read())


def chain(quote: str) -> list[tuple[str, str]]:
    """The (label, code) entries of a quote "a (CHEBI:1) is_a b (CHEBI:2) …"; an AssertionError if it is not one."""
    parts = quote.split(" is_a ")
    entries = [ENTRY.fullmatch(part) for part in parts]
    assert len(parts) >= 2 and all(entries), f"not an is_a chain: {quote!r}"
    return [(m.group(1), m.group(2)) for m in entries if m]


def term(graph, label: str) -> URIRef:
    found = [s for s in graph.subjects(RDFS.label, Literal(label, lang="en"))]
    assert len(found) == 1, label
    return URIRef(found[0])


def codes(graph, iri: URIRef, properties=MATCHES) -> set[str]:
    return {shorten(str(code)) for prop in properties for code in graph.objects(iri, prop)}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.get('SUBJECT')}<{row.get('SC %')}")
def test_each_links_chain_holds_in_the_shipped_release(built, chebi, row) -> None:
    graph = built.graph
    assert row.get(">A dcterms:source") == CHEBI_SOURCE
    entries = chain(row.get(">A okg:quote"))
    for label, code in entries:
        assert code in chebi and not chebi[code].get("deprecated"), code
        assert chebi[code]["label"] == label, (code, chebi[code]["label"])
    for (_, child), (_, parent) in itertools.pairwise(entries):
        assert chebi[child]["ancestors"].get(parent) == 1, f"{parent} is not a direct is_a parent of {child}"
    member, cls = term(graph, row.get("SUBJECT")), term(graph, row.get("SC %"))
    assert entries[0][1] in codes(graph, member), "the chain starts at a code the member maps to"
    assert entries[-1][1] == CLASS_CODES[cls] in codes(graph, cls), "the chain ends at the code the class maps to"


def test_the_built_graph_cites_every_link_to_the_chebi_release(built) -> None:
    graph = built.graph
    cited = {}
    for axiom in graph.subjects(OWL.annotatedProperty, RDFS.subClassOf):
        if graph.value(axiom, DCTERMS.source) == URIRef(expand(CHEBI_SOURCE)):
            link = (graph.value(axiom, OWL.annotatedSource), graph.value(axiom, OWL.annotatedTarget))
            assert link not in cited, f"{link} is cited twice"
            assert (link[0], RDFS.subClassOf, link[1]) in graph
            assert graph.value(axiom, OKG.inferred) is None and graph.value(axiom, OKG.inferenceRule) is None
            cited[link] = graph.value(axiom, OKG.quote)
    assert set(cited) == {(OSTEOKG[m[0]], m[3]) for m in MEMBERS}
    assert all(isinstance(q, Literal) and q.language == "en" for q in cited.values())  # ChEBI is English


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m[1])
def test_each_member_has_its_names_codes_and_class(built, member) -> None:
    number, english, dutch, cls, chained, exact = member
    graph, iri = built.graph, OSTEOKG[number]
    assert {(str(o), o.language) for o in graph.objects(iri, RDFS.label)} == {(english, "en"), (dutch, "nl")}
    assert (iri, RDFS.subClassOf, cls) in graph
    assert chained in codes(graph, iri)
    chebi_exact = {code for code in codes(graph, iri, (SKOS.exactMatch,)) if code.startswith("CHEBI:")}
    assert chebi_exact == ({exact} if exact else set())


def test_the_classes_hang_where_the_texts_put_them(built) -> None:
    graph = built.graph
    medication = OSTEOKG["0000032"]
    assert (BISPHOSPHONATE, RDFS.subClassOf, medication) in graph  # a chemical class of medicines
    assert (BISPHOSPHONATE, RDFS.subClassOf, DRUG) not in graph  # no source says every bisphosphonate is one
    assert (IV, RDFS.subClassOf, BISPHOSPHONATE) in graph  # the CBG notice's class: one route of bisphosphonate
    assert (IV, RDFS.subClassOf, DRUG) in graph  # … named by the Medicinfo page among the drugs against osteoporosis
    for substance in [BISPHOSPHONATE, *SUBSTANCES]:  # no path up to the medication, stated or concluded
        assert DRUG not in set(graph.transitive_objects(substance, RDFS.subClassOf)), substance
    assert (CORTICOSTEROID, RDFS.subClassOf, medication) in graph
    assert (CORTICOSTEROID, RDFS.subClassOf, OSTEOKG["0000030"]) not in graph  # not a cause: prednisone is
    assert not [s for s in SUBSTANCES if (s, RDFS.subClassOf, IV) in graph]  # no substance is a route


def test_the_rule_leaves_out_what_the_release_does_not_put_under_the_class(chebi) -> None:
    """The members are named medicines that the release places under the class; methylprednisolone is a
    corticosteroid medicine, but this release puts 6alpha-methylprednisolone under no corticosteroid class, so it is
    not imported (when a release does, this fails: add it)."""
    entry = chebi["CHEBI:6888"]
    assert entry["label"] == "6alpha-methylprednisolone"
    assert "CHEBI:50858" not in entry["ancestors"] and "CHEBI:24261" not in entry["ancestors"]


def edges(graph, subject: URIRef, predicate: URIRef | None = None) -> list[tuple]:
    """(predicate, object, strength, inferred, rule, premise subject) of every evidence node of ``subject``'s edges."""
    out = []
    for axiom in graph.subjects(OWL.annotatedSource, subject):
        prop = graph.value(axiom, OWL.annotatedProperty)
        if not str(prop).startswith(str(OSTEOKG) + "00090") or predicate not in (None, prop):
            continue
        out.append((prop, graph.value(axiom, OWL.annotatedTarget), graph.value(axiom, OKG.strength),
                    graph.value(axiom, OKG.inferred).toPython(), str(graph.value(axiom, OKG.inferenceRule) or ""),
                    graph.value(axiom, OKG.premiseSubject)))
    return out


def test_the_intravenous_jaw_risk_reaches_no_substance(built) -> None:
    graph = built.graph
    assert (IV, RAISES_RISK, JAW_OSTEONECROSIS) in graph  # the CBG notice, said of intravenous bisphosphonates
    for substance in [BISPHOSPHONATE, *SUBSTANCES]:  # zoledronic acid too: the graph does not say a route
        assert edges(graph, substance, RAISES_RISK) == []
        assert (substance, RAISES_RISK, JAW_OSTEONECROSIS) not in graph


def test_the_bisphosphonates_inherit_nothing_of_the_osteoporosis_medication(built) -> None:
    """Neither "treats osteoporosis", "prevents fragility fractures" nor the side effect "osteonecrosis" of the
    medication the Medicinfo page names reaches bisphosphonate or a member substance: the graph says nothing of them
    that no source says."""
    graph = built.graph
    assert (DRUG, ADVERSE_EFFECT, OSTEONECROSIS) in graph  # said of the medication, and stays there
    for substance in [BISPHOSPHONATE, *SUBSTANCES]:
        assert edges(graph, substance) == [], substance
        assert (substance, TREATS, None) not in graph and (substance, CAUSES, None) not in graph, substance
        assert (substance, REIMBURSED, None) not in graph


def test_the_corticosteroids_beside_prednisone_inherit_nothing_of_it(built) -> None:
    graph = built.graph
    assert (PREDNISONE, ADVERSE_EFFECT, OSTEONECROSIS) in graph  # said of prednisone, and stays there
    for steroid in [CORTICOSTEROID, *STEROIDS_BESIDE_PREDNISONE]:
        assert edges(graph, steroid) == [], steroid
