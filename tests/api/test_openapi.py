from __future__ import annotations

import re

from openapi_spec_validator import validate

from api.pinning import openapi_path


def test_openapi_document_is_valid_3_1(client) -> None:
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented(app, client) -> None:
    documented = set(client.get("/openapi.json").json["paths"])
    for rule in app.url_map.iter_rules():
        path = openapi_path(rule.rule)
        assert path in documented, f"{rule.rule} is not in /openapi.json"


#: the MCP transport's refusals are its own (JSON-RPC error objects, or the mount's plain text), not problem+json
NOT_PROBLEMS = {"/mcp"}


def test_every_documented_error_code_is_problem_json(client) -> None:
    document = client.get("/openapi.json").json
    for path, item in document["paths"].items():
        for operation in item.values():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")) and path not in NOT_PROBLEMS:
                    assert "application/problem+json" in response["content"]


def test_served_document_is_the_one_the_fuzzer_reads(client) -> None:
    from api.openapi import document

    assert client.get("/openapi.json").json == document()  # tests/api/test_fuzz.py generates from document()


def test_mcp_is_documented_as_post_json_rpc(client) -> None:
    operation = client.get("/openapi.json").json["paths"]["/mcp"]
    assert set(operation) == {"post"}  # a GET is 405
    body = operation["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["jsonrpc", "method"] and {"200", "202", "400", "406"} <= set(operation["post"]["responses"])


def test_curie_pattern_is_what_the_service_takes(client) -> None:
    """The documented CURIE pattern: known prefixes (an upper-case one in any case), an osteokg ID of seven digits."""
    from api.openapi import CURIE_PATTERN

    pattern = re.compile(CURIE_PATTERN)
    for taken in ("OSTEOKG:0000106", "osteokg:0000106", "UBERON:0001474", "uberon:0001474", "okg:can", "ICD10WHO:M87"):
        assert pattern.match(taken), taken
        assert client.get(f"/entities/{taken}").status_code in (200, 303, 404), taken
    for refused in ("OSTEOKG:106", "OSTEOKG:abc", "NOPE:1", "OKG:can", "UBERON:", ":1", "UBERON:1 2"):
        assert not pattern.match(refused), refused
        assert client.get("/statements", query_string={"about": refused}).status_code == 400, refused


def test_paging_maxima_are_documented(client) -> None:
    from api.params import OFFSET_MAX

    paths = client.get("/openapi.json").json["paths"]
    parameters = {p["name"]: p["schema"] for p in paths["/search"]["get"]["parameters"] if "name" in p}  # not the $refs
    assert parameters["offset"]["maximum"] == OFFSET_MAX and parameters["limit"]["maximum"] == 500
    suggest = {p["name"]: p["schema"] for p in paths["/suggest"]["get"]["parameters"] if "name" in p}
    assert suggest["limit"]["maximum"] == 500
    assert client.get("/suggest", query_string={"q": "bot", "limit": 501}).status_code == 400


def test_redirects_are_documented(client) -> None:
    """A foreign code where an entity is expected is a 303: documented on every route that gives it."""
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/entities/{curie}", "/entities", "/entities/{curie}/relations", "/entities/{curie}/parents",
                 "/entities/{curie}/graph", "/OSTEOKG_{digits}"):
        assert "303" in paths[path]["get"]["responses"], path
    assert client.get("/entities/ICD10WHO:M87").status_code == 303


def test_release_file_types_are_documented(client) -> None:
    content = client.get("/openapi.json").json["paths"]["/ontology/{name}"]["get"]["responses"]["200"]["content"]
    assert content["application/ld+json"]["schema"] == {"type": "object"}
    answer = client.get("/ontology/osteokg.jsonld")
    assert answer.status_code == 200 and isinstance(answer.json, dict)


def test_dataset_parameters_admit_no_value(client) -> None:
    get = client.get("/openapi.json").json["paths"]["/sparql"]["get"]
    schemas = {p["name"]: p["schema"] for p in get["parameters"]}
    assert schemas["default-graph-uri"] == schemas["named-graph-uri"] == {"not": {}}
    for name in ("default-graph-uri", "named-graph-uri"):
        assert client.get("/sparql", query_string={"query": "ASK {}", name: ""}).status_code == 400


def test_docs_page_is_readable_html(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert b"/entities/{curie}/relations" in response.data and b"problem+json" in response.data


def schema_validator(document: dict, name: str):
    """A JSON Schema validator for ``#/components/schemas/{name}`` of the OpenAPI document (3.1: JSON Schema 2020-12)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:osteokg:openapi", Resource.from_contents(document, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:osteokg:openapi#/components/schemas/{name}"}, registry=registry)


def test_answers_match_the_documented_schemas(client) -> None:
    document = client.get("/openapi.json").json
    edge, entity, relation = (schema_validator(document, n) for n in ("Edge", "Entity", "Relation"))
    for curie in ("OSTEOKG:0000106", "OSTEOKG:0000011", "OSTEOKG:0000102"):
        for item in client.get(f"/entities/{curie}/relations", query_string={"limit": 500}).json["items"]:
            edge.validate(item)
            assert not edge.is_valid({**item, "strength": "can"})  # the schema is checked, not skipped
            assert not edge.is_valid({**item, "evidence": [{**item["evidence"][0], "context": None}]})
        entity.validate(client.get(f"/entities/{curie}", query_string={"lang": "nl"}).json)
    for item in client.get("/relations").json["items"]:
        relation.validate(item)


def test_strength_parameter_is_documented(client) -> None:
    operation = client.get("/openapi.json").json["paths"]["/entities/{curie}/relations"]["get"]
    (strength,) = [p for p in operation["parameters"] if p.get("name") == "strength"]
    assert strength["schema"]["enum"] == ["defining", "main", "most", "often", "proportion", "generally", "can"]


def test_evidence_and_statements_carry_the_documented_translation(client) -> None:
    document = client.get("/openapi.json").json
    edge, statement = (schema_validator(document, n) for n in ("Edge", "Statement"))
    for lang in ("en", "nl"):
        items = client.get("/entities/OSTEOKG:0000106/relations", query_string={"limit": 500, "lang": lang}).json["items"]
        evidence = [ev for item in items for ev in item["evidence"]]
        for item in items:
            edge.validate(item)
            bare = {**item, "evidence": [{k: v for k, v in item["evidence"][0].items() if k != "translation"}]}
            assert not edge.is_valid(bare)  # the key is always there, null or not
        dutch = [ev for ev in evidence if ev["quote_lang"] == "nl"]
        assert dutch and all((ev["translation"] is not None) == (lang == "en") for ev in dutch)
        statements = client.get("/statements", query_string={"kind": "any", "lang": lang, "limit": 500}).json["items"]
        for item in statements:
            statement.validate(item)
            assert (item["evidence"]["translation"] is not None) == (lang == "en")
        assert not statement.is_valid({**statements[0], "evidence": {**statements[0]["evidence"], "translation": "x"}})


def test_cds_requests_are_documented_as_checked(client) -> None:
    """The service ids, the request's fields and the owner's paging maxima, as api/cds.py checks them (the fuzzing
    found the owner's view refusing a limit the document allowed)."""
    paths = client.get("/openapi.json").json["paths"]
    call = paths["/cds-services/{service_id}"]["post"]
    assert call["parameters"][0]["schema"]["enum"] == [s["id"] for s in client.get("/cds-services").json["services"]]
    body = call["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["context"]["required"] == ["userId", "patientId"]
    view = {p["name"]: p["schema"] for p in paths["/cds-services/{service_id}/feedback"]["get"]["parameters"]}
    assert view["limit"]["maximum"] == 500
    feedback = paths["/cds-services/{service_id}/feedback"]["post"]["requestBody"]["content"]["application/json"]
    assert feedback["schema"]["properties"]["feedback"]["maxItems"] == 100


def test_sparql_answers_are_typed(client) -> None:
    content = client.get("/openapi.json").json["paths"]["/sparql"]["get"]["responses"]["200"]["content"]
    assert content["application/sparql-results+json"]["schema"]["type"] == "object"
    answer = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200 and answer.json["boolean"] is True and "head" in answer.json


def refs(value) -> set[str]:
    """Every $ref in a JSON value."""
    if isinstance(value, dict):
        return {value["$ref"]} if "$ref" in value else set().union(*(refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(refs(v) for v in value)) if value else set()
    return set()


def test_one_edge_schema_referenced_wherever_an_edge_appears(client) -> None:
    document = client.get("/openapi.json").json
    schemas = document["components"]["schemas"]
    edge = "#/components/schemas/Edge"
    assert schemas["Entity"]["properties"]["relations"]["items"] == {"$ref": edge}
    relations = document["paths"]["/entities/{curie}/relations"]["get"]["responses"]["200"]
    assert relations["content"]["application/json"]["schema"]["properties"]["items"]["items"] == {"$ref": edge}
    assert "RelationSummary" not in schemas  # the entity's former summary of an edge: no second shape
    assert {"#/components/schemas/Ref", "#/components/schemas/Evidence", "#/components/schemas/Predicate"} <= refs(
        schemas["Edge"])
    # no other schema describes an object with an edge's ends and predicate (the one shape, not a look-alike)
    ends = {"subject", "predicate", "object"}
    look_alikes = [name for name, schema in schemas.items() if name not in ("Edge", "Premise")
                   and ends <= set(schema.get("properties", {}))]
    assert look_alikes == []


def test_the_api_version_is_bumped_and_its_changes_listed(client) -> None:
    from pathlib import Path

    from api.openapi import API_VERSION

    assert client.get("/openapi.json").json["info"]["version"] == API_VERSION != "0.1.0"
    changelog = (Path(__file__).resolve().parents[2] / "docs" / "changelog.md").read_text(encoding="utf-8")
    assert f"## {API_VERSION}" in changelog and "predicate_label" in changelog and "min_value" in changelog
