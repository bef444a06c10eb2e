"""The two embedded engines answer the named queries alike (rows as plain values); the store selector; the
remote store's credentials and time-outs (the contract suite over every backend is tests/kg/store/)."""
from __future__ import annotations

import ast
import base64
import http.server
import json
import socket
import urllib.parse
import threading
import time
from pathlib import Path

import pyoxigraph
import pytest

import kg
from kg import queries
from kg.store import (OxigraphStore, RdflibStore, RemoteStore, Selector, SelectorError, StoreError, open_store,
                      parse_selector, solutions)
from tests.local_server import LocalServer, serving

ROOT = Path(kg.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, built) -> dict:
    path = Path(tmp_path_factory.mktemp("store")) / "osteokg.nt"
    built.graph.serialize(path, format="nt", encoding="utf-8")
    return {engine: open_store(path, engine) for engine in ("oxigraph", "rdflib")}


@pytest.mark.parametrize("entity", ["0000106", "0000120", "0001016"])  # many edges; none out; none at all
@pytest.mark.parametrize("query", ["relations-out", "relations-in"])
def test_grouped_queries_give_the_same_rows_on_both_engines(stores, query: str, entity: str) -> None:
    term = pyoxigraph.NamedNode(f"https://w3id.org/osteokg/OSTEOKG_{entity}")
    answers = {engine: store.select(query, entity=term) for engine, store in stores.items()}
    key = lambda row: sorted((k, v.value) for k, v in row.items() if k != "qualifiers")  # noqa: E731
    assert sorted(map(key, answers["rdflib"])) == sorted(map(key, answers["oxigraph"]))
    assert all(row for rows in answers.values() for row in rows)  # no empty row for "no group"


# ---------------------------------------------------------------------------------------- the selector


def test_selector_forms(tmp_path: Path) -> None:
    nt = tmp_path / "osteokg.nt"
    assert parse_selector(f"oxigraph:{tmp_path}") == Selector("oxigraph", str(nt))
    assert parse_selector(f"rdflib:{nt}") == Selector("rdflib", str(nt))
    assert parse_selector("oxigraph", tmp_path) == Selector("oxigraph", str(nt))  # the old form, as the API passes it
    assert parse_selector("rdflib", tmp_path) == Selector("rdflib", str(nt))
    assert parse_selector(tmp_path) == Selector("oxigraph", str(nt))
    remote = parse_selector("http://127.0.0.1:7878/query")
    assert remote.remote and remote.location == "http://127.0.0.1:7878/query"
    assert parse_selector("https://sparql.example.org/sparql?default-graph-uri=urn:x").remote


@pytest.mark.parametrize("selector", ["virtuoso", "oxigraph:", "ftp://host/sparql", "http://", "file:build/osteokg.nt", ""])
def test_a_bad_selector_names_the_allowed_forms(selector: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector(selector)
    message = str(caught.value)
    assert "oxigraph:PATH" in message or "http" in message


def test_the_old_call_still_works_and_names_a_missing_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="osteokg build"):
        open_store(tmp_path / "osteokg.nt", "oxigraph")
    with pytest.raises(SelectorError, match="unknown store"):
        open_store(tmp_path / "osteokg.nt", "blazegraph")


def test_credentials_never_in_a_url_nor_a_message(monkeypatch) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector("http://admin:s3cret@127.0.0.1:7878/query")
    assert "s3cret" not in str(caught.value) and "OSTEOKG_STORE_USER" in str(caught.value)


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 401 and records the Authorization header (or waits, for the time-out test, until its test ends)."""

    seen: list[str | None] = []
    delay = 0.0
    release = threading.Event()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.headers.get("Authorization"))
        if self.delay:
            self.release.wait(self.delay)
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"authentication required")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.seen, _Recorder.delay, _Recorder.release = [], 0.0, threading.Event()
    with serving(LocalServer(_Recorder), before_stop=_Recorder.release) as server:
        yield f"http://127.0.0.1:{server.port}/query"


def test_remote_credentials_come_from_the_environment_and_stay_out_of_errors(recorder, monkeypatch, caplog) -> None:
    monkeypatch.setenv("OSTEOKG_STORE_USER", "reader")
    monkeypatch.setenv("OSTEOKG_STORE_PASSWORD", "s3cret-pw")
    store = RemoteStore(recorder)
    with pytest.raises(StoreError) as caught:
        store.triples()
    assert _Recorder.seen == ["Basic " + base64.b64encode(b"reader:s3cret-pw").decode()]
    message = str(caught.value)
    assert "401" in message and recorder in message
    assert "s3cret" not in message and "reader" not in message and "s3cret" not in caplog.text
    assert "s3cret" not in repr(store) and "s3cret" not in store.selector


def test_a_remote_store_that_does_not_answer_is_bounded(recorder) -> None:
    _Recorder.delay = 3.0
    started = time.monotonic()
    with pytest.raises(StoreError, match="did not answer within 0.5 s"):
        RemoteStore(recorder, timeout=0.5).select("entity-exists", entity=pyoxigraph.NamedNode("urn:x"))
    assert time.monotonic() - started < 2.5


def test_a_closed_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}/query did not answer"):
        RemoteStore(f"http://127.0.0.1:{port}/query", timeout=2).triples()


class _Counter(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint that records the query it is sent and answers a count of 42."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        type(self).seen.append(urllib.parse.parse_qs(body)["query"][0])
        answer = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {
            "type": "literal", "value": "42", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}
        data = json.dumps(answer).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def test_a_remote_store_counts_by_the_named_query() -> None:
    _Counter.seen = []
    with serving(LocalServer(_Counter)) as server:
        assert RemoteStore(f"http://127.0.0.1:{server.port}/query", timeout=5).triples() == 42
    assert _Counter.seen == [queries.text("count-triples")]


# ---------------------------------------------------------------------------------------- built from what callers hold

NT = (b'<urn:x:a> <http://www.w3.org/2000/01/rdf-schema#label> "botnecrose"@nl .\n'
      b'<urn:x:a> <urn:x:count> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
      b'<urn:x:a> <urn:x:part> _:b1 .\n'
      b'_:b1 <urn:x:name> "plain" .\n')


def test_stores_from_a_graph_bytes_and_a_file_hold_the_same(tmp_path: Path) -> None:
    from rdflib import BNode, Graph

    graph = Graph()
    graph.parse(data=NT, format="nt")
    path = tmp_path / "small.nt"
    path.write_bytes(NT)
    made = [OxigraphStore.from_graph(graph), OxigraphStore.from_bytes(NT), OxigraphStore.from_file(path),
            OxigraphStore(path), RdflibStore.from_graph(graph), RdflibStore.from_bytes(NT), RdflibStore(path)]
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) }"
    key = lambda rows: sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows)  # noqa: E731
    answers = [key(solutions(store, text)[1]) for store in made]
    assert all(answer == answers[0] for answer in answers) and len(answers[0]) == 2
    assert {store.triples() for store in made} == {4}
    assert all(store.select("count-triples")[0]["n"].python() == 4 for store in made)
    # the copy of an rdflib graph keeps its blank-node labels: a blank node of a result is the graph's own
    (bnode,) = [o for o in graph.objects() if isinstance(o, BNode)]
    (row,) = solutions(OxigraphStore.from_graph(graph), "SELECT ?b WHERE { <urn:x:a> <urn:x:part> ?b }")[1]
    assert row["b"].kind == "bnode" and row["b"].value == str(bnode)


def test_run_gives_the_engines_own_results_with_options() -> None:
    import pyoxigraph

    store = OxigraphStore.from_bytes(NT)
    triples = store.run("CONSTRUCT { <s> <p> ?o } WHERE { <urn:x:a> <urn:x:count> ?o }", base_iri="http://example.org/")
    assert isinstance(triples, pyoxigraph.QueryTriples)
    assert [t.subject.value for t in triples] == ["http://example.org/s"]
    assert bool(store.run("ASK { <urn:x:a> ?p ?o }")) is True
    assert len(list(RdflibStore.from_bytes(NT).run("SELECT * WHERE { ?s ?p ?o }"))) == 4


def test_check_syntax_parses_with_the_base_iri() -> None:
    from kg.store import check_syntax

    check_syntax("SELECT * WHERE { <s> ?p ?o }", "http://127.0.0.1:8000/sparql")
    with pytest.raises(SyntaxError):
        check_syntax("SELEC * {}")
    with pytest.raises(SyntaxError):
        check_syntax("SELECT * WHERE { <s> ?p ?o }")  # a relative IRI and no base


def test_solutions_names_the_variables_and_answers_ask() -> None:
    store = OxigraphStore.from_bytes(NT)
    variables, rows = solutions(store, "SELECT ?s ?missing WHERE { ?s <urn:x:count> ?n }")
    assert variables == ["s", "missing"] and rows == [{"s": rows[0]["s"]}] and rows[0]["s"].value == "urn:x:a"
    assert solutions(store, "ASK {}")[1][0]["answer"].python() is True
    with pytest.raises(SyntaxError):
        solutions(store, "SELEC * {}")


# ---------------------------------------------------------------------------------------- one way in

#: the source folders of the project's readers (the tests make their own throwaway stores in subprocesses)
SOURCES = ("kg", "api", "bench")


def _store_constructions(tree: ast.AST) -> list[int]:
    """Lines that make a ``pyoxigraph.Store`` (``pyoxigraph.Store(``, an alias's ``.Store(``, or a ``Store``
    imported from pyoxigraph, called or not)."""
    modules, names, lines = {"pyoxigraph"}, set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "pyoxigraph"}
        elif isinstance(node, ast.ImportFrom) and node.module == "pyoxigraph":
            for alias in node.names:
                if alias.name in ("Store", "*"):
                    names.add(alias.asname or alias.name)
                    lines.append(node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "Store" and isinstance(node.value, ast.Name) \
                and node.value.id in modules:
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_scan_finds_every_spelling() -> None:
    code = ("import pyoxigraph\nimport pyoxigraph as ox\nfrom pyoxigraph import Store as S\n"
            "a = pyoxigraph.Store()\nb = ox.Store()\nc = S()\nd = pyoxigraph.NamedNode('urn:x')\n")
    assert _store_constructions(ast.parse(code)) == [3, 4, 5, 6]




def test_only_kg_store_makes_a_pyoxigraph_store() -> None:
    """Every reader (the service, the QC report, the SPARQL query process, the benches) goes through kg.store."""
    files = [path for folder in SOURCES for path in sorted((ROOT / folder).rglob("*.py"))]
    files += sorted(ROOT.glob("*.py"))
    assert len(files) > 20 and ROOT / "kg" / "sparql" / "worker.py" in files
    found = {}
    for path in files:
        if path == ROOT / "kg" / "store.py":
            continue
        lines = _store_constructions(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        name = path.relative_to(ROOT).as_posix()
        if lines:
            found[name] = lines
    assert found == {}, ("make a store through kg.store (open_store, OxigraphStore.from_graph/from_bytes/from_file, "
                         f"check_syntax), not at these lines: {found}")
    assert _store_constructions(ast.parse((ROOT / "kg" / "store.py").read_text(encoding="utf-8")))


def test_every_query_text_is_a_named_file() -> None:
    """kg/store.py spells no SPARQL: the triple count is kg/queries/count-triples.rq."""
    from kg import store

    assert store.COUNT_TRIPLES in queries.names()
    source = (ROOT / "kg" / "store.py").read_text(encoding="utf-8")
    texts = [node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant)
             and isinstance(node.value, str)]
    assert not [t for t in texts if "WHERE" in t.upper() and "{" in t]


def test_every_backend_gives_a_boolean_in_its_canonical_form() -> None:
    """XSD's other lexical forms of xsd:boolean ("1", "0": Virtuoso writes them) become "true"/"false", so
    the service reads the same value from every store; other literals stay as the store wrote them."""
    from kg.store import XSD_BOOLEAN, _from_json, literal

    assert literal("1", None, XSD_BOOLEAN).value == "true" and literal("0", None, XSD_BOOLEAN).value == "false"
    assert literal("1", None, XSD_BOOLEAN).python() is True
    assert _from_json({"type": "typed-literal", "datatype": XSD_BOOLEAN, "value": "0"}).python() is False
    assert literal("1", None, "http://www.w3.org/2001/XMLSchema#integer").value == "1"


def test_an_ask_answered_as_a_one_column_select_is_read_as_the_ask() -> None:
    from kg.store import ASK_COLUMN, _json_rows

    true = b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [{"__ASK_RETVAL": {"type": "typed-literal", ' \
           b'"datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "1"}}]}}'
    false = b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": []}}'
    assert _json_rows(true, "x")[1][0][ASK_COLUMN].python() is True
    assert _json_rows(false, "x")[1][0][ASK_COLUMN].python() is False
