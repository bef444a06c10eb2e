"""The clinical REST routes."""
from __future__ import annotations

import json
import urllib.request

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


def test_language_follows_accept_language(client) -> None:
    response = client.get(f"/entities/{OSTEONECROSIS}", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert response.json["label"] == "botnecrose" and response.headers["Content-Language"] == "nl"


def test_entity_lists_its_relations_and_cross_references(client) -> None:
    femur = client.get("/entities/OSTEOKG:0001002").json
    assert {"id": "UBERON:0000981", "iri": "http://purl.obolibrary.org/obo/UBERON_0000981", "match": "exactMatch"} in femur["xrefs"]
    drug = client.get("/entities/OSTEOKG:0005003").json
    edges = {(r["predicate"], r["target"]["id"], r["inferred"]) for r in drug["relations"]}
    assert ("OSTEOKG:0009011", "OSTEOKG:0000108", False) in edges  # asserted: jaw osteonecrosis
    assert ("OSTEOKG:0009015", "OSTEOKG:0000100", True) in edges  # inherited: treats osteoporosis


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
    assert prednisone["predicate"]["labels"] == {"en": "can be caused by", "nl": "kan veroorzaakt worden door"}
    assert prednisone["inferred"] is True  # the inverse of an asserted side effect
    assert "prednison" in prednisone["evidence"][0]["quote"]
    assert prednisone["evidence"][0]["source"]["id"] == "OSTEOKG:0008002"
    asserted = client.get(f"/entities/{OSTEONECROSIS}/relations", query_string={"inferred": "false"}).json
    assert asserted["total"] > 0 and all(not item["inferred"] for item in asserted["items"])


def test_relation_list_with_mappings(client) -> None:
    items = {item["id"]: item for item in client.get("/relations").json["items"]}
    assert {"id": "biolink:disease_has_location", "match": "exactMatch"} in items["OSTEOKG:0009003"]["mappings"]
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
    ("steonecro", "OSTEOKG:0000106", "substring"),
])
def test_search_dutch_english_case_and_accent_insensitive(client, q: str, expected: str, match: str) -> None:
    items = client.get("/search", query_string={"q": q}).json["items"]
    assert items[0]["id"] == expected and items[0]["match"]["type"] == match


def test_search_ranks_exact_before_prefix_before_substring(client) -> None:
    types = [item["match"]["type"] for item in client.get("/search", query_string={"q": "botnecrose", "limit": 500}).json["items"]]
    assert types[0] == "exact" and types == sorted(types, key=["exact", "prefix", "substring"].index)


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
    assert (death["minValue"], death["maxValue"], death["unit"]) == (10.0, 30.0, "%")
    assert death["evidence"]["quote"].startswith("Tien tot 30 procent")
    assert death["populationText"] == "patiënten na een heupfractuur"
    notes = client.get("/statements", query_string={"kind": "note"}).json
    assert notes["total"] == 21


def test_paging_envelope_and_maximum(client) -> None:
    body = client.get("/search", query_string={"q": "o", "limit": 3, "offset": 2}).json
    assert set(body) == {"items", "total", "limit", "offset"} and len(body["items"]) == 3 and body["offset"] == 2
    response = client.get("/search", query_string={"q": "o", "limit": 501})
    assert response.status_code == 400 and "limit" in response.json["detail"]


@pytest.mark.parametrize("url, status, words", [
    ("/entities/OSTEOKG:9999999", 404, "no entity OSTEOKG:9999999"),
    ("/entities/not-a-curie", 400, "not a CURIE"),
    ("/entities/FOO:123", 400, "unknown prefix"),
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
                              "label": "small bones of the wrist", "match": "closeMatch", "code": "UBERON:0001435"}]
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
    broken = [(href, client.get(href).status_code) for href in set(parser.hrefs) if client.get(href).status_code >= 400]
    assert broken == []
