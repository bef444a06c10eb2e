from __future__ import annotations

import json
import urllib.request

import pytest


def test_health_is_ready_and_never_cached(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["triples"] > 5000
    assert response.headers["Cache-Control"] == "no-store"


def test_version_names_the_ontology_build_and_graph_hash(client, build_dir) -> None:
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    body = client.get("/version").json
    assert body["version_iri"] == "https://w3id.org/osteokg/releases/0.1.0/osteokg.owl"
    assert body["graph_sha256"] == manifest["graph_sha256"] and body["built_at"] == manifest["built_at"]
    assert body["store"] == "oxigraph"


def test_real_server_answers_health_and_version(server: str) -> None:
    with urllib.request.urlopen(f"{server}/health", timeout=10) as response:
        assert response.status == 200 and json.load(response)["status"] == "ok"
    with urllib.request.urlopen(f"{server}/version", timeout=10) as response:
        assert json.load(response)["ontology"] == "https://w3id.org/osteokg/osteokg.owl"


def test_ontology_documentation_is_served(client) -> None:
    response = client.get("/ontology")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "OSTEOKG_0000106" in page and "botnecrose" in page


def test_release_files_are_served(client) -> None:
    for name, media_type in (("osteokg.owl", "application/rdf+xml"), ("osteokg.sssom.tsv", "text/tab-separated-values"),
                             ("osteokg_edges.tsv", "text/tab-separated-values"), ("qc-report.tsv", "text/tab-separated-values"),
                             ("review.html", "text/html"), ("review.tsv", "text/tab-separated-values")):
        response = client.get(f"/ontology/{name}")
        assert response.status_code == 200 and response.mimetype == media_type, name
        assert len(response.data) > 100
    assert "Wervelfractuur kán gepaard gaan met plotse hevige rugpijn." in client.get(
        "/ontology/review.html").get_data(as_text=True)
    response = client.get("/ontology/..%2Fmanifest.json")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.get("/ontology/locations.json").status_code == 404


def test_serve_keeps_serving_the_previous_build_when_a_rebuild_fails(build_dir, ontology_copy, tmp_path) -> None:
    import os
    import shutil
    import time

    from tests.api.conftest import start_server, stop_server

    previous = tmp_path / "build"
    shutil.copytree(build_dir, previous)
    with (ontology_copy / "relations.tsv").open("a", encoding="utf-8") as handle:
        handle.write("osteoporsis\ttreats\tbone\tOSTEOKG:0008001\ta quote of the text\n")  # a broken row
    later = time.time() + 120
    os.utime(ontology_copy / "relations.tsv", (later, later))  # newer than the build: serve rebuilds first
    process, base = start_server(previous, extra_args=["--ontology", str(ontology_copy)])
    try:
        with urllib.request.urlopen(f"{base}/version", timeout=10) as response:
            assert json.load(response)["graph_sha256"] == json.loads((build_dir / "manifest.json").read_text())["graph_sha256"]
    finally:
        stop_server(process)


@pytest.mark.parametrize("path", ["/health", "/version", "/ontology", "/ontology/osteokg.ttl", "/openapi.json", "/docs"])
def test_routes_without_parameters_refuse_any(client, path) -> None:
    """/health?x=1 is refused like an unknown parameter on every other route (the fuzzing found it accepted)."""
    answer = client.get(path, query_string={"x": "1"})
    assert answer.status_code == 400 and answer.json["parameter"] == "x"
