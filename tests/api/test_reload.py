"""Versioned releases and hot reload: a running server swaps in the release a build (or a rollback) makes
current, and no answer mixes two releases.

Two releases of one build folder differ in one label (release B calls the fragility fracture
``fragility fracture [B]``), so an answer's body says which release it came from; every answer also
names its release in ``X-Osteokg-Release``. The load test runs a real ``osteokg serve --watch`` on
127.0.0.1 and switches ``current`` five times while clients request entities, search, SPARQL and the
release files.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from kg.build import Built, write
from kg.releases import CURRENT, RELEASES, release_dir, releases, switch
from tests.api.conftest import start_server, stop_server

ENTITY = "OSTEOKG:0000101"
ENTITY_IRI = URIRef("https://w3id.org/osteokg/OSTEOKG_0000101")
LABEL_A, LABEL_B = "fragility fracture", "fragility fracture [B]"
LABEL_QUERY = ('SELECT ?l WHERE { <https://w3id.org/osteokg/OSTEOKG_0000101> '
               '<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = "en") }')


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory, built: Built) -> tuple[Path, str, str]:
    """A build folder with releases A (the real graph) and B (one label changed); A is current."""
    root = tmp_path_factory.mktemp("releases") / "build"
    write(built, root)
    first = release_dir(root).name
    graph = built.graph
    changed = Built(graph.__class__(), built.locations, dict(built.counts))
    for prefix, namespace in graph.namespaces():
        changed.graph.bind(prefix, namespace)
    for triple in graph:
        changed.graph.add(triple)
    changed.graph.remove((ENTITY_IRI, RDFS.label, Literal(LABEL_A, lang="en")))
    changed.graph.add((ENTITY_IRI, RDFS.label, Literal(LABEL_B, lang="en")))
    write(changed, root)
    second = release_dir(root).name
    assert first != second
    switch(root, first)
    return root, first, second


@pytest.fixture
def root(two_releases, tmp_path: Path) -> tuple[Path, str, str]:
    """The two releases, A current, in a folder of this test's own (links only: the releases are shared)."""
    shared, first, second = two_releases
    own = tmp_path / "build"
    (own / RELEASES).mkdir(parents=True)
    for name in (first, second):
        (own / RELEASES / name).symlink_to(shared / RELEASES / name, target_is_directory=True)
    (own / CURRENT).symlink_to(Path(RELEASES) / first)
    switch(own, first)
    return own, first, second


def label_of(body: dict) -> str:
    return body["labels"]["en"]


# ------------------------------------------------------------------------------------------- the layout


def test_a_build_writes_a_release_and_points_current_at_it(two_releases) -> None:
    root, first, second = two_releases
    assert sorted(item["release"] for item in releases(root)) == sorted([first, second])
    assert (root / CURRENT).is_symlink() and release_dir(root).name == first
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))  # the links go through current
    assert manifest["release"] == first and len(first) == 16


def test_a_switch_to_a_release_that_is_not_there_changes_nothing(root) -> None:
    from kg.errors import ReleaseError

    folder, first, _ = root
    with pytest.raises(ReleaseError, match="no such release"):
        switch(folder, "0123456789abcdef")
    with pytest.raises(ReleaseError, match="no such release"):
        switch(folder, "../../etc")
    assert release_dir(folder).name == first


# ------------------------------------------------------------------------------------------- in one process


def test_a_check_swaps_in_the_new_release_and_everything_follows(root) -> None:
    from api import create_app, sparql
    from api.graph import releases_of

    folder, first, second = root
    app = create_app({"TESTING": True, "BUILD_DIR": str(folder)})
    try:
        client = app.test_client()
        before = client.get(f"/entities/{ENTITY}")
        assert before.headers["X-Osteokg-Release"] == first and label_of(before.json) == LABEL_A
        old_etag = before.headers["ETag"]
        before.close()  # a server closes every answer it has sent (the test client leaves that to its caller)
        with client.get("/sparql", query_string={"query": LABEL_QUERY}) as first_query:  # starts A's pool
            assert first_query.status_code == 200
        old_pool = app.extensions[sparql.EXTENSION]
        held = releases_of(app).acquire()  # a request still running on A

        assert releases_of(app).check() is False  # nothing new yet
        switch(folder, second)
        assert releases_of(app).check() is True

        after = client.get(f"/entities/{ENTITY}", headers={"If-None-Match": old_etag})
        assert after.status_code == 200, "an ETag of the old release must not match the new one"
        assert after.headers["X-Osteokg-Release"] == second and label_of(after.json) == LABEL_B
        assert client.get("/version").json["release"] == second
        answer = client.get("/sparql", query_string={"query": LABEL_QUERY})
        assert json.loads(answer.data)["results"]["bindings"][0]["l"]["value"] == LABEL_B
        new_pool = app.extensions[sparql.EXTENSION]
        assert new_pool is not old_pool and new_pool.started  # warmed before it was served
        assert old_pool.started, "the old release's query processes wait for its last request"
        held.leave()
        deadline = time.monotonic() + 10
        while old_pool.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not old_pool.started, "the drained release's query processes are stopped"
    finally:
        releases_of(app).close()


def test_the_release_files_come_from_the_served_release(root) -> None:
    from api import create_app
    from api.graph import releases_of

    folder, first, second = root
    app = create_app({"TESTING": True, "BUILD_DIR": str(folder), "SPARQL_WORKERS": 1})
    try:
        client = app.test_client()
        switch(folder, second)  # the pointer moves on; the server has not checked yet
        body = client.get("/ontology/osteokg.nt").data.decode("utf-8")
        assert f'"{LABEL_A}"@en' in body and f'"{LABEL_B}"@en' not in body
        releases_of(app).check()
        body = client.get("/ontology/osteokg.nt").data.decode("utf-8")
        assert f'"{LABEL_B}"@en' in body
    finally:
        releases_of(app).close()


def test_a_release_that_cannot_be_opened_changes_nothing_served(root, tmp_path: Path) -> None:
    from api import create_app
    from api.graph import releases_of

    folder, first, second = root
    app = create_app({"TESTING": True, "BUILD_DIR": str(folder), "SPARQL_WORKERS": 1})
    try:
        damaged = folder / RELEASES / "0000000000000000"
        damaged.mkdir()
        (damaged / "manifest.json").write_text("{}", encoding="utf-8")  # no graph at all
        temporary = folder / ".pointer"
        temporary.symlink_to(Path(RELEASES) / damaged.name)
        os.replace(temporary, folder / CURRENT)  # as a broken tool would, bypassing switch()
        assert releases_of(app).check() is False
        response = app.test_client().get(f"/entities/{ENTITY}")
        assert response.headers["X-Osteokg-Release"] == first and label_of(response.json) == LABEL_A
    finally:
        releases_of(app).close()


# ------------------------------------------------------------------------------------------- a real server


@dataclass
class Tally:
    answers: int = 0
    failed: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    reload_seconds: list[float] = field(default_factory=list)  # from the switch until /version names the release
    lock: threading.Lock = field(default_factory=threading.Lock)


def _expected_label(release: str, first: str, second: str) -> str | None:
    return {first: LABEL_A, second: LABEL_B}.get(release)


def _client(base: str, stop: threading.Event, tally: Tally, first: str, second: str, seed: int) -> None:
    """Keep-alive requests over a mix of routes; each answer's content is checked against its release header."""
    parts = urllib.parse.urlsplit(base)
    paths = [f"/entities/{ENTITY}", "/search?q=fragility", "/search?q=fragility&lang=nl",
             "/sparql?" + urllib.parse.urlencode({"query": LABEL_QUERY}), "/version", "/ontology/osteokg.nt"]
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    index = seed
    while not stop.is_set():
        path = paths[index % len(paths)]
        index += 1
        try:
            connection.request("GET", path, headers={"Accept": "application/json"} if "sparql" not in path else {})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            with tally.lock:
                tally.failed.append(f"{path}: {type(error).__name__}: {error}")
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            continue
        release = response.getheader("X-Osteokg-Release", "")
        label = _expected_label(release, first, second)
        problem = None
        if response.status != 200:
            problem = f"{path}: {response.status} {body[:200]!r}"
        elif label is None:
            problem = f"{path}: unknown release {release!r}"
        else:
            text = body.decode("utf-8")
            other = LABEL_B if label == LABEL_A else LABEL_A
            if path.startswith("/entities"):
                ok = label_of(json.loads(text)) == label
            elif path.startswith("/sparql"):
                ok = json.loads(text)["results"]["bindings"][0]["l"]["value"] == label
            elif path == "/version":
                ok = json.loads(text)["release"] == release
            elif path.startswith("/ontology"):
                ok = f'"{label}"@en' in text and f'"{other}"@en' not in text
            else:  # search: the hit's label is the release's
                ok = label in text and (label == LABEL_B or LABEL_B not in text)
            if not ok:
                with tally.lock:
                    tally.mixed.append(f"{path} under {release}")
        with tally.lock:
            tally.answers += 1
            tally.seen.add(release)
            if problem:
                tally.failed.append(problem)
    connection.close()


def _wait_for(base: str, release: str, timeout: float = 30) -> float:
    """Seconds until /version names ``release`` (bounded)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        parts = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:  # a fresh connection each time: it may reach either worker
            connection.request("GET", "/version")
            if json.loads(connection.getresponse().read())["release"] == release:
                return time.monotonic() - started
        except (OSError, ValueError):
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise AssertionError(f"the server did not serve release {release} within {timeout} s")


def _run_load(base: str, folder: Path, first: str, second: str, reload: callable, reloads: int = 5) -> Tally:
    tally, stop = Tally(), threading.Event()
    clients = [threading.Thread(target=_client, args=(base, stop, tally, first, second, seed)) for seed in range(6)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(0.5)
        target = first
        for _ in range(reloads):
            target = second if target == first else first
            switch(folder, target)
            reload()
            tally.reload_seconds.append(_wait_for(base, target))
            time.sleep(0.7)  # both workers, and some answers from each, on the new release
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
    return tally


@pytest.mark.parametrize("how", ["watch", "signal"])
def test_five_reloads_under_load_fail_nothing_and_mix_nothing(root, how: str) -> None:
    folder, first, second = root
    env = {"OSTEOKG_RELOAD_INTERVAL": "0.2", "OSTEOKG_SPARQL_WORKERS": "1"}
    process, base = start_server(folder, env, workers=2, extra_args=["--watch"] if how == "watch" else [])
    try:
        reload = (lambda: None) if how == "watch" else (lambda: os.kill(process.pid, signal.SIGUSR1))
        tally = _run_load(base, folder, first, second, reload)
    finally:
        stop_server(process)
    print(f"{how}: {tally.answers} answers over 5 reloads, {len(tally.failed)} failed, {len(tally.mixed)} mixed; "
          f"seconds to serve each: {', '.join(f'{t:.2f}' for t in tally.reload_seconds)}")
    assert tally.answers > 200
    assert tally.failed == [], tally.failed[:5]
    assert tally.mixed == [], tally.mixed[:5]
    assert tally.seen == {first, second}


def test_a_shared_store_with_a_graph_per_release_follows_the_reload(root, tmp_path: Path) -> None:
    """Past one machine: one Oxigraph server holds each release in its own named graph (loaded by
    ``osteokg load --into …?graph=…/{release}``); the store URL names ``{release}``, so a reload reads the
    new release's graph, never the old one's triples under the new manifest."""
    from api import create_app
    from api.graph import releases_of
    from kg.cli import main
    from tests.kg.store.conftest import start_oxigraph, stop_oxigraph

    folder, first, second = root
    graph = "https://w3id.org/osteokg/graph/{release}"
    process, base = start_oxigraph(tmp_path / "oxigraph", read_only=False)
    try:
        for release in (first, second):
            nt = folder / RELEASES / release / "osteokg.nt"
            assert main(["load", "--into", f"{base}/store?graph={graph}", "--graph", str(nt)]) == 0
        app = create_app({"TESTING": True, "BUILD_DIR": str(folder),
                          "STORE": f"{base}/query?default-graph-uri={graph}"})
        client = app.test_client()
        response = client.get(f"/entities/{ENTITY}")
        assert response.headers["X-Osteokg-Release"] == first and label_of(response.json) == LABEL_A
        switch(folder, second)
        assert releases_of(app).check() is True
        response = client.get(f"/entities/{ENTITY}")
        assert response.headers["X-Osteokg-Release"] == second and label_of(response.json) == LABEL_B
        answer = client.get("/sparql", query_string={"query": LABEL_QUERY})
        assert json.loads(answer.data)["results"]["bindings"][0]["l"]["value"] == LABEL_B
    finally:
        stop_oxigraph(process)
