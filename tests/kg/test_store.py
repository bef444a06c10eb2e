"""The two embedded engines answer the named queries alike (rows as plain values); the store selector; the
remote store's credentials and time-outs (the contract suite over every backend is tests/kg/store/)."""
from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from pathlib import Path

import pyoxigraph
import pytest

from kg.store import RemoteStore, Selector, SelectorError, StoreError, open_store, parse_selector


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
    """Answers 401 and records the Authorization header (or sleeps, for the time-out test)."""

    seen: list[str | None] = []
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.headers.get("Authorization"))
        if self.delay:
            time.sleep(self.delay)
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"authentication required")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.seen, _Recorder.delay = [], 0.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/query"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


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
