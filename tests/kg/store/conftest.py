"""Fixtures of the store contract suite: the mini graph (tests/data/mini/README.md) and one store per backend.

The mini graph is cut from the real graph (built in memory once per session) around the seed terms of
``tests/data/mini/seeds.txt``; an Oxigraph server (PyPI ``oxigraph``) is loaded with it and served
read-only on a free 127.0.0.1 port for the session, and stopped at the end.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDFS

from kg.build import graph_hash
from kg.store import open_store

from tests.api.conftest import stop_server

MINI = Path(__file__).resolve().parents[2] / "data" / "mini"
OSTEOKG = "https://w3id.org/osteokg/OSTEOKG_"
ABOUT = URIRef("https://w3id.org/osteokg/vocab/about")
BACKENDS = ("oxigraph", "rdflib", "remote")
WAIT = 30.0  # seconds the Oxigraph server may take to answer


def seeds() -> list[str]:
    """The seed IRIs of tests/data/mini/seeds.txt."""
    lines = (MINI / "seeds.txt").read_text(encoding="utf-8").splitlines()
    return [OSTEOKG + line.split("\t")[0].split(":")[1] for line in lines if line and not line.startswith("#")]


def _number(node) -> int | None:
    text = str(node)
    if isinstance(node, URIRef) and text.startswith(OSTEOKG) and text[len(OSTEOKG):].isdigit():
        return int(text[len(OSTEOKG):])
    return None


def cut(graph: Graph, seed_iris: list[str]) -> Graph:
    """The seeds with their ancestors; every category, relation, source and vocabulary term; the statements
    about kept terms; the evidence nodes of kept edges and the blank nodes kept triples reach."""
    terms = {URIRef(iri) for iri in seed_iris}
    todo = list(terms)
    while todo:
        for parent in graph.objects(todo.pop(), RDFS.subClassOf):
            if isinstance(parent, URIRef) and parent not in terms:
                terms.add(parent)
                todo.append(parent)

    def kept(node) -> bool:
        number = _number(node)
        if number is None or number < 100 or number >= 8000:
            return True
        if number < 7000:
            return node in terms
        about = graph.value(node, ABOUT)
        return about is None or about in terms

    mini = Graph()
    reached: list[BNode] = []
    for s, p, o in graph:
        if isinstance(s, URIRef) and kept(s) and kept(o):
            mini.add((s, p, o))
            if isinstance(o, BNode):
                reached.append(o)
    for axiom in set(graph.subjects(OWL.annotatedSource, None)):
        source, target = graph.value(axiom, OWL.annotatedSource), graph.value(axiom, OWL.annotatedTarget)
        if isinstance(axiom, BNode) and kept(source) and kept(target):
            reached.append(axiom)
    seen: set[BNode] = set()
    while reached:
        node = reached.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            mini.add((node, p, o))
            if isinstance(o, BNode):
                reached.append(o)
    return mini


@pytest.fixture(scope="session")
def mini_dir(tmp_path_factory, built) -> Path:
    """A build folder holding only the mini graph (``osteokg.nt``) and a manifest for it."""
    out = tmp_path_factory.mktemp("mini") / "build"
    out.mkdir()
    nt = out / "osteokg.nt"
    cut(built.graph, seeds()).serialize(nt, format="nt", encoding="utf-8")
    version = next(iter(built.graph.objects(None, OWL.versionIRI)), None)
    manifest = {"version_iri": str(version) if version else None, "graph_sha256": graph_hash(nt), "mini": True}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    data = urllib.parse.urlencode({"query": "ASK {}"}).encode("ascii")
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_oxigraph(location: Path, read_only: bool = True) -> tuple[subprocess.Popen, str]:
    """``oxigraph serve[-read-only]`` over ``location`` on a free 127.0.0.1 port; (process, base URL) once it
    answers (bounded by :data:`WAIT`)."""
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.fail("the Oxigraph server is not installed: pip install oxigraph (in the test extras)")
    port = _free_port()
    command = "serve-read-only" if read_only else "serve"
    process = subprocess.Popen([binary, command, "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oxigraph {command} ended early: {process.stderr.read().decode(errors='replace')}")
        if _answers(f"{base}/query"):
            return process, base
        time.sleep(0.1)
    stop_oxigraph(process)
    raise RuntimeError(f"oxigraph {command} did not answer within {WAIT:g} s")


def stop_oxigraph(process: subprocess.Popen) -> None:
    stop_server(process, wait=10)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory, mini_dir: Path):
    """The SPARQL query URL of an Oxigraph server over the mini graph (loaded with ``oxigraph load``)."""
    location = tmp_path_factory.mktemp("oxigraph-server")
    subprocess.run([shutil.which("oxigraph") or "oxigraph", "load", "--location", str(location),
                    "--file", str(mini_dir / "osteokg.nt")], check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process, base = start_oxigraph(location)
    yield f"{base}/query"
    stop_oxigraph(process)


@pytest.fixture(scope="session")
def selectors(mini_dir: Path, oxigraph_server: str) -> dict[str, str]:
    """Each backend's selector over the mini graph."""
    return {"oxigraph": f"oxigraph:{mini_dir}", "rdflib": f"rdflib:{mini_dir / 'osteokg.nt'}",
            "remote": oxigraph_server}


@pytest.fixture(scope="session")
def stores(selectors: dict[str, str]) -> dict:
    return {backend: open_store(selector) for backend, selector in selectors.items()}


@pytest.fixture(scope="session")
def services(mini_dir: Path, selectors: dict[str, str]) -> dict:
    from kg.service import Service, open_release

    return {backend: Service(open_release(mini_dir, selector)) for backend, selector in selectors.items()}
