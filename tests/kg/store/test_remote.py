"""A remote store end to end: ``osteokg load --into`` an Oxigraph server and Virtuoso, the REST routes over
``STORE=<URL>`` (an Oxigraph server, Virtuoso) answering as the embedded store does, and ``osteokg serve
--store URL``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from kg.store import RemoteStore

from .conftest import Virtuoso, start_oxigraph, stop_oxigraph

ROUTES = ["/entities/OSTEOKG:0000106", "/entities/OSTEOKG:0000106?lang=nl", "/entities/OSTEOKG:0000108",
          "/entities/OSTEOKG:0001016", "/entities/OSTEOKG:0000106/relations?limit=500",
          "/entities/OSTEOKG:0000106/relations?direction=in&inferred=false", "/entities/OSTEOKG:0000108/parents",
          "/entities/OSTEOKG:0000106/children", "/entities/OSTEOKG:0000108/ancestors",
          "/entities/OSTEOKG:0000106/descendants", "/search?q=botnec", "/search?q=kaak&lang=nl", "/categories",
          "/categories/OSTEOKG:0000010", "/relations", "/statements", "/entities/OSTEOKG:0009999",
          "/entities/nope"]
REMOTES = ("remote", "virtuoso")


def _load(url: str, graph: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", "load", "--into", url, "--graph", str(graph),
                           "--timeout", "30"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_load_into_an_oxigraph_server(tmp_path: Path, mini_dir: Path) -> None:
    graph = mini_dir / "osteokg.nt"
    lines = sum(1 for line in graph.read_text(encoding="utf-8").splitlines() if line.strip())
    process, base = start_oxigraph(tmp_path / "store", read_only=False)
    try:
        for _ in range(2):  # a second load replaces the default graph, it does not add to it
            done = _load(f"{base}/store", graph)
            assert done.returncode == 0, done.stderr
            assert f"loaded {lines} triples" in done.stdout
            assert RemoteStore(f"{base}/query").triples() == lines
        wrong = _load(f"{base}/query", graph, OSTEOKG_STORE_USER="loader", OSTEOKG_STORE_PASSWORD="pw-s3cret")
        assert wrong.returncode == 2 and "answered 4" in wrong.stderr, wrong.stderr
        assert "s3cret" not in wrong.stderr + wrong.stdout
    finally:
        stop_oxigraph(process)
    gone = _load(f"{base}/store", graph)
    assert gone.returncode == 2 and "did not answer" in gone.stderr
    missing = _load(f"{base}/store", tmp_path / "none.nt")
    assert missing.returncode == 2 and "none.nt" in missing.stderr
    bad = _load("ftp://example.org/store", graph)
    assert bad.returncode == 2 and "http:// or https://" in bad.stderr


def test_load_into_virtuoso(virtuoso: Virtuoso, mini_dir: Path) -> None:
    """Virtuoso's Graph Store Protocol endpoint ``/sparql-graph-crud`` takes ``osteokg load --into URL?graph=G``
    only while its anonymous user may write (``grant SPARQL_UPDATE to "SPARQL"``, revoked right after); its
    authenticated endpoint wants HTTP Digest, and osteokg sends Basic: 401."""
    graph = mini_dir / "osteokg.nt"
    lines = sum(1 for line in graph.read_text(encoding="utf-8").splitlines() if line.strip())
    named = "https://w3id.org/osteokg/graph/loaded"
    into = f"{virtuoso.base}/sparql-graph-crud?graph={named}"
    refused = _load(into, graph)
    assert refused.returncode == 2 and "answered 403" in refused.stderr, refused.stderr
    virtuoso.isql('grant SPARQL_UPDATE to "SPARQL";')
    try:
        for _ in range(2):  # a PUT replaces the named graph, it does not add to it
            done = _load(into, graph)
            assert done.returncode == 0, done.stderr
            assert f"loaded {lines} triples" in done.stdout
            assert RemoteStore(virtuoso.store_url(named)).triples() == lines
    finally:
        virtuoso.isql('revoke SPARQL_UPDATE from "SPARQL";')
    try:
        again = _load(into, graph)
        assert again.returncode == 2 and "answered 403" in again.stderr, again.stderr
        digest = _load(f"{virtuoso.base}/sparql-graph-crud-auth?graph={named}", graph,
                       OSTEOKG_STORE_USER="dba", OSTEOKG_STORE_PASSWORD="dba")
        assert digest.returncode == 2 and "answered 401" in digest.stderr, digest.stderr
        assert RemoteStore(virtuoso.store_url()).triples() == lines  # the suite's graph is untouched
    finally:
        virtuoso.isql(f"SPARQL CLEAR GRAPH <{named}>;")
    assert RemoteStore(virtuoso.store_url(named)).triples() == 0


@pytest.fixture(scope="module")
def apps(mini_dir: Path, selectors: dict[str, str]):
    """The app over the embedded store and over each remote store that runs here (by backend name)."""
    from api import create_app, sparql

    made = {backend: create_app({"TESTING": True, "BUILD_DIR": str(mini_dir), "STORE": selectors[backend]})
            for backend in ("oxigraph", *REMOTES) if backend in selectors}
    yield made
    for app in made.values():
        sparql.shutdown(app)


@pytest.mark.parametrize("backend", REMOTES)
@pytest.mark.parametrize("route", ROUTES)
def test_rest_routes_answer_alike_over_a_remote_store(apps, backend: str, route: str) -> None:
    embedded, remote = apps["oxigraph"].test_client(), apps[backend].test_client()
    ours, theirs = embedded.get(route), remote.get(route)
    assert (theirs.status_code, theirs.get_json()) == (ours.status_code, ours.get_json()), route
    assert theirs.headers.get("ETag") == ours.headers.get("ETag"), route


@pytest.mark.parametrize("backend", REMOTES)
def test_health_over_a_remote_store(apps, backend: str) -> None:
    assert apps["oxigraph"].test_client().get("/health").status_code == 200
    assert apps[backend].test_client().get("/health").status_code == 200


@pytest.mark.parametrize("backend", REMOTES)
def test_serve_with_a_remote_store(mini_dir: Path, selectors: dict[str, str], apps, backend: str) -> None:
    from tests.api.conftest import start_server, stop_server

    routes = ROUTES[:6] if backend == "remote" else ROUTES[:12]
    process, base = start_server(mini_dir, extra_args=["--store", selectors[backend]])
    try:
        embedded = apps["oxigraph"].test_client()
        for route in routes:
            with urllib.request.urlopen(base + route, timeout=10) as response:
                assert json.loads(response.read()) == embedded.get(route).get_json(), route
    finally:
        stop_server(process)


def test_serve_refuses_a_bad_store(mini_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--out", str(mini_dir), "--store", "blazegraph:x",
                           "--port", "9"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown store" in done.stderr and "oxigraph:PATH" in done.stderr
