"""The pool of query processes: what a query process's death means, and the retry after an idle death."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from kg.sparql import framing
from kg.sparql.pool import PoolSettings, QueryPool, Worker, death
from tests.kg.sparql.conftest import ENDLESS


def settings(nt_path: Path, **changes) -> PoolSettings:
    return PoolSettings(**{"nt_path": str(nt_path), "workers": 1, "timeout": 20, "max_rows": 10,
                           "memory": None, **changes})


@pytest.fixture
def pool(nt_path: Path):
    pool = QueryPool(settings(nt_path))
    yield pool
    pool.close()


def test_a_query_process_ends_when_the_api_process_is_gone(nt_path: Path) -> None:
    worker = Worker(settings(nt_path, timeout=5), cpu_seconds=15)
    try:
        worker.wait_ready(60)
        worker.conn.send_bytes(framing.request("ASK {}", "json", None))
        assert worker.conn.poll(10)
        assert framing.read_reply(worker.conn.recv_bytes())["body"] == b'{"head":{},"boolean":true}'
        worker.conn.close()  # what the kernel does when the API process dies
        assert worker.process.wait(timeout=10) == 0
    finally:
        worker.stop()


@pytest.mark.parametrize("code, status, cause", [
    (-getattr(signal, "SIGXCPU", 24), 504, "cpu-time"),
    (-signal.SIGABRT, 503, "memory"),  # an allocation past the address-space limit aborts the engine
    (-signal.SIGKILL, 503, "killed"),  # the kernel's OOM killer, or an operator: said as either
    (-signal.SIGSEGV, 500, "crash"),
    (-signal.SIGBUS, 500, "crash"),
    (3, 500, "exit"),
    (None, 500, "exit"),
])
def test_each_death_is_reported_as_what_happened(nt_path: Path, code: int | None, status: int, cause: str) -> None:
    error = death(code, settings(nt_path, memory=512 * 1024 * 1024))
    assert error.status == status and error.extra["cause"] == cause
    if cause == "memory":
        assert "memory" in error.detail and "512 MiB" in error.detail
    elif cause == "killed":
        assert "SIGKILL" in error.detail and "operator" in error.detail and "out-of-memory" in error.detail
    else:
        assert "memory" not in error.detail
    if cause == "crash":
        assert signal.Signals(-code).name in error.detail


def _while_answering(pool: QueryPool, act) -> dict:
    """Run ENDLESS on ``pool`` and ``act(pid)`` once its query process is busy; the outcome."""
    (worker,) = pool._workers
    worker.wait_ready(60)
    outcome: dict = {}

    def query() -> None:
        try:
            outcome["reply"] = pool.run(ENDLESS, "json", None)
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcome["error"] = error

    thread = threading.Thread(target=query)
    thread.start()
    time.sleep(0.5)
    act(worker.process.pid)
    thread.join(timeout=30)
    assert not thread.is_alive()
    return outcome


def test_a_crash_while_answering_is_reported_as_a_crash(pool: QueryPool) -> None:
    pool.run("ASK {}", "json", None)
    outcome = _while_answering(pool, lambda pid: os.kill(pid, signal.SIGSEGV))
    error = outcome["error"]
    assert error.status == 500 and error.title == "Query engine crashed" and "SIGSEGV" in error.detail
    assert pool.run("ASK {}", "json", None)["status"] == 200  # replaced


def test_a_kill_while_answering_is_reported_as_a_kill(pool: QueryPool) -> None:
    pool.run("ASK {}", "json", None)
    outcome = _while_answering(pool, lambda pid: os.kill(pid, signal.SIGKILL))
    assert outcome["error"].status == 503 and outcome["error"].title == "Query process killed"
    assert pool.run("ASK {}", "json", None)["status"] == 200


def test_the_time_limit_is_reported_as_the_time_limit(nt_path: Path) -> None:
    pool = QueryPool(settings(nt_path, timeout=1))
    try:
        pool.run("ASK {}", "json", None)
        started = time.monotonic()
        with pytest.raises(Exception) as stopped:
            pool.run(ENDLESS, "json", None)
        assert time.monotonic() - started < 5
        assert stopped.value.status == 504 and "time limit of 1 s" in stopped.value.detail
        assert pool.run("ASK {}", "json", None)["status"] == 200
    finally:
        pool.close()


def test_a_process_that_died_while_idle_is_replaced_and_the_query_run_once_more(pool: QueryPool) -> None:
    assert pool.run("ASK {}", "json", None)["status"] == 200
    (worker,) = pool._workers
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(timeout=10)
    reply = pool.run("SELECT * { ?s ?p ?o } LIMIT 1", "json", None)
    assert reply["status"] == 200
    (fresh,) = pool._workers
    assert fresh is not worker and fresh.process.poll() is None


def test_close_stops_every_query_process(nt_path: Path) -> None:
    pool = QueryPool(settings(nt_path, workers=2))
    pool.run("ASK {}", "json", None)
    workers = list(pool._workers)
    pool.close()
    assert len(workers) == 2 and all(worker.process.returncode is not None for worker in workers)


def test_query_processes_answer_from_the_disk_store_read_only(nt_path: Path, disk_store: Path) -> None:
    """Over a release's on-disk store the processes open it (no N-Triples at all) and answer as over the file."""
    over_file = QueryPool(settings(nt_path))
    over_disk = QueryPool(settings(nt_path.parent / "no-such.nt", store_dir=str(disk_store)))
    try:
        text = "SELECT ?l WHERE { <urn:x:t7> ?p ?l }"
        assert over_disk.run(text, "json", None) == over_file.run(text, "json", None)
        refused = over_disk.run("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "json", None)
        assert refused["status"] == 400 and refused["title"] == "Updates are not offered"
    finally:
        over_file.close()
        over_disk.close()


def test_start_starts_the_processes_without_a_query(nt_path: Path) -> None:
    pool = QueryPool(settings(nt_path, workers=2))
    try:
        assert not pool.started
        pool.start()
        assert pool.started and len(pool._workers) == 2
        for worker in list(pool._workers):
            worker.wait_ready(60)
            assert worker.process.poll() is None
    finally:
        pool.close()


@pytest.mark.parametrize("text", ["ASK {}", "SELECT * {\t?s ?p \"\ttab\" }", "é \udc80", ""])
def test_the_framing_carries_a_request_and_a_reply_unchanged(text: str) -> None:
    for formats in (("json", None), (None, "turtle"), (None, None)):
        assert framing.read_request(framing.request(text, *formats)) == (text, *formats)
    answer = {"status": 200, "content_type": "text/csv; charset=utf-8", "body": b"a\n\x00\x01\n"}
    assert framing.read_reply(framing.reply(answer)) == answer
    problem = {"status": 422, "title": "Answer too large", "detail": "é", "extra": {"limit": 3}, "retire": False}
    assert framing.read_reply(framing.reply(problem)) == problem


def test_query_seconds_count_the_time_in_a_query_process_not_the_wait_for_one(nt_path: Path) -> None:
    """With one query process held by a runaway (stopped at its 1 s limit), a second query waits for it: its wall
    time includes that wait, its query_seconds (what the per-client limits charge) do not."""
    from kg.sparql.pool import query_seconds

    pool = QueryPool(settings(nt_path, timeout=1.0, max_cost=0.0))
    try:
        pool.start()
        pool.warm()
        runaway = threading.Thread(target=lambda: pytest.raises(Exception, pool.run, ENDLESS, "json", None))
        runaway.start()
        time.sleep(0.2)  # the runaway holds the only query process
        started = time.monotonic()
        reply = pool.run("ASK { ?s ?p ?o }", "json", None)
        waited = time.monotonic() - started
        charged = query_seconds()
        runaway.join(timeout=30)
        assert reply["status"] == 200
        assert charged is not None and waited >= 0.5 and charged < waited / 2, (charged, waited)
    finally:
        pool.close()
