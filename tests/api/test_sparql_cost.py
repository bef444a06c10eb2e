"""The query-cost guard at the door: /sparql refuses a query that cannot finish with 422 problem+json (CORS,
the estimate, how to narrow it) before it runs, answers what can, and the competency questions all pass it."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from api import create_app, sparql

RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"  # the cross product with ORDER BY
COUNTED = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def guarded(build_dir: Path):
    """An app with the guard at its default (3 × the time limit), one query process; stopped after."""
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "SPARQL_WORKERS": 1})
    assert app.config["SPARQL_MAX_COST"] == 3.0
    try:
        yield app
    finally:
        sparql.shutdown(app)


@pytest.mark.parametrize("query", [RUNAWAY, COUNTED])
def test_a_query_that_cannot_finish_is_refused_before_it_runs(guarded, query: str) -> None:
    client = guarded.test_client()
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": query}, headers={"Origin": "https://example.org"})
    assert time.monotonic() - started < 5  # not after the 10 s limit
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    problem = response.json
    assert problem["title"] == "Query would not finish" and "Narrow the query" in problem["detail"]
    assert problem["estimated_seconds"] > 3 * problem["timeout_seconds"] == 30
    assert problem["estimated_rows"] > 10 ** 8
    # the same query is refused the same way when POSTed
    posted = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert posted.status_code == 422 and posted.json["estimated_rows"] == problem["estimated_rows"]


def test_what_can_finish_is_answered(guarded) -> None:
    client = guarded.test_client()
    for query in ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 3",  # a product that streams: stops early
                  "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) LIMIT 3",
                  ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                  "SELECT ?s ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l LIMIT 3")):
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
        assert response.status_code == 200, (query, response.json)


def test_every_competency_question_passes_the_guard(guarded) -> None:
    from api.graph import service

    client = guarded.test_client()
    with guarded.test_request_context("/"):
        texts = {q.name: service().competency_sparql(q.name, "en") for q in service().competency_questions()}
    assert len(texts) >= 20
    for name, text in texts.items():
        response = client.post("/sparql", data=text, content_type="application/sparql-query",
                               headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200, (name, response.json)
