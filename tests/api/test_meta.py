from __future__ import annotations

import json
import urllib.request


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
