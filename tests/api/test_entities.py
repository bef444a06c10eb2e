"""The clinical REST routes."""
from __future__ import annotations

import json
import urllib.request
from html import escape

import pytest
from rdflib import Graph, URIRef

OSTEONECROSIS = "OSTEOKG:0000106"


def test_entity_json_in_english_and_dutch(client) -> None:
    en = client.get(f"/entities/{OSTEONECROSIS}").json
    assert en["label"] == "osteonecrosis" and en["lang"] == "en"
    assert en["definition"].startswith("Death of bone tissue")
    nl = client.get(f"/entities/{OSTEONECROSIS}?lang=nl").json
    assert nl["label"] == "botnecrose"
    assert {s["text"] for s in nl["synonyms"]} >= {"osteonecrose"} and {s["lang"] for s in nl["synonyms"]} == {"nl"}
    assert [c["id"] for c in nl["categories"]] == ["OSTEOKG:0000010"]
    assert nl["parents"] == [{"id": "OSTEOKG:0000010", "iri": "https://w3id.org/osteokg/OSTEOKG_0000010",
                              "label": "aandoening", "inferred": False}]


def test_entity_lists_synonyms_of_every_scope(client) -> None:
    joint_replacement = client.get("/entities/OSTEOKG:0005011?lang=nl").json
    assert {"text": "kunstheup", "lang": "nl", "type": "narrow"} in joint_replacement["synonyms"]


def test_language_follows_accept_language(client) -> None:
    response = client.get(f"/entities/{OSTEONECROSIS}", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert response.json["label"] == "botnecrose" and response.headers["Content-Language"] == "nl"


def test_entity_lists_its_relations_and_cross_references(client) -> None:
    femur = client.get("/entities/OSTEOKG:0001002").json
    assert {"id": "UBERON:0000981", "iri": "http://purl.obolibrary.org/obo/UBERON_0000981", "match": "exactMatch",
            "label": "femur"} in femur["xrefs"]  # with the code's official label
    drug = client.get("/entities/OSTEOKG:0005003").json
    edges = {(r["predicate"]["id"], r["object"]["id"], r["inferred"]): r for r in drug["relations"]}
    # each outgoing edge in the one edge shape: this entity the subject, with its evidence
    assert all(list(r) == ["direction", "subject", "predicate", "object", "inferred", "strength", "evidence"]
               and r["direction"] == "out" and r["subject"]["id"] == "OSTEOKG:0005003" and r["evidence"]
               for r in drug["relations"])
    assert ("OSTEOKG:0009007", "OSTEOKG:0000108", False) in edges  # asserted: raises the risk of jaw osteonecrosis
    assert ("OSTEOKG:0009015", "OSTEOKG:0000100", True) in edges  # inherited: treats osteoporosis
    # inherited from anti-osteoporosis medication, where the source says it in general: here only "can"
    assert edges[("OSTEOKG:0009015", "OSTEOKG:0000100", True)]["strength"] == {"id": "okg:can", "label": "can"}


def test_entity_by_iri_parameter(client) -> None:
    response = client.get("/entities", query_string={"iri": "https://w3id.org/osteokg/OSTEOKG_0000100"})
    assert response.status_code == 200 and response.json["label"] == "osteoporosis"


@pytest.mark.parametrize("accept, fmt", [("application/ld+json", "json-ld"), ("text/turtle", "turtle"),
                                         ("application/n-triples", "nt")])
def test_entity_as_rdf(client, accept: str, fmt: str) -> None:
    response = client.get(f"/entities/{OSTEONECROSIS}", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    graph = Graph().parse(data=response.get_data(as_text=True), format=fmt)
    subject = URIRef("https://w3id.org/osteokg/OSTEOKG_0000106")
    assert len(list(graph.objects(subject, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))) == 2


def test_entity_as_html_page(client) -> None:
    response = client.get(f"/entities/{OSTEONECROSIS}?lang=nl", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>botnecrose</h1>" in page and "prednison" in page and "geen medisch hulpmiddel" in page


def test_every_id_dereferences(client) -> None:
    response = client.get("/OSTEOKG_0000106")
    assert response.status_code == 303 and response.headers["Location"].endswith("/entities/OSTEOKG:0000106")
    assert client.get("/OSTEOKG_12").status_code == 404


def test_relations_with_evidence_filtered_by_predicate_and_direction(client) -> None:
    body = client.get(f"/entities/{OSTEONECROSIS}/relations",
                      query_string={"predicate": "OSTEOKG:0009006", "direction": "out"}).json
    causes = {item["object"]["id"]: item for item in body["items"]}
    prednisone = causes["OSTEOKG:0002001"]
    assert prednisone["predicate"]["labels"] == {"en": "caused by", "nl": "veroorzaakt door"}
    assert prednisone["inferred"] is True  # the inverse of an asserted side effect
    assert "prednison" in prednisone["evidence"][0]["quote"]
    assert prednisone["evidence"][0]["source"]["id"] == "OSTEOKG:0008002"
    asserted = client.get(f"/entities/{OSTEONECROSIS}/relations", query_string={"inferred": "false"}).json
    assert asserted["total"] > 0 and all(not item["inferred"] for item in asserted["items"])


def test_relation_list_with_mappings(client) -> None:
    items = {item["id"]: item for item in client.get("/relations").json["items"]}
    assert {"id": "biolink:disease_has_location", "iri": "https://w3id.org/biolink/vocab/disease_has_location",
            "label": "disease has location", "match": "exactMatch"} in items["OSTEOKG:0009003"]["mappings"]  # its name
    assert {"id": "RO:0004026", "iri": "http://purl.obolibrary.org/obo/RO_0004026", "label": None,
            "match": "exactMatch"} in items["OSTEOKG:0009003"]["mappings"]  # no package here ships RO's labels
    assert items["OSTEOKG:0009003"]["inverse"]["id"] == "OSTEOKG:0009004"


def test_hierarchy(client) -> None:
    children = {i["id"] for i in client.get(f"/entities/{OSTEONECROSIS}/children").json["items"]}
    assert "OSTEOKG:0000107" in children and len(children) == 7
    parents = client.get("/entities/OSTEOKG:0000107/parents").json["items"]
    assert {(p["id"], p["inferred"]) for p in parents} == {("OSTEOKG:0000106", False), ("OSTEOKG:0000109", True)}
    ancestors = {i["id"] for i in client.get("/entities/OSTEOKG:0000107/ancestors").json["items"]}
    assert {"OSTEOKG:0000106", "OSTEOKG:0000109", "OSTEOKG:0000010"} <= ancestors
    descendants = {i["id"] for i in client.get("/entities/OSTEOKG:0000011/descendants").json["items"]}
    assert {"OSTEOKG:0000102", "OSTEOKG:0000114"} <= descendants


@pytest.mark.parametrize("q, expected, match", [
    ("botontkalking", "OSTEOKG:0000100", "exact"),
    ("BOTONTK", "OSTEOKG:0000100", "prefix"),
    ("rontgenfoto", "OSTEOKG:0004002", "exact"),  # accent-insensitive
    ("avascular", "OSTEOKG:0000106", "prefix"),
    ("steonecro", "OSTEOKG:0000106", "words"),  # inside a word
    ("osteonekrose", "OSTEOKG:0000106", "fuzzy"),  # one typo
    ("necrose bot", "OSTEOKG:0000106", "words"),  # any order (botnecrose: a Dutch compound)
])
def test_search_dutch_english_case_and_accent_insensitive(client, q: str, expected: str, match: str) -> None:
    items = client.get("/search", query_string={"q": q}).json["items"]
    assert items[0]["id"] == expected and items[0]["match"]["type"] == match


def test_search_ranks_exact_before_prefix_before_words_before_fuzzy(client) -> None:
    types = [item["match"]["type"] for item in client.get("/search", query_string={"q": "botnecrose", "limit": 500}).json["items"]]
    assert types[0] == "exact" and types == sorted(types, key=["exact", "prefix", "words", "fuzzy"].index)


def test_suggest_gives_prefix_matches_for_search_as_you_type(client) -> None:
    body = client.get("/suggest", query_string={"q": "heupb", "lang": "nl"}).json
    assert body["limit"] == 10 and body["items"] and "total" not in body
    assert all(item["match"]["type"] in ("exact", "prefix") for item in body["items"])
    assert body["items"][0]["match"]["text"].casefold().startswith("heupb")
    assert len(client.get("/suggest", query_string={"q": "o", "limit": 3}).json["items"]) == 3
    assert client.get("/suggest", query_string={"q": "heupb", "limit": 0}).status_code == 400
    assert client.get("/suggest").status_code == 400 and client.get("/suggest?q=x&page=2").status_code == 400


def test_search_by_category(client) -> None:
    items = client.get("/search", query_string={"q": "scan", "category": "OSTEOKG:0000050"}).json["items"]
    assert items and all("OSTEOKG:0000050" in item["categories"] for item in items)


def test_categories_and_members(client) -> None:
    categories = {c["id"]: c for c in client.get("/categories").json["items"]}
    assert categories["OSTEOKG:0000050"]["members"] == 6
    members = client.get("/categories/OSTEOKG:0000020", query_string={"limit": 5}).json
    assert members["total"] == 17 and len(members["items"]) == 5 and members["limit"] == 5


def test_statements_with_typed_values_and_evidence(client) -> None:
    body = client.get("/statements", query_string={"about": "OSTEOKG:0000102", "lang": "nl"}).json
    values = {item["id"]: item for item in body["items"]}
    death = values["OSTEOKG:0007008"]
    assert (death["min_value"], death["max_value"], death["unit"]) == (10.0, 30.0, "%")
    assert death["evidence"]["quote"].startswith("Tien tot 30 procent")
    assert death["population_text"] == "patiënten na een heupfractuur"
    assert death["statement_kind"] == "percentage-range" and "minValue" not in death and "statementKind" not in death
    notes = client.get("/statements", query_string={"kind": "note"}).json
    assert notes["total"] == 22


def test_paging_envelope_and_maximum(client) -> None:
    body = client.get("/search", query_string={"q": "o", "limit": 3, "offset": 2}).json
    assert set(body) == {"items", "total", "limit", "offset"} and len(body["items"]) == 3 and body["offset"] == 2
    response = client.get("/search", query_string={"q": "o", "limit": 501})
    assert response.status_code == 400 and "limit" in response.json["detail"]


@pytest.mark.parametrize("url, status, words", [
    ("/entities/OSTEOKG:9999999", 404, "no entity OSTEOKG:9999999"),
    ("/entities/not-a-curie", 400, "not a CURIE"),
    ("/entities/FOO:123", 404, "unknown prefix"),  # an unknown prefix is an ID osteokg does not know
    ("/entities/NOPE:0000000", 404, "unknown prefix 'NOPE'"),  # issue 8: like any unknown ID, not a 400 or 500
    ("/entities/NOPE:0000000/relations", 404, "unknown prefix 'NOPE'"),
    ("/entities/OSTEOKG:12", 400, "seven digits"),
    ("/entities/OSTEOKG:0000106?lang=fr", 400, "lang"),
    ("/entities/OSTEOKG:0000106?colour=blue", 400, "colour"),
    ("/entities?iri=not%20an%20iri", 400, "not a valid absolute IRI"),
    ("/entities", 400, "iri"),
    ("/search", 400, "q"),
    ("/search?q=x&limit=abc", 400, "not a whole number"),
    ("/search?q=x&offset=-1", 400, "offset"),
    ("/search?q=x&category=OSTEOKG:0000106", 400, "not a category"),
    ("/entities/OSTEOKG:0000106/relations?direction=sideways", 400, "direction"),
    ("/entities/OSTEOKG:0000106/relations?predicate=OSTEOKG:0000010", 400, "not a relation"),
    ("/entities/OSTEOKG:0000106/relations?strength=sometimes", 400, "defining, main, most, often, proportion, generally, can"),
    ("/entities/OSTEOKG:0000106/relations?strength=okg:can", 400, "'okg:can' is not one of"),
    ("/entities/OSTEOKG:0000106/relations?strength=CAN", 400, "strength"),
    ("/entities/OSTEOKG:0000106/relations?strength=", 400, "strength"),
    ("/entities/OSTEOKG:0000106/relations?strength=%00%22%3E", 400, "strength"),
    ("/categories/OSTEOKG:0000106", 404, "not a category"),
    ("/nowhere", 404, "no such resource"),
])
def test_bad_requests_get_problem_json(client, url: str, status: int, words: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert words in response.json["detail"]


def test_wrong_method_and_unacceptable_type(client) -> None:
    response = client.delete(f"/entities/{OSTEONECROSIS}")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"
    response = client.get(f"/entities/{OSTEONECROSIS}", headers={"Accept": "image/png"})
    assert response.status_code == 406 and "text/turtle" in response.json["detail"]


def test_etag_and_cache_control_with_304(client) -> None:
    first = client.get(f"/entities/{OSTEONECROSIS}")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"] and "Accept" in first.headers["Vary"]
    again = client.get(f"/entities/{OSTEONECROSIS}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/entities/{OSTEONECROSIS}", headers={"Accept": "text/turtle"})
    assert other.headers["ETag"] != etag


def test_cors_without_credentials(client) -> None:
    response = client.options(f"/entities/{OSTEONECROSIS}", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_real_http_client_against_the_server(server: str) -> None:
    request = urllib.request.Request(f"{server}/entities/{OSTEONECROSIS}?lang=nl", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["label"] == "botnecrose"
    try:
        urllib.request.urlopen(f"{server}/entities/OSTEOKG:9999999", timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 404 and error.headers["Content-Type"] == "application/problem+json"
        assert "Traceback" not in error.read().decode()
    else:
        raise AssertionError("expected 404")


def test_a_foreign_code_leads_to_its_osteokg_entity(client) -> None:
    response = client.get("/entities/UBERON:0000981")
    assert response.status_code == 303 and response.headers["Location"].endswith("/entities/OSTEOKG:0001002")
    body = client.get("/xrefs/UBERON:0001435").json
    assert body["items"] == [{"id": "OSTEOKG:0001009", "iri": "https://w3id.org/osteokg/OSTEOKG_0001009",
                              "label": "small bones of the wrist", "match": "closeMatch",
                              "code": {"id": "UBERON:0001435", "iri": "http://purl.obolibrary.org/obo/UBERON_0001435",
                                       "label": "carpal bone"}}]  # the code with its official label
    assert client.get("/xrefs/UBERON:0099999").status_code == 404


def test_search_finds_entities_by_code(client) -> None:
    item = client.get("/search", query_string={"q": "uberon:0000981"}).json["items"][0]
    assert item["id"] == "OSTEOKG:0001002" and item["match"] == {
        "type": "exact", "field": "xref", "lang": None, "text": "UBERON:0000981"}


@pytest.mark.parametrize("curie", ["OSTEOKG:0000106", "OSTEOKG:0000107", "OSTEOKG:0007000", "OSTEOKG:0001002"])
def test_every_link_on_an_entity_page_resolves(client, curie: str) -> None:
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.hrefs: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            if tag == "a" and dict(attrs).get("href", "").startswith("/"):
                self.hrefs.append(dict(attrs)["href"])

    parser = Links()
    parser.feed(client.get(f"/entities/{curie}", headers={"Accept": "text/html"}).get_data(as_text=True))
    assert parser.hrefs
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # a page's links are followed by a browser
    broken = [(href, status) for href in sorted(set(parser.hrefs))
              if (status := client.get(href, headers=browser).status_code) >= 400]
    assert broken == []


# ---------------------------------------------------------------- qualified relations (issue 7)

STRENGTH_IDS = [f"okg:{name}" for name in ("defining", "main", "most", "often", "proportion", "generally", "can")]


def all_edges(client, curie: str, **query) -> list[dict]:
    body = client.get(f"/entities/{curie}/relations", query_string={"limit": 500, **query}).json
    assert body["total"] <= 500
    return body["items"]


@pytest.mark.parametrize("curie", ["OSTEOKG:0000106", "OSTEOKG:0000100", "OSTEOKG:0000011", "OSTEOKG:0000102",
                                   "OSTEOKG:0005002", "OSTEOKG:0001000"])
def test_every_evidence_item_is_qualified(client, curie: str) -> None:
    edges = all_edges(client, curie)
    assert edges
    for edge in edges:
        for evidence in edge["evidence"]:
            assert evidence["strength"]["id"] in STRENGTH_IDS and evidence["strength"]["label"], evidence
            assert evidence["evidence_kind"]["id"] in ("okg:quoted", "okg:combinedReading", "okg:citedTitle", "okg:definition")
            assert evidence["review_status"] in ("unreviewed", "accepted")
            assert all(isinstance(evidence[k], list) for k in ("context", "in_combination_with", "quantified_by"))
            if evidence["inferred"]:
                assert evidence["rule"]
                assert ("premise" in evidence) == (evidence["rule"] != "definition"), evidence
            else:
                assert "rule" not in evidence and "premise" not in evidence
        # the edge's strength is the strongest of its evidence
        assert edge["strength"] == min((ev["strength"] for ev in edge["evidence"]), key=lambda s: STRENGTH_IDS.index(s["id"]))


def test_a_premise_is_an_edge_of_the_graph(client) -> None:
    edges = all_edges(client, "OSTEOKG:0000106", inferred="true")
    premises = {(ev["premise"]["subject"]["id"], ev["premise"]["predicate"]["id"], ev["premise"]["object"]["id"])
                for edge in edges for ev in edge["evidence"] if "premise" in ev}
    assert premises
    for subject, predicate, target in premises:
        found = all_edges(client, subject, predicate=predicate, direction="out")
        assert target in {e["object"]["id"] for e in found}, (subject, predicate, target)


def test_definition_evidence_has_no_premise(client) -> None:
    # hip fracture ≡ fracture ⊓ has location some hip: the location follows from the definition
    (edge,) = [e for e in all_edges(client, "OSTEOKG:0000102", direction="out", predicate="OSTEOKG:0009003")
               if any(ev.get("rule") == "definition" for ev in e["evidence"])][:1]
    evidence = next(ev for ev in edge["evidence"] if ev.get("rule") == "definition")
    assert "premise" not in evidence
    assert evidence["strength"]["id"] == "okg:defining" and evidence["evidence_kind"]["id"] == "okg:definition"
    assert evidence["source"]["iri"] == "https://w3id.org/osteokg/osteokg.owl" and evidence["quote_lang"] == "en"


def test_condition_context_and_combination_of_real_edges(client) -> None:
    def fracture_liaison(lang: str) -> dict:
        edges = all_edges(client, "OSTEOKG:0000011", direction="out", predicate="OSTEOKG:0009018", lang=lang)
        return next(e for e in edges if e["object"]["id"] == "OSTEOKG:0006000")["evidence"][0]

    english, dutch = fracture_liaison("en"), fracture_liaison("nl")
    assert english["condition"]["id"] == "OSTEOKG:0000011" and [c["id"] for c in english["context"]] == ["OSTEOKG:0000100"]
    assert english["condition_text"] and dutch["condition_text"] and english["condition_text"] != dutch["condition_text"]
    assert dutch["condition"]["label"] == "fractuur"
    treated = {e["object"]["id"]: e for e in all_edges(client, "OSTEOKG:0000100", predicate="OSTEOKG:0009016")}
    combined = {c["id"] for ev in treated["OSTEOKG:0005000"]["evidence"] for c in ev["in_combination_with"]}
    assert {"OSTEOKG:0005001", "OSTEOKG:0005002"} <= combined


def test_strength_labels_follow_the_language(client) -> None:
    nl = all_edges(client, "OSTEOKG:0005003", lang="nl", direction="out")
    assert {"id": "okg:can", "label": "kan"} in [e["strength"] for e in nl]


def test_relations_filtered_by_strength(client) -> None:
    every = all_edges(client, "OSTEOKG:0000106")
    for name in ("defining", "can"):
        chosen = all_edges(client, "OSTEOKG:0000106", strength=name)
        assert chosen and all(e["strength"]["id"] == f"okg:{name}" for e in chosen)
        assert len(chosen) == sum(e["strength"]["id"] == f"okg:{name}" for e in every)


def test_relation_list_says_how_edges_pass_through_the_hierarchy(client) -> None:
    items = {item["id"]: item for item in client.get("/relations").json["items"]}
    assert all(isinstance(i["inherited_by_subclasses"], bool) and isinstance(i["generalizes_object"], bool)
               for i in items.values())
    assert (items["OSTEOKG:0009003"]["inherited_by_subclasses"], items["OSTEOKG:0009003"]["generalizes_object"]) == (False, True)
    assert (items["OSTEOKG:0009005"]["inherited_by_subclasses"], items["OSTEOKG:0009005"]["generalizes_object"]) == (True, True)


def test_entity_page_shows_strength_qualifiers_and_why(client) -> None:
    for lang, can, why, conditional in (("nl", "kan", "Waarom:", "als "), ("en", "can", "Why:", "if ")):
        page = client.get(f"/entities/OSTEOKG:0000011?lang={lang}", headers={"Accept": "text/html"}).get_data(as_text=True)
        edges = all_edges(client, "OSTEOKG:0000011", direction="out", predicate="OSTEOKG:0009018", lang=lang)
        text = next(e for e in edges if e["object"]["id"] == "OSTEOKG:0006000")["evidence"][0]["condition_text"]
        assert f">{can}</span>" in page and why in page
        assert escape(text) in page and (text.lower().startswith(conditional) or escape(conditional + text) in page)


# A hand-made graph with every qualifier (and text that could break a list or a page), served by both engines.
QUALIFIED = """
@prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
@prefix okg: <https://w3id.org/osteokg/vocab/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
OSTEOKG:0000010 a owl:Class ; rdfs:label "disorder"@en , "aandoening"@nl .
OSTEOKG:0000100 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ; rdfs:label "osteoporosis"@en , "osteoporose"@nl .
OSTEOKG:0000101 a owl:Class ; rdfs:subClassOf OSTEOKG:0000010 ; rdfs:label "fragility fracture"@en , "fragiliteitsfractuur"@nl .
OSTEOKG:0001002 a owl:Class ; rdfs:label "femur"@en , "dijbeen"@nl .
OSTEOKG:0005000 a owl:Class ; rdfs:label "vitamin D"@en , "vitamine D"@nl .
OSTEOKG:0007008 a OSTEOKG:0000091 ; rdfs:label "one in three"@en , "één op drie"@nl .
OSTEOKG:0008001 a dcterms:BibliographicResource ; rdfs:label "UZ Gent"@en .
<https://w3id.org/osteokg/osteokg.owl> a owl:Ontology , dcterms:BibliographicResource ; rdfs:label "osteokg"@en .
OSTEOKG:0009005 a owl:ObjectProperty ; rdfs:label "causes"@en , "veroorzaakt"@nl ; owl:inverseOf OSTEOKG:0009006 ;
    okg:inheritedBySubclasses true ; okg:generalizesObject false .
OSTEOKG:0009006 a owl:ObjectProperty ; rdfs:label "caused by"@en , "veroorzaakt door"@nl .
okg:defining rdfs:label "always"@en , "altijd"@nl ; okg:strengthOrder 1 .
okg:often rdfs:label "often"@en , "vaak"@nl ; okg:strengthOrder 4 .
okg:can rdfs:label "can"@en , "kan"@nl ; okg:strengthOrder 7 .
okg:quoted rdfs:label "quoted"@en , "geciteerd"@nl .
okg:definition rdfs:label "definition"@en , "definitie"@nl .
OSTEOKG:0000100 OSTEOKG:0009005 OSTEOKG:0000101 .
OSTEOKG:0000101 OSTEOKG:0009006 OSTEOKG:0000100 .
OSTEOKG:0000101 OSTEOKG:0009005 OSTEOKG:0001002 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009005 ;
   owl:annotatedTarget OSTEOKG:0000101 ; dcterms:source OSTEOKG:0008001 ; okg:quote "Osteoporose kan breuken geven."@nl ;
   okg:quoteTranslation "Osteoporosis can give <b>fractures</b> | 100% & more."@en ;
   okg:inferred false ; okg:strength okg:can ; okg:evidenceKind okg:quoted ; okg:reviewStatus "accepted" ;
   okg:reviewNote "Checked | 100% <ok>"@en ; okg:condition OSTEOKG:0005000 ;
   okg:conditionText "if 50% | more & <less>"@en , "als 50% | meer"@nl ;
   okg:context OSTEOKG:0001002 ; okg:inCombinationWith OSTEOKG:0005000 ; okg:quantifiedBy OSTEOKG:0007008 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009005 ;
   owl:annotatedTarget OSTEOKG:0000101 ; dcterms:source OSTEOKG:0008001 ;
   okg:quote "Osteoporose geeft <b>vaak</b> breuken."@nl ;
   okg:inferred false ; okg:strength okg:often ; okg:evidenceKind okg:quoted ; okg:reviewStatus "unreviewed" .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty OSTEOKG:0009006 ;
   owl:annotatedTarget OSTEOKG:0000100 ; dcterms:source OSTEOKG:0008001 ; okg:quote "Osteoporose kan breuken geven."@nl ;
   okg:inferred true ; okg:inferenceRule "inverse" ; okg:strength okg:can ; okg:evidenceKind okg:quoted ;
   okg:reviewStatus "unreviewed" ; okg:premiseSubject OSTEOKG:0000100 ; okg:premisePredicate OSTEOKG:0009005 ;
   okg:premiseObject OSTEOKG:0000101 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000101 ; owl:annotatedProperty OSTEOKG:0009005 ;
   owl:annotatedTarget OSTEOKG:0001002 ; dcterms:source <https://w3id.org/osteokg/osteokg.owl> ;
   okg:quote "A fracture of a weakened bone."@en ; okg:inferred true ; okg:inferenceRule "definition" ;
   okg:strength okg:defining ; okg:evidenceKind okg:definition ; okg:reviewStatus "unreviewed" .
"""


def _served_from(tmp_path_factory, turtle: str, engine: str):
    from api import create_app

    folder = tmp_path_factory.mktemp("qualified")
    Graph().parse(data=turtle, format="turtle").serialize(folder / "osteokg.nt", format="nt", encoding="utf-8")
    return create_app({"TESTING": True, "BUILD_DIR": str(folder), "STORE": engine}).test_client()


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def qualified(request, tmp_path_factory):
    return _served_from(tmp_path_factory, QUALIFIED, request.param)


def ref_of(digits: str, label: str) -> dict:
    return {"id": f"OSTEOKG:{digits}", "iri": f"https://w3id.org/osteokg/OSTEOKG_{digits}", "label": label}


def test_evidence_item_carries_every_qualifier(qualified) -> None:
    (edge,) = all_edges(qualified, "OSTEOKG:0000100", direction="out")
    assert edge["strength"] == {"id": "okg:often", "label": "often"}  # the strongest of can and often
    can, often = sorted(edge["evidence"], key=lambda ev: ev["strength"]["id"])
    assert can == {
        "source": ref_of("0008001", "UZ Gent"), "quote": "Osteoporose kan breuken geven.", "quote_lang": "nl",
        "translation": {"text": "Osteoporosis can give <b>fractures</b> | 100% & more.", "lang": "en"}, "inferred": False, "strength": {"id": "okg:can", "label": "can"},
        "evidence_kind": {"id": "okg:quoted", "label": "quoted"}, "review_status": "accepted",
        "review_note": "Checked | 100% <ok>", "condition": ref_of("0005000", "vitamin D"),
        "condition_text": "if 50% | more & <less>", "context": [ref_of("0001002", "femur")],
        "in_combination_with": [ref_of("0005000", "vitamin D")], "quantified_by": [ref_of("0007008", "one in three")]}
    assert often["review_status"] == "unreviewed" and "condition" not in often and "review_note" not in often
    assert often["translation"] is None  # a quote without an English rendering is shown alone
    assert often["context"] == often["in_combination_with"] == often["quantified_by"] == []
    nl = all_edges(qualified, "OSTEOKG:0000100", direction="out", lang="nl")[0]
    assert nl["strength"]["label"] == "vaak"
    assert next(ev for ev in nl["evidence"] if ev["strength"]["id"] == "okg:can")["condition_text"] == "als 50% | meer"
    assert all(ev["translation"] is None for ev in nl["evidence"])  # a Dutch reader reads the Dutch quote
    (summary,) = qualified.get("/entities/OSTEOKG:0000100").json["relations"]  # the entity's outgoing edge, whole
    assert summary == all_edges(qualified, "OSTEOKG:0000100", direction="out")[0]
    assert (summary["direction"], summary["subject"], summary["object"], summary["inferred"], summary["strength"]) == (
        "out", ref_of("0000100", "osteoporosis"), ref_of("0000101", "fragility fracture"), False,
        {"id": "okg:often", "label": "often"})
    assert summary["predicate"] == {**ref_of("0009005", "causes"), "labels": summary["predicate"]["labels"]}
    assert summary["predicate"]["labels"]["en"] == "causes" and len(summary["evidence"]) == 2


def test_inferred_evidence_names_its_rule_and_premise(qualified) -> None:
    edges = {(e["predicate"]["id"], e["object"]["id"]): e for e in all_edges(qualified, "OSTEOKG:0000101", direction="out")}
    (inverse,) = edges[("OSTEOKG:0009006", "OSTEOKG:0000100")]["evidence"]
    assert inverse["rule"] == "inverse" and inverse["premise"] == {
        "subject": ref_of("0000100", "osteoporosis"), "predicate": ref_of("0009005", "causes"),
        "object": ref_of("0000101", "fragility fracture")}
    (definition,) = edges[("OSTEOKG:0009005", "OSTEOKG:0001002")]["evidence"]
    assert definition["rule"] == "definition" and "premise" not in definition
    assert definition["source"]["iri"] == "https://w3id.org/osteokg/osteokg.owl"


def test_strength_filter_on_a_small_graph(qualified) -> None:
    assert [e["object"]["id"] for e in all_edges(qualified, "OSTEOKG:0000100", strength="often")] == ["OSTEOKG:0000101"]
    assert all_edges(qualified, "OSTEOKG:0000100", strength="can", direction="out") == []  # its strength is often
    assert [e["direction"] for e in all_edges(qualified, "OSTEOKG:0000100", strength="can")] == ["in"]
    response = qualified.get("/entities/OSTEOKG:0000100/relations?strength=vaak")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_small_graph_relation_flags(qualified) -> None:
    items = {i["id"]: i for i in qualified.get("/relations").json["items"]}
    assert (items["OSTEOKG:0009005"]["inherited_by_subclasses"], items["OSTEOKG:0009005"]["generalizes_object"]) == (True, False)
    assert items["OSTEOKG:0009006"]["inherited_by_subclasses"] is None  # the schema does not say


def test_entity_page_of_a_small_graph_is_escaped_and_explains(qualified) -> None:
    page = qualified.get("/entities/OSTEOKG:0000100?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "&lt;b&gt;vaak&lt;/b&gt;" in page and "<b>vaak" not in page
    assert "if 50% | more &amp; &lt;less&gt;" in page and "Checked | 100% &lt;ok&gt;" in page
    assert ">often</span>" in page and "in combination with" in page and "reviewed" in page
    page = qualified.get("/entities/OSTEOKG:0000101?lang=nl", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Waarom:</strong> de andere richting van" in page
    assert 'de andere richting van: <a href="/entities/OSTEOKG:0000100?lang=nl">' in page  # the premise, to its page
    assert "volgt uit de definitie van fragiliteitsfractuur" in page


def test_a_graph_without_qualifiers_still_answers(tmp_path_factory) -> None:
    """A graph built before issue 7: evidence with source, quote and okg:inferred only."""
    head = QUALIFIED[:QUALIFIED.index("okg:defining rdfs:label")]
    bare = head.replace("    okg:inheritedBySubclasses true ; okg:generalizesObject false .", "") + """
OSTEOKG:0000100 OSTEOKG:0009005 OSTEOKG:0000101 .
[] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ; owl:annotatedProperty OSTEOKG:0009005 ;
   owl:annotatedTarget OSTEOKG:0000101 ; dcterms:source OSTEOKG:0008001 ; okg:quote "Osteoporose kan breuken geven."@nl ;
   okg:inferred false .
"""
    client = _served_from(tmp_path_factory, bare.replace("owl:inverseOf OSTEOKG:0009006 ;", "owl:inverseOf OSTEOKG:0009006 ."),
                          "oxigraph")
    (edge,) = all_edges(client, "OSTEOKG:0000100", direction="out")
    assert edge["strength"] is None
    (evidence,) = edge["evidence"]
    assert (evidence["strength"], evidence["evidence_kind"], evidence["review_status"]) == (None, None, None)
    assert evidence["context"] == evidence["in_combination_with"] == evidence["quantified_by"] == []
    assert client.get("/entities/OSTEOKG:0000100", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/entities/OSTEOKG:0000100/relations?strength=can").json["total"] == 0
    assert client.get("/relations").json["items"][0]["inherited_by_subclasses"] is None


def test_the_entity_page_groups_synonyms_by_scope(client) -> None:
    """A narrower word is not offered as a synonym: 'kunstheup' is one kind of joint replacement."""
    page = client.get("/entities/OSTEOKG:0005011?lang=nl", headers={"Accept": "text/html"}).get_data(as_text=True)
    narrower = page.split("<strong>Engere woorden:</strong>", 1)[1].split("</p>", 1)[0]
    assert "kunstheup" in narrower and "artroplastiek" not in narrower
    assert "artroplastiek" in page.split("<strong>Zelfde betekenis:</strong>", 1)[1].split("</p>", 1)[0]


def test_every_entity_route_sends_what_jsonify_of_the_computed_answer_would(app, client, build_dir) -> None:
    """The JSON routes send the release's precomputed documents as is: the same bytes as Flask's jsonify of the
    answer the service computes from the store, links included, for every entity in both languages."""
    from kg.service import Service, open_release
    from kg.service.values import Resolved, curie_of

    computed = Service(open_release(build_dir, documents=False))
    most = app.config["PAGE_MAX"]
    assert app.extensions["osteokg"].documents is not None  # the served release reads its documents
    checked = 0
    with app.test_request_context():
        from api.entities import with_links

        for iri in computed.release.entries:
            resolved = Resolved(iri, curie_of(iri), "entity")
            if not iri.startswith("https://w3id.org/osteokg/OSTEOKG_"):
                continue
            for lang in ("en", "nl"):
                body = client.get(f"/entities/{resolved.id}?lang={lang}").data
                expected = app.json.response(with_links(computed.entity(resolved, lang), resolved)).data
                assert body == expected, (resolved.id, lang)
                relations = client.get(f"/entities/{resolved.id}/relations?lang={lang}&limit={most}").data
                assert relations == app.json.response(computed.relations(resolved, lang, limit=most).envelope()).data
                checked += 1
    assert checked > 300


def test_whole_numbers_are_ascii_digits(client) -> None:
    """Full-width digits (U+FF15) are not a limit: the document says integer, and the check is ASCII (fuzzing)."""
    answer = client.get("/search", query_string={"q": "bot", "limit": "\uff15"})
    assert answer.status_code == 400 and answer.json["parameter"] == "limit"


def test_offset_maximum_is_reachable(client) -> None:
    """The documented maximum (api.params.OFFSET_MAX, ten digits) is taken; one more is refused (fuzzing: a
    nine-digit check refused the maximum itself)."""
    from api.params import OFFSET_MAX

    taken = client.get("/entities/OSTEOKG:0000106/parents", query_string={"offset": OFFSET_MAX})
    assert taken.status_code == 200 and taken.json["items"] == []
    refused = client.get("/entities/OSTEOKG:0000106/parents", query_string={"offset": OFFSET_MAX + 1})
    assert refused.status_code == 400 and refused.json["parameter"] == "offset"


def test_a_parameter_given_twice_is_refused(client) -> None:
    for query in ("lang=nl&lang=xx", "lang=nl&lang=nl"):
        answer = client.get(f"/search?q=bot&{query}")
        assert answer.status_code == 400 and answer.json["parameter"] == "lang", query


def test_lang_is_checked_where_it_is_taken(client) -> None:
    """GET / answers its JSON without reading lang=; lang=AAA is still refused (fuzzing found it accepted)."""
    answer = client.get("/?lang=AAA")
    assert answer.status_code == 400 and answer.json["parameter"] == "lang"
    assert client.get("/?lang=nl").status_code == 200


@pytest.mark.parametrize("path,name", [("/statements?about=", "about"), ("/search?q=bot&category=", "category"),
                                       ("/entities/OSTEOKG:0000106/relations?predicate=", "predicate")])
def test_an_empty_curie_parameter_is_refused(client, path, name) -> None:
    """about= is not 'about anything': the document says a CURIE, and the empty string is none."""
    answer = client.get(path)
    assert answer.status_code == 400 and answer.json["parameter"] == name
