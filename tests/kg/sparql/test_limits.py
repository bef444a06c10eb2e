"""kg.sparql.limits: at most N queries at once and S seconds of query time per window, per client, counted in
one file that several processes share; stale tickets of killed processes stop counting."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from kg.sparql.limits import Limited, Limits, Share


def refused(limits: Limits, client: str) -> Limited:
    """The refusal ``client``'s next query gets (the test fails if it is let in)."""
    try:
        with limits.admit(client):
            pass
    except Limited as refusal:
        return refusal
    raise AssertionError(f"{client}'s query was let in")


def admitted(limits: Limits, client: str) -> None:
    with limits.admit(client):
        pass


def test_concurrent_queries_are_capped_per_client(tmp_path) -> None:
    limits = Limits(tmp_path / "l.sqlite", concurrent=2)
    with limits.admit("a"), limits.admit("a"):
        refusal = refused(limits, "a")
        assert "at most 2 at once" in str(refusal) and refusal.retry_after == 1
        admitted(limits, "b")  # another client is not held back
    admitted(limits, "a")  # they finished: room again


def test_the_time_budget_is_per_client_and_frees_as_the_window_moves(tmp_path) -> None:
    limits = Limits(tmp_path / "l.sqlite", budget=1.0, window=0.6)
    limits.charge("a", 1.2)
    refusal = refused(limits, "a")
    assert "1.2 s of SPARQL query time" in str(refusal)
    assert refusal.retry_after == 1  # the 0.6 s window, rounded up to whole seconds
    admitted(limits, "b")
    time.sleep(0.7)
    admitted(limits, "a")


def test_a_failed_query_is_charged_and_released(tmp_path) -> None:
    limits = Limits(tmp_path / "l.sqlite", concurrent=1, budget=0.05)
    with pytest.raises(RuntimeError), limits.admit("a"):
        time.sleep(0.1)
        raise RuntimeError("the query failed")
    assert "query time" in str(refused(limits, "a"))  # released (not "running"), but its 0.1 s was charged


def test_a_ticket_left_by_a_killed_process_goes_stale(tmp_path) -> None:
    limits = Limits(tmp_path / "l.sqlite", concurrent=1, stale=0.3)
    limits._enter("a", time.time())  # admitted, never released: its process was killed
    refused(limits, "a")
    time.sleep(0.4)
    admitted(limits, "a")


HOLDER = """
import sys
from kg.sparql.limits import Limits
with Limits(sys.argv[1], concurrent=1).admit("shared-client"):
    print("in", flush=True)
    sys.stdin.readline()
"""


def test_the_count_is_shared_by_processes(tmp_path) -> None:
    path = tmp_path / "l.sqlite"
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline().strip() == "in"
            assert "at most 1 at once" in str(refused(Limits(path, concurrent=1), "shared-client"))
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(timeout=20) == 0
        finally:
            if holder.poll() is None:
                holder.kill()
    admitted(Limits(path, concurrent=1), "shared-client")


def test_a_query_is_charged_the_seconds_it_is_given_not_its_wall_time(tmp_path) -> None:
    """api.sparql.admitted charges a pooled query the time it held a query process (kg.sparql.pool.query_seconds),
    so a client that waited while others' queries held every process is not charged for their time."""
    limits = Limits(tmp_path / "l.sqlite", budget=0.5)
    ticket = limits.enter("a")
    time.sleep(0.6)  # waited: over the budget as wall time
    limits.leave(ticket, seconds=0.01)
    admitted(limits, "a")  # charged 0.01 s only
    ticket = limits.enter("b")
    time.sleep(0.6)
    limits.leave(ticket)  # no seconds given: the wall time
    assert "query time" in str(refused(limits, "b"))


# ---------------------------------------------------------------- the share of one worker's query processes

def test_a_client_holds_all_but_one_of_a_workers_processes_and_its_next_query_waits_for_its_own() -> None:
    share = Share(processes=2, patience=5)
    assert share.most == 1 and Share(processes=1, patience=5).most == 1 and Share(processes=4, patience=5).most == 3
    order: list[str] = []
    with share.hold("runaway"):
        second = threading.Thread(target=lambda: (share.hold("runaway").__enter__(), order.append("second ran")))
        second.start()
        time.sleep(0.3)
        assert share.held("runaway") == 1 and order == []  # it waits for the client's own query, not for a process
        with share.hold("another client"):  # the process kept for the others: no wait
            order.append("another ran")
        order.append("first ended")
    second.join(timeout=5)
    assert order == ["another ran", "first ended", "second ran"]


def test_a_wait_past_its_patience_is_a_refusal_with_retry_after() -> None:
    share = Share(processes=2, patience=0.3)
    with share.hold("runaway"):
        started = time.monotonic()
        with pytest.raises(Limited, match="already hold 1 of this server process's 2 query processes") as caught:
            with share.hold("runaway"):
                pass
        assert 0.25 < time.monotonic() - started < 2 and caught.value.retry_after == 1
    assert share.held("runaway") == 0
    with share.hold("runaway"):  # free again
        assert share.held("runaway") == 1


def test_a_failed_query_gives_its_share_back() -> None:
    share = Share(processes=3, patience=1)
    with pytest.raises(RuntimeError):
        with share.hold("c"):
            raise RuntimeError("the query failed")
    assert share.held("c") == 0
