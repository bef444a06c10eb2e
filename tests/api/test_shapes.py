"""The JSON shapes a client relies on (issue 12): one edge shape wherever an edge appears, snake_case keys, the
answers valid by the OpenAPI document's schemas, and every 400 naming the parameter as the document names it.

Over the real graph (the session's build), every entity, both languages: the entity answer's ``relations`` and
``/entities/{id}/relations?direction=out`` give the same edge objects, byte for byte; no key of the entity,
relations or statements answers is camelCase; each answer validates against ``#/components/schemas/…``."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from api.openapi import document
from kg.service.shapes import EDGE_KEYS, is_snake_case, json_key
from kg.vocab import shorten

LANGS = ("en", "nl")


@pytest.fixture(scope="module")
def entities(app) -> list[str]:
    """Every entity of the release with a CURIE (all but the ontology itself, which has no edges)."""
    from api.graph import service

    with app.app_context():
        curies = [shorten(iri) for iri in service().release.entries]
    return [curie for curie in curies if not curie.startswith("http")]


def validator(schema: str) -> Draft202012Validator:
    """A validator of ``#/components/schemas/<schema>`` of the document the app serves (its $refs resolved in it)."""
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": document()["components"]})


def keys(value, path: str = "$"):
    """Every (path, key) of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from keys(item, f"{path}[]")


@pytest.mark.parametrize("name, key", [("minValue", "min_value"), ("maxValue", "max_value"), ("ageMin", "age_min"),
                                       ("timeFrameKind", "time_frame_kind"), ("statementKind", "statement_kind"),
                                       ("value", "value"), ("unit", "unit"), ("quoteTranslation", "quote_translation")])
def test_a_property_becomes_a_snake_case_key(name: str, key: str) -> None:
    assert json_key(name) == key and is_snake_case(key)
    assert not is_snake_case(name) or name == key


def test_the_entity_relations_are_the_relations_routes_edges(client, entities: list[str]) -> None:
    compared = 0
    for curie in entities:
        for lang in LANGS:
            entity = client.get(f"/entities/{curie}", query_string={"lang": lang})
            page = client.get(f"/entities/{curie}/relations", query_string={"lang": lang, "direction": "out",
                                                                            "limit": 500})
            assert entity.status_code == page.status_code == 200, curie
            edges = page.json["items"]
            assert page.json["total"] == len(edges), curie
            relations = entity.json["relations"]
            assert relations == edges, (curie, lang)
            # the same bytes: each edge of the entity's JSON is the route's edge as it is written
            assert [json.dumps(e, ensure_ascii=False) for e in relations] == \
                   [json.dumps(e, ensure_ascii=False) for e in edges], (curie, lang)
            assert all(tuple(e) == EDGE_KEYS and e["subject"]["id"] == curie for e in relations), curie
            compared += len(relations)
    assert compared > 300  # the real graph's outgoing edges, in both languages: this compared something


def test_an_incoming_edge_is_the_same_object_as_the_outgoing_one_seen_from_its_subject(client) -> None:
    """An edge seen from its object (direction in) is the subject's edge with only the direction changed."""
    incoming = client.get("/entities/OSTEOKG:0000108/relations", query_string={"direction": "in",
                                                                              "inferred": "false"}).json["items"]
    assert incoming
    for edge in incoming:
        subject = client.get(f"/entities/{edge['subject']['id']}").json["relations"]
        same = [e for e in subject if (e["predicate"]["id"], e["object"]["id"]) == (edge["predicate"]["id"],
                                                                                     edge["object"]["id"])]
        assert same == [{**edge, "direction": "out"}], edge["subject"]["id"]


def test_no_answer_has_a_camel_case_key(client, entities: list[str]) -> None:
    seen: set[str] = set()
    for lang in LANGS:
        answers = [("/statements", client.get("/statements", query_string={"kind": "any", "lang": lang,
                                                                             "limit": 500}).json)]
        for curie in entities:
            answers.append((f"/entities/{curie}", client.get(f"/entities/{curie}", query_string={"lang": lang}).json))
            answers.append((f"/entities/{curie}/relations",
                            client.get(f"/entities/{curie}/relations", query_string={"lang": lang, "limit": 500}).json))
        for route, answer in answers:
            for path, key in keys(answer):
                seen.add(key)
                assert is_snake_case(key), (route, path, key)
    # what the statements used to spell in camelCase is there, in snake_case
    assert {"min_value", "max_value", "statement_kind", "time_frame_kind", "population_text"} <= seen


def test_the_answers_match_the_documents_schemas(client, entities: list[str]) -> None:
    entity, edges, statements = validator("Entity"), validator("Edge"), validator("Statement")
    checked = 0
    for curie in entities[::5]:  # a fifth of the entities (the fuzz suite samples the rest): both languages
        for lang in LANGS:
            body = client.get(f"/entities/{curie}", query_string={"lang": lang}).json
            entity.validate(body)
            for edge in client.get(f"/entities/{curie}/relations", query_string={"lang": lang, "limit": 500}).json["items"]:
                edges.validate(edge)
                checked += 1
    for lang in LANGS:
        for item in client.get("/statements", query_string={"kind": "any", "lang": lang, "limit": 500}).json["items"]:
            statements.validate(item)
            checked += 1
    assert checked > 100


def test_the_edge_schema_refuses_the_old_summary_shape() -> None:
    """The document's Edge is strict: the entity's former relation summary does not pass for an edge."""
    old = {"predicate": "OSTEOKG:0009005", "predicate_label": "causes",
           "target": {"id": "OSTEOKG:0000101", "iri": "https://w3id.org/osteokg/OSTEOKG_0000101", "label": "x"},
           "inferred": False, "strength": None}
    assert not validator("Edge").is_valid(old)
    statement = {"id": "OSTEOKG:0007008", "iri": "https://w3id.org/osteokg/OSTEOKG_0007008", "label": "x",
                 "kind": "quantitative", "minValue": 10.0,
                 "about": {"id": "OSTEOKG:0000102", "iri": "https://w3id.org/osteokg/OSTEOKG_0000102", "label": "y"},
                 "evidence": {"source": {"id": "OSTEOKG:0008001", "iri": "i", "label": "s"}, "quote": "q",
                              "translation": None}}
    assert not validator("Statement").is_valid(statement)  # a camelCase key is not a documented one
    statement["min_value"] = statement.pop("minValue")
    assert validator("Statement").is_valid(statement)


# ---------------------------------------------------------------- every 400 names its parameter

#: a valid value for each path parameter, per route (the query parameter under test is the only bad value)
PATH_VALUES = {"/entities/{curie}": "OSTEOKG:0000106", "/categories/{curie}": "OSTEOKG:0000010",
               "/xrefs/{curie}": "ICD10WHO:M87"}
#: the query parameters no value refuses (any string is a valid one), so no 400 can name them
NO_INVALID_VALUE = {("/changes", "since"), ("/changes.atom", "since")}
#: operations outside the REST routes' parameter checks: the SPARQL protocol's own (api/sparql.py) and the CDS
#: Hooks door's feedback list behind its owner token (api/cds.py)
OTHER_DOORS = ("/sparql", "/cds-services/")


def bad_value(schema: dict) -> str | None:
    """A value the parameter's schema refuses, or None when it refuses none."""
    if schema.get("not") == {}:
        return "x"
    if "enum" in schema:
        return "zz-not-one"
    if schema.get("type") == "integer":
        return "many"
    if "pattern" in schema:
        candidate = " " if schema["pattern"] == "\\S" else "not a curie"
        return None if re.search(schema["pattern"], candidate) else candidate
    if schema.get("format") == "iri":
        return "not an iri"
    if schema.get("minLength"):
        return ""
    return None


def parameters(operation: dict, spec: dict) -> list[dict]:
    """An operation's parameters, a ``$ref`` (``#/components/parameters/…``) replaced by what it names."""
    found = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        found.append(parameter)
    return found


def operations():
    spec = document()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for parameter in parameters(operation, spec):
                if parameter["in"] == "query" and method == "get":
                    yield pytest.param(path, parameter["name"], parameter["schema"], id=f"{path}?{parameter['name']}")


def test_every_rest_query_parameter_is_walked() -> None:
    walked = {(path, name) for path, name, _ in (p.values for p in operations())}
    assert {("/search", "q"), ("/entities/{curie}/relations", "predicate"), ("/statements", "about"),
            ("/suggest", "limit"), ("/entities", "iri")} <= walked and len(walked) > 40


@pytest.mark.parametrize("path, name, schema", list(operations()))
def test_a_bad_value_is_refused_naming_its_parameter(client, path: str, name: str, schema: dict) -> None:
    if path.startswith(OTHER_DOORS):
        pytest.skip("another door's parameters (the SPARQL protocol, CDS Hooks): not the REST routes' checks")
    value = bad_value(schema)
    if value is None or (path, name) in NO_INVALID_VALUE:
        assert (path, name) in NO_INVALID_VALUE, f"{path}?{name}: no invalid value derived from {schema}"
        pytest.skip(f"{name} takes any value")
    route = next((r for r in PATH_VALUES if path.startswith(r)), None)
    url = path.replace("{curie}", PATH_VALUES[route]) if route else path
    query = {name: value}
    spec = document()
    if name != "q" and any(p["name"] == "q" and p.get("required") for p in parameters(spec["paths"][path]["get"], spec)):
        query["q"] = "bone"  # the route's required words, valid
    response = client.get(url, query_string=query, headers={"Accept": "application/json"})
    assert response.status_code == 400, (url, query, response.status_code, response.get_data(as_text=True)[:200])
    problem = response.json
    assert problem["parameter"] == name, (url, query, problem)
    assert f"'{name}'" in problem["detail"], (url, query, problem)


def test_the_explorer_reads_the_statements_snake_case_keys(client) -> None:
    """The statement's page reads its numbers and texts from the statement JSON (kg/service/pages.py, entity.html):
    under the snake_case keys they show as before."""
    statement = client.get("/statements", query_string={"about": "OSTEOKG:0000102", "lang": "nl", "kind": "any",
                                                         "limit": 500}).json["items"]
    death = next(s for s in statement if s["id"] == "OSTEOKG:0007008")
    page = client.get("/entities/OSTEOKG:0007008", query_string={"lang": "nl"}, headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>10 tot 30 %</strong> — patiënten na een heupfractuur" in text  # min_value, max_value, population_text
    assert death["population_text"] == "patiënten na een heupfractuur"
    if "time_frame_text" in death:
        assert death["time_frame_text"] in text


def test_every_code_in_an_answer_carries_the_label_the_graph_gives_it(app, client, entities: list[str]) -> None:
    """Each code an entity answer, a /xrefs answer or the relation list names comes with its official label, the
    one the graph gives it (ontology/code-labels.tsv: skos:prefLabel), and null only where the graph has none: SNOMED
    CT (licensed names), the Biolink, RO and BFO mappings of categories and relations, and the vocabulary's own
    values (a strength's HP frequency term)."""
    from api.graph import service

    with app.app_context():
        labels = dict(service().release.code_labels)
    codes: dict[str, str | None] = {}  # the codes of osteokg's own entities (OSTEOKG:…), which /xrefs answers for
    unnamed: set[str] = set()
    for curie in entities:
        for code in client.get(f"/entities/{curie}").json["xrefs"]:
            assert code["label"] == labels.get(code["iri"]), (curie, code)
            if code["label"] is None:
                unnamed.add(code["id"] if curie.startswith("OSTEOKG:") else curie)
            if curie.startswith("OSTEOKG:"):
                codes[code["id"]] = code["label"]
    for curie, label in codes.items():
        response = client.get(f"/xrefs/{curie}")
        assert response.status_code == 200, curie
        assert all(item["code"] == {**item["code"], "id": curie, "label": label} for item in response.json["items"])
    for relation in client.get("/relations").json["items"]:
        assert all(m["label"] == labels.get(m["iri"]) for m in relation["mappings"]), relation["id"]
    assert sum(1 for label in codes.values() if label) >= 150
    assert {c.split(":")[0] for c in unnamed if c.startswith(("SNOMEDCT:", "biolink:", "RO:", "BFO:"))} and \
        all(c.startswith(("SNOMEDCT:", "biolink:", "RO:", "BFO:", "okg:")) for c in unnamed), sorted(unnamed)
