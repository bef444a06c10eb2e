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
