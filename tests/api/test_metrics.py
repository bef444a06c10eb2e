"""/metrics and the access log (api/metrics.py, docs/operations.md): in the app, and under a real `osteokg serve`
with 2 worker processes, where the totals must not depend on which worker answers the requests or the scrape,
nor lose a worker's counts when it is killed and replaced."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import ClassVar

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import fetch, start_server, stop_server

OSTEONECROSIS = "OSTEOKG:0000106"
# A cross product of all triples, counted: runs for hours (as in test_sparql)
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 . ?e ?p5 ?o5 }"
ENTITY, PARENTS = "/entities/<path:curie>", "/entities/<path:curie>/parents"
FIELDS = {"time", "method", "path", "route", "status", "duration_ms", "bytes", "release", "cache", "client", "pid"}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition: (name, sorted labels) → value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


def requests_by(samples: Samples, skip_metrics: bool = True) -> dict[tuple[str, str, str], float]:
    """(method, route, status) → count, without the scrapes themselves."""
    found = {}
    for (name, labels), value in samples.items():
        if name == "osteokg_http_requests_total":
            ls = dict(labels)
            if not (skip_metrics and ls["route"] == "/metrics"):
                found[(ls["method"], ls["route"], ls["status"])] = value
    return found


def delta(before: dict, after: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after) if after.get(k, 0) != before.get(k, 0)}


# ---------------------------------------------------------------------------------------------- in the app

def scrape_app(client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/plain"
    return parse(response.get_data(as_text=True))


def read(response) -> int:
    """The status, once the body is read: a request is counted and logged when its body has been sent."""
    response.get_data()
    return response.status_code


def test_route_labels_are_templates(app, client) -> None:
    layer = app.extensions["osteokg_metrics"]
    assert layer.route("GET", f"/entities/{OSTEONECROSIS}") == ENTITY
    assert layer.route("GET", "/entities/HP:0000939/parents") == PARENTS
    assert layer.route("GET", "/no/such/path-" + uuid.uuid4().hex) == "(unmatched)"
    assert layer.route("DELETE", "/sparql") == "/sparql"  # a route there for other methods: still its template
    assert layer.route("GET", "/entities/\xff\xfe") == ENTITY  # bytes that are not UTF-8: labelled, no error
    secret = uuid.uuid4().hex
    before = requests_by(scrape_app(client))
    for response in (client.get(f"/entities/{OSTEONECROSIS}"), client.get(f"/no/such/{secret}"),
                     client.open("/health", method="BREW")):
        response.get_data()  # a request is counted once its body has been sent (read, here)
    text = client.get("/metrics").get_data(as_text=True)
    assert secret not in text and OSTEONECROSIS not in text
    changed = delta(before, requests_by(parse(text)))
    assert changed == {("GET", ENTITY, "200"): 1, ("GET", "(unmatched)", "404"): 1, ("other", "/health", "405"): 1}


def test_latency_lands_in_its_bucket_and_bytes_are_counted(client) -> None:
    before = scrape_app(client)
    assert read(client.get("/health")) == 200
    after = scrape_app(client)

    def change(name: str, **labels: str) -> float:
        return total(after, name, route="/health", **labels) - total(before, name, route="/health", **labels)

    assert change("osteokg_http_request_duration_seconds_count") == 1
    assert change("osteokg_http_request_duration_seconds_bucket", le="+Inf") == 1
    assert change("osteokg_http_request_duration_seconds_bucket", le="0.0005") in (0, 1)
    assert 0 < change("osteokg_http_request_duration_seconds_sum") < 5
    assert change("osteokg_http_response_bytes_total") == len(client.get("/health").get_data())


def test_cache_hits_and_misses_are_counted(client) -> None:
    url = f"/search?q=metrics{uuid.uuid4().hex[:8]}"  # a URL no other test asked for
    before = scrape_app(client)
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200 and response.get_data()
    after = scrape_app(client)
    assert total(after, "osteokg_response_cache_total", result="miss") - \
        total(before, "osteokg_response_cache_total", result="miss") == 1
    assert total(after, "osteokg_response_cache_total", result="hit") - \
        total(before, "osteokg_response_cache_total", result="hit") == 2
    # the lean entity path and a POST never reach the cache's count
    client.get(f"/entities/{OSTEONECROSIS}").get_data()
    client.post("/sparql", data={"query": "ASK {}"}).get_data()
    again = scrape_app(client)
    assert total(again, "osteokg_response_cache_total") == total(after, "osteokg_response_cache_total")


def test_sparql_outcomes_are_counted_by_the_pool(client) -> None:
    before = scrape_app(client)
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    assert client.get("/sparql", query_string={"query": "SELEC nothing"}).status_code == 400
    after = scrape_app(client)
    for outcome in ("answered", "refused"):
        assert total(after, "osteokg_sparql_queries_total", outcome=outcome) - \
            total(before, "osteokg_sparql_queries_total", outcome=outcome) == 1
    assert total(after, "osteokg_sparql_query_duration_seconds_count") - \
        total(before, "osteokg_sparql_query_duration_seconds_count") == 2


def test_the_release_served_is_reported(app, client) -> None:
    samples = scrape_app(client)
    release = app.extensions["osteokg"]
    assert total(samples, "osteokg_release_info", release=release.id,
                 graph_sha256=release.manifest["graph_sha256"]) == 1


def test_openmetrics_on_request_and_head(client) -> None:
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200 and response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")
    head = client.head("/metrics")
    assert head.status_code == 200 and head.get_data() == b""


def test_access_log_lines_and_no_secrets_in_the_app(build_dir: Path, tmp_path: Path) -> None:
    from api import create_app

    where = tmp_path / "access.log"
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "ACCESS_LOG": str(where), "METRICS": False})
    client = app.test_client()
    assert read(client.get("/metrics")) == 404  # METRICS off: the app's own 404
    assert read(client.get("/search?q=SECRETQUERY", headers={"Authorization": "Bearer SECRETTOKEN",
                                                             "Cookie": "osteokg_lang=nl; sid=SECRETCOOKIE"})) == 200
    assert read(client.post("/sparql", data={"query": "ASK { ?s ?p 'SECRETBODY' }"})) == 200
    assert app.extensions["osteokg_metrics"].access_log.flush()
    text = where.read_text(encoding="utf-8")
    for secret in ("SECRETQUERY", "SECRETTOKEN", "SECRETCOOKIE", "SECRETBODY"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(r["method"], r["path"], r["route"], r["status"]) for r in lines] == [
        ("GET", "/metrics", "(unmatched)", 404), ("GET", "/search", "/search", 200), ("POST", "/sparql", "/sparql", 200)]
    for record in lines:
        assert set(record) == FIELDS and record["release"] == app.extensions["osteokg"].id
        assert record["bytes"] > 0 and record["duration_ms"] >= 0 and record["pid"] == os.getpid()
        assert record["time"].endswith("Z")
    assert lines[1]["cache"] == "miss" and lines[2]["cache"] is None


def test_access_log_with_queries_when_asked(build_dir: Path, tmp_path: Path) -> None:
    from api import create_app

    where = tmp_path / "access.log"
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "ACCESS_LOG": str(where),
                      "ACCESS_LOG_QUERY": True})
    assert read(app.test_client().get("/search?q=osteo%0Anecrose")) == 200
    assert app.extensions["osteokg_metrics"].access_log.flush()
    (line,) = where.read_text(encoding="utf-8").splitlines()  # a newline in the query stays inside its line
    assert json.loads(line)["query"] == "q=osteo%0Anecrose"


def test_an_access_log_that_cannot_be_written_stops_the_app(build_dir: Path, tmp_path: Path) -> None:
    from api import create_app

    with pytest.raises(OSError):
        create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "ACCESS_LOG": str(tmp_path / "no" / "such.log")})


# ------------------------------------------------------------------------------------ a real server, 2 workers

@pytest.fixture(scope="module")
def served(build_dir: Path, tmp_path_factory):
    """`osteokg serve` with 2 workers, a short SPARQL time limit, its access log in a file and its metrics in a
    folder of ours (with a stale file from an 'earlier server' in it, which serve must clear)."""
    folder = tmp_path_factory.mktemp("metrics")
    metrics_dir, log = folder / "multiproc", folder / "access.log"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier server")
    process, base = start_server(build_dir, {"OSTEOKG_SPARQL_TIMEOUT": "0.5", "OSTEOKG_ACCESS_LOG": str(log),
                                             "OSTEOKG_SPARQL_MAX_COST": "0",  # a runaway reaches its time limit
                                             "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, workers=2)
    try:
        yield base, log, metrics_dir
    finally:
        stop_server(process)


def scrape(base: str) -> Samples:
    status, headers, body = fetch(f"{base}/metrics")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    return parse(body.decode("utf-8"))


def baseline(base: str) -> Samples:
    """A scrape that holds every request answered so far: each worker writes its counts every FLUSH_INTERVAL s
    (the one answering a scrape, at once), so with no request in flight two intervals are enough."""
    from api.metrics import FLUSH_INTERVAL

    time.sleep(2 * FLUSH_INTERVAL)
    return scrape(base)


def settled(base: str, holds, timeout: float = 5) -> Samples:
    """A scrape once ``holds(samples)`` (a request is counted when its answer has been sent, so a client that
    scrapes at once may be a moment ahead of the count), else the last one after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(base)
        if holds(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.05)


def log_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def wait_for_lines(log: Path, count: int, timeout: float = 10) -> list[dict]:
    """The log's lines once it holds ``count`` of them (the writer thread is a few ms behind the answers)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log_lines(log) if log.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


URLS = [("/health", "/health"), (f"/entities/{OSTEONECROSIS}", ENTITY), (f"/entities/{OSTEONECROSIS}/parents", PARENTS),
        ("/search?q=fractuur", "/search"), ("/relations", "/relations"),
        ("/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), "/sparql"), ("/no/such/page", "(unmatched)")]


def send(base: str, batch: int, refused_ok: bool = False) -> dict[tuple[str, str, str], int]:
    """``batch`` rounds of URLS from 4 threads at once; (method, route, status) → how many were answered so. With
    ``refused_ok`` a connection the server resets unanswered (a worker just killed) is not counted, not raised."""
    seen: dict[tuple[str, str, str], int] = {}
    lock = threading.Lock()

    def one(round_: int) -> None:
        path, route = URLS[round_ % len(URLS)]
        try:
            status, _, _ = fetch(base + path)
        except (ConnectionError, urllib.error.URLError):
            if refused_ok:
                return
            raise
        with lock:
            key = ("GET", route, str(status))
            seen[key] = seen.get(key, 0) + 1

    threads = [threading.Thread(target=lambda k=k: [one(k * batch + i) for i in range(batch)]) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return seen


def add(into: dict, more: dict) -> dict:
    for key, value in more.items():
        into[key] = into.get(key, 0) + value
    return into


def test_the_stale_files_of_an_earlier_server_are_cleared(served) -> None:
    _, _, metrics_dir = served
    assert not (metrics_dir / "counter_999999.db").exists()


def test_totals_equal_the_requests_whichever_worker_answers(served) -> None:
    base, log, _ = served
    before = requests_by(baseline(base))
    sent: dict[tuple[str, str, str], int] = {}
    for _ in range(20):  # until both workers have answered some (the log names each line's worker)
        add(sent, send(base, 14))
        if len({line["pid"] for line in wait_for_lines(log, 0)}) >= 2:
            break
    assert len({line["pid"] for line in log_lines(log)}) == 2
    assert sent[("GET", "(unmatched)", "404")] > 0 and sent[("GET", ENTITY, "200")] > 0
    samples = settled(base, lambda samples: delta(before, requests_by(samples)) == sent)
    for _ in range(3):  # each scrape (answered by either worker) sums both workers' files
        assert delta(before, requests_by(scrape(base))) == sent
    for route in {route for _, route in URLS}:
        answered = sum(v for (_, r, _), v in sent.items() if r == route)
        assert total(samples, "osteokg_http_request_duration_seconds_count", route=route) >= answered
    labels = {dict(ls)["route"] for (name, ls) in samples if name == "osteokg_http_requests_total"}
    assert labels <= {route for _, route in URLS} | {"/metrics"}, labels  # templates only: no CURIE, no raw path


def test_cached_answers_are_counted(served) -> None:
    base, _, _ = served
    url = f"{base}/search?q=metrics{uuid.uuid4().hex[:8]}"
    before = baseline(base)
    for _ in range(12):
        assert fetch(url)[0] == 200
    after = settled(base, lambda samples: sum(delta(requests_by(before), requests_by(samples)).values()) >= 12)
    hits = total(after, "osteokg_response_cache_total", result="hit") - \
        total(before, "osteokg_response_cache_total", result="hit")
    misses = total(after, "osteokg_response_cache_total", result="miss") - \
        total(before, "osteokg_response_cache_total", result="miss")
    assert hits + misses == 12 and 1 <= misses <= 2  # one miss per worker at most: each keeps its own cache
    assert delta(requests_by(before), requests_by(after)) == {("GET", "/search", "200"): 12}


def test_a_sparql_timeout_is_counted(served) -> None:
    base, _, _ = served
    for _ in range(4):  # both workers' query processes started and loaded
        assert fetch(f"{base}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))[0] == 200
    before = baseline(base)
    status, _, body = fetch(f"{base}/sparql?" + urllib.parse.urlencode({"query": ENDLESS}))
    assert status == 504, body
    after = settled(base, lambda samples: delta(requests_by(before), requests_by(samples)) != {})
    for name, labels in (("osteokg_sparql_timeouts_total", {}), ("osteokg_sparql_kills_total", {"reason": "timeout"}),
                         ("osteokg_sparql_queries_total", {"outcome": "timeout"})):
        assert total(after, name, **labels) - total(before, name, **labels) == 1, name
    assert delta(requests_by(before), requests_by(after)) == {("GET", "/sparql", "504"): 1}


def test_mcp_calls_are_counted_and_logged_like_the_rest(served) -> None:
    """/mcp (api.mcp_server.mount, under the metrics layer) is labelled /mcp in the counts and the log; a GET is its
    immediate 405, counted too."""
    base, log, _ = served
    before, count = baseline(base), len(log_lines(log))
    listed = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    status, _, body = fetch(f"{base}/mcp", method="POST", data=listed,
                            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    assert status == 200 and b"search" in body
    assert fetch(f"{base}/mcp", headers={"Accept": "text/event-stream"})[0] == 405
    after = settled(base, lambda samples: len(delta(requests_by(before), requests_by(samples))) == 2)
    assert delta(requests_by(before), requests_by(after)) == {("POST", "/mcp", "200"): 1, ("GET", "/mcp", "405"): 1}
    assert total(after, "osteokg_http_request_duration_seconds_count", route="/mcp") - \
        total(before, "osteokg_http_request_duration_seconds_count", route="/mcp") == 2
    lines = wait_for_lines(log, count + 2)
    assert {(line["method"], line["route"], line["status"]) for line in lines[count:] if line["path"] == "/mcp"} == {
        ("POST", "/mcp", 200), ("GET", "/mcp", 405)}


def test_log_lines_are_json_and_hold_no_secrets(served) -> None:
    base, log, _ = served
    count = len(log_lines(log))
    assert fetch(f"{base}/search?q=SECRETQUERY", headers={"Authorization": "Bearer SECRETTOKEN",
                                                       "Cookie": "osteokg_lang=nl; sid=SECRETCOOKIE"})[0] == 200
    assert fetch(f"{base}/sparql", method="POST", data=b"ASK { ?s ?p 'SECRETBODY' }",
                 headers={"Content-Type": "application/sparql-query"})[0] == 200
    deadline, ours = time.monotonic() + 10, []
    while len(ours) < 2 and time.monotonic() < deadline:  # each worker's writer is a moment behind its answers
        time.sleep(0.05)
        lines = log_lines(log)
        ours = [line for line in lines[count:] if (line["method"], line["route"]) in
                (("GET", "/search"), ("POST", "/sparql"))]
    text = log.read_text(encoding="utf-8")
    for secret in ("SECRETQUERY", "SECRETTOKEN", "SECRETCOOKIE", "SECRETBODY"):
        assert secret not in text
    assert all(set(line) == FIELDS for line in lines)
    search, post = sorted(ours, key=lambda line: line["method"])  # GET, POST
    assert (search["path"], search["status"], post["method"], post["status"]) == ("/search", 200, "POST", 200)
    assert search["client"] == "127.0.0.1" and search["release"]


def test_a_killed_worker_keeps_its_counts_and_its_replacement_counts_on(served) -> None:
    base, log, metrics_dir = served
    before = requests_by(baseline(base))
    sent = send(base, 7)
    settled(base, lambda samples: delta(before, requests_by(samples)) == sent)  # written by both workers
    pids = {line["pid"] for line in wait_for_lines(log, len(log_lines(log)))}
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the other worker answers meanwhile; granian starts a replacement
        add(sent, send(base, 1, refused_ok=True))
        if {line["pid"] for line in log_lines(log)} - pids:
            break
        time.sleep(0.2)
    assert {line["pid"] for line in log_lines(log)} - pids, "no replacement worker answered within 60 s"
    samples = settled(base, lambda samples: delta(before, requests_by(samples)) == sent)
    assert delta(before, requests_by(samples)) == sent  # the dead worker's counts are still in the totals
    assert (metrics_dir / f"counter_{victim}.db").exists()
    assert not (metrics_dir / f"gauge_livemax_{victim}.db").exists()  # its release gauge dropped at the scrape
    assert total(samples, "osteokg_release_info") == 1


# ------------------------------------------------------------------------------------ osteokg serve's set-up

class RecordingGranian:
    """Stands in for granian's server: records what the workers would inherit, serves nothing."""

    seen: ClassVar[list[dict]] = []

    def __init__(self, target: str, **options) -> None:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        RecordingGranian.seen.append({"folder": folder, "files": sorted(os.listdir(folder)) if folder else None,
                                      "log": os.environ.get("OSTEOKG_ACCESS_LOG")})

    def serve(self) -> None:
        pass


@pytest.mark.parametrize("given", [None, "file"])
def test_serve_sets_up_the_metrics_folder_and_the_log_for_its_workers_only(
        given: str | None, build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import granian

    from kg.cli import main

    RecordingGranian.seen = []
    monkeypatch.setattr(granian, "Granian", RecordingGranian)
    monkeypatch.setenv("OSTEOKG_BUILD_DIR", str(build_dir))  # serve sets it; monkeypatch puts it back
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("OSTEOKG_ACCESS_LOG", raising=False)
    if given:
        monkeypatch.setenv("OSTEOKG_ACCESS_LOG", str(tmp_path / "access.log"))
    assert main(["serve", "--out", str(build_dir)]) == 0
    (seen,) = RecordingGranian.seen
    assert seen["folder"] and seen["files"] == []  # a fresh folder, before any worker starts
    assert seen["log"] == ("-" if given is None else str(tmp_path / "access.log"))
    assert not Path(seen["folder"]).exists()  # removed when the server stopped
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ  # and the caller's environment is as it was
    assert os.environ.get("OSTEOKG_ACCESS_LOG") == (None if given is None else str(tmp_path / "access.log"))


def test_serve_refuses_an_access_log_it_cannot_write(build_dir: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    import granian

    from kg.cli import main

    RecordingGranian.seen = []
    monkeypatch.setattr(granian, "Granian", RecordingGranian)
    monkeypatch.setenv("OSTEOKG_BUILD_DIR", str(build_dir))
    monkeypatch.setenv("OSTEOKG_ACCESS_LOG", str(tmp_path / "no" / "such.log"))
    assert main(["serve", "--out", str(build_dir)]) == 2
    assert "OSTEOKG_ACCESS_LOG=" in capsys.readouterr().err and RecordingGranian.seen == []


def test_metrics_answers_only_get_and_head(client) -> None:
    """Another method on /metrics is a 405 problem naming the two it answers (the fuzzing's undeclared-method check)."""
    answer = client.post("/metrics")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, HEAD"
    assert answer.mimetype == "application/problem+json" and "GET and HEAD" in answer.json["detail"]
