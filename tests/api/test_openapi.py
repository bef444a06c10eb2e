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
