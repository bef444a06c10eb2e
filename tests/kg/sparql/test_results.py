"""Answer serialization: the JSON written here equals pyoxigraph's; formats and the row cap."""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest

from kg.sparql.policy import Refusal
from kg.sparql.results import GRAPH_FORMATS, RESULT_FORMATS, serialize
from kg.sparql.worker import Engine


@pytest.fixture(scope="module")
def engine(nt_path: Path) -> Engine:
    return Engine(str(nt_path), max_rows=10_000, base_iri="http://127.0.0.1:8000/sparql")


def test_results_json_matches_pyoxigraph(engine: Engine) -> None:
    """Solutions are counted in Python, so their JSON is written here: it must equal pyoxigraph's."""
    queries = [
        "SELECT * WHERE { ?s ?p ?o }",
        "SELECT ?p ?o ?missing WHERE { <urn:x:a> ?p ?o OPTIONAL { ?o <urn:x:none> ?missing } }",
        "SELECT (1 AS ?i) (1.5 AS ?d) (true AS ?b) (\"x\" AS ?s) (\"y\"@nl AS ?l) (BNODE() AS ?n) WHERE {}",
        "SELECT (STRLANGDIR(\"a\", \"ar\", \"rtl\") AS ?dir) (<<( <urn:x:a> <urn:x:b> 1 )>> AS ?t) WHERE {}",
    ]
    for query in queries:
        reply = engine.answer(query, "json", None)
        assert reply["status"] == 200, reply
        ours = json.loads(reply["body"])
        theirs = json.loads(engine.store.run(query).serialize(format=pyoxigraph.QueryResultsFormat.JSON))
        if "BNODE" in query:  # fresh blank nodes differ per run: compare their shape only
            for document in (ours, theirs):
                document["results"]["bindings"][0]["n"]["value"] = "_"
        assert ours == theirs


def test_every_format_and_not_acceptable(engine: Engine) -> None:
    store = engine.store  # an OxigraphStore: run() gives pyoxigraph's result objects
    for fmt, (media, _) in RESULT_FORMATS.items():
        assert serialize(store.run("SELECT * { ?s ?p ?o } LIMIT 2"), fmt, None, 10)["content_type"] == media
        assert serialize(store.run("ASK {}"), fmt, None, 10)["content_type"] == media
    for fmt, (media, _) in GRAPH_FORMATS.items():
        assert serialize(store.run("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2"), None, fmt, 10)["content_type"] == media
    for query, results_format, graph_format in [("ASK {}", None, "turtle"), ("SELECT * {}", None, "turtle"),
                                                ("CONSTRUCT WHERE { ?s ?p ?o }", "csv", None)]:
        with pytest.raises(Refusal) as refused:
            serialize(store.run(query), results_format, graph_format, 10)
        assert refused.value.status == 406


def test_the_row_cap_refuses_rather_than_cuts(engine: Engine) -> None:
    for query, what in [("SELECT * { ?s ?p ?o } LIMIT 6", "rows"), ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 6", "triples")]:
        with pytest.raises(Refusal) as refused:
            serialize(engine.store.run(query), "json", "ntriples", 5)
        assert refused.value.status == 422 and f"5 {what}" in refused.value.detail and refused.value.extra == {"limit": 5}
    assert serialize(engine.store.run("SELECT * { ?s ?p ?o } LIMIT 5"), "json", None, 5)["status"] == 200


def test_relative_iris_resolve_against_the_base_iri(engine: Engine) -> None:
    reply = engine.answer("CONSTRUCT { <s> <p> 1 } WHERE {}", None, "ntriples")
    assert reply["status"] == 200, reply
    assert reply["body"].startswith(b"<http://127.0.0.1:8000/s> <http://127.0.0.1:8000/p> ")
