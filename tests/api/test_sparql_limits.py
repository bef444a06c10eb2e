"""Per-client limits on /sparql (api/sparql.py over kg/sparql/limits.py) on a real `osteokg serve` with two
workers: a client's second query while its first still runs is 429 with Retry-After whichever worker takes
it, another client is not held back, and a client past its query-time budget waits."""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse

import pytest

from tests.api.conftest import start_server, stop_server

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs until its time limit
CHEAP = "ASK { ?s ?p ?o }"


def ask(base: str, query: str, source: str = "127.0.0.1") -> tuple[int, dict, dict]:
    """GET /sparql from the loopback address ``source`` (the server tells clients apart by their address)."""
    port = urllib.parse.urlsplit(base).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        connection.request("GET", f"/sparql?{urllib.parse.urlencode({'query': query})}",
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        connection.close()


def serve(build_dir, data_dir, workers: int, **limits: str):
    """A real `osteokg serve` with the limits ``limits`` (OSTEOKG_SPARQL_*), a 2 s time limit and the cost guard
    off (its cross products run to the clock); stopped when the module's tests are done."""
    env = {f"OSTEOKG_SPARQL_{name}": value for name, value in limits.items()}
    process, url = start_server(build_dir, {**env, "OSTEOKG_SPARQL_TIMEOUT": "2", "OSTEOKG_SPARQL_MAX_COST": "0",
                                            "OSTEOKG_DATA_DIR": str(data_dir)}, workers=workers)
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def base(build_dir, tmp_path_factory):
    yield from serve(build_dir, tmp_path_factory.mktemp("limits"), 2, CLIENT_QUERIES="1", CLIENT_SECONDS="3",
                     CLIENT_WINDOW="60")


def test_one_query_at_a_time_per_client_across_workers(base) -> None:
    assert ask(base, CHEAP)[0] == 200
    slow = threading.Thread(target=ask, args=(base, CROSS), daemon=True)
    slow.start()
    time.sleep(0.5)  # the cross product is running
    refused = [ask(base, CHEAP) for _ in range(4)]  # two workers: some reach the other one
    other = ask(base, CHEAP, source="127.0.0.2")  # another client is not held back
    slow.join(timeout=30)
    assert other[0] == 200
    assert all(status == 429 for status, _h, _b in refused), [s for s, _h, _b in refused]
    _status, headers, body = refused[0]
    assert int(headers["retry-after"]) >= 1 and "at most 1 at once" in body["detail"]
    assert body["status"] == 429 and headers["access-control-allow-origin"]


def test_a_client_past_its_time_budget_waits(base) -> None:
    for _ in range(2):  # 2 × the 2 s time limit: past the 3 s budget
        status, _headers, _body = ask(base, CROSS)
        if status == 429:
            break
        assert status == 504
    status, headers, body = ask(base, CHEAP)
    assert status == 429 and "query time" in body["detail"]
    assert 1 <= int(headers["retry-after"]) <= 60


@pytest.fixture(scope="module")
def one_worker(build_dir, tmp_path_factory):
    """One API process with two query processes, two queries at once per client: what the share is about."""
    yield from serve(build_dir, tmp_path_factory.mktemp("share"), 1, CLIENT_QUERIES="2", CLIENT_SECONDS="600",
                     WORKERS="2")


def test_a_clients_two_runaways_leave_a_query_process_to_the_others(one_worker) -> None:
    """Client A's two runaways reach one API process of two query processes. The first holds one; the second waits
    for A's own, not for a process, so client B's query is answered while A's first still runs (before either
    runaway's 504). Before the share, A held both and B waited for the first to reach its time limit."""
    assert ask(one_worker, CHEAP)[0] == 200  # the query processes are up
    done: list[tuple[str, int]] = []
    lock = threading.Lock()

    def run(name: str, query: str, source: str) -> None:
        status = ask(one_worker, query, source)[0]
        with lock:
            done.append((name, status))

    runaways = [threading.Thread(target=run, args=(f"A{i}", CROSS, "127.0.0.3")) for i in (1, 2)]
    for thread in runaways:
        thread.start()
    time.sleep(0.5)  # both sent; the first is running
    run("B", CHEAP, "127.0.0.4")
    for thread in runaways:
        thread.join(timeout=30)
    assert [name for name, _ in done][0] == "B", done
    assert sorted(done) == [("A1", 504), ("A2", 504), ("B", 200)], done
