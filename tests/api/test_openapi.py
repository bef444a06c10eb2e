from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_3_1(client) -> None:
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented(app, client) -> None:
    documented = set(client.get("/openapi.json").json["paths"])
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        assert path in documented, f"{rule.rule} is not in /openapi.json"


def test_every_documented_error_code_is_problem_json(client) -> None:
    document = client.get("/openapi.json").json
    for item in document["paths"].values():
        for operation in item.values():
            for code, response in operation["responses"].items():
                if code.startswith("4") or code.startswith("5"):
                    assert "application/problem+json" in response["content"]


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
    (strength,) = [p for p in operation["parameters"] if p["name"] == "strength"]
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
