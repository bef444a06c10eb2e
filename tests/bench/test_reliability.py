"""The load and fault scenarios of bench/reliability_bench.py (issue 12), short, on a real ``osteokg serve``.

The same functions the bench runs, at a few seconds each, over a real build made here: the quiet mix has no
errors; every runaway query ends 504 by its time limit (or 429 from the per-client limits, which stay on at their
defaults) and its query process is gone; 600 connections at once leave none hung; after a kill -9 of a worker and
of a query process the server recovers within a bounded wait and loses at most the requests in flight (the killed
query's answer is a problem+json, no traceback); a broken source, two builds at once and a full disk leave the
served release byte-identical and answering. Timings (p50/p99, the runaway's p99 ratio) are the bench's to report,
never asserted here. Every server started is stopped with every process below it (``Served.stop`` raises if one
outlives it). Without ``wrk`` the load tests are skipped, and fail under ``CI=true`` (``.ci/run`` installs it).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench import reliability_bench as rb
from kg.build import build

SECONDS = 5


def need_wrk() -> None:
    if shutil.which("wrk") is None:
        reason = "wrk is not on the PATH: apt-get install wrk"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true, so the load tests must run")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reliability") / "build"
    build(out_dir=out)
    return out


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reliability-logs")


@pytest.fixture(scope="module")
def paths(release: Path) -> dict[str, list[str]]:
    return rb.mix_paths(release)


@pytest.fixture(scope="module")
def scripts(paths, logs: Path) -> dict[str, Path]:
    scripts = rb.write_scripts(paths, logs)
    scripts["probe_sparql"] = logs / "probe-sparql.txt"
    scripts["probe_sparql"].write_text(paths["sparql"][0], encoding="utf-8")
    return scripts


@pytest.fixture
def served(release: Path, logs: Path):
    """A server of its own per test (as the bench gives each scenario): the mix is one client (127.0.0.1), and
    what one test spent of its SPARQL query-time budget must not refuse the next one's queries."""
    with rb.serving(release, logs, "serve") as server:
        yield server


def test_the_mix_is_read_from_the_build(release: Path, paths) -> None:
    nt = (release / "osteokg.nt").read_text(encoding="utf-8")
    assert len(paths["entities"]) == len(rb.entity_curies(nt)) > 50
    assert len(paths["search"]) == 50 and len(set(paths["words"])) == 50
    for word in paths["words"]:
        assert f'"{word}"' in nt.lower()  # each a label or synonym of the build
    assert all("LIMIT" in q or q.startswith("ASK") for q in rb.cheap_queries(rb.entity_curies(nt)))


def test_every_path_of_the_mix_answers(served, paths) -> None:
    assert rb.warm(served, paths) == {200: sum(len(paths[k]) for k in ("entities", "search", "sparql"))}


def test_quiet_mix_has_no_errors(served, scripts) -> None:
    need_wrk()
    result = rb.quiet(served, scripts, SECONDS)
    for name, part in result["parts"].items():
        assert part["requests"] > 0, name
        assert sum(part["statuses"].values()) == part["requests"], (name, part)  # every answer counted by its status
        assert part["errors"] == 0, (name, part["statuses"], part["socket_errors"], part["bodies"])


def test_each_runaway_ends_by_its_time_limit_and_its_process_is_gone(served, scripts) -> None:
    need_wrk()
    result = rb.runaway(served, scripts, SECONDS, quiet_p99=None)
    outcome = result["outcome"]
    assert outcome["ended_504"] >= 1, outcome
    assert outcome["other"] == 0, outcome["first_other"]  # each ended 504, or was refused (429 limits, 503 busy)
    assert outcome["ended_504"] + outcome["refused_429"] + outcome["refused_503_busy"] == outcome["sent"]
    assert outcome["query_processes_killed"] >= outcome["ended_504"], outcome
    assert outcome["query_processes_burning_after"] == 0, outcome
    assert result["parts"]["lookups"]["errors"] == 0, result["parts"]["lookups"]
    assert rb.wait_for(lambda: not rb.burning(served.query_processes(), 0.3), 30) is not None


def test_600_connections_none_hung(served, paths) -> None:
    result = rb.many_connections(served, paths["entities"][0])
    outcome = result["outcome"]
    assert outcome["hung"] == 0, outcome
    assert outcome["served"] + outcome["refused_cleanly"] == rb.MANY, outcome
    assert outcome["served"] > 0 and outcome["healthy_after"]


def test_a_killed_worker_recovers_and_loses_at_most_the_requests_in_flight(served, scripts, paths) -> None:
    need_wrk()
    result = rb.kill_worker(served, scripts, SECONDS, paths["entities"][0])
    outcome = result["outcome"]
    assert outcome["server_alive"], outcome
    assert outcome["respawned_after"] is not None, outcome
    assert outcome["recovered_after"] is not None, outcome
    assert outcome["lost"] <= outcome["in_flight_at_most"], outcome
    assert result["part"]["requests"] > 0


def test_a_killed_query_process_is_replaced_and_its_query_fails_cleanly(served, scripts) -> None:
    need_wrk()
    result = rb.kill_query(served, scripts, SECONDS)
    outcome = result["outcome"]
    answer = outcome["its_answer"]
    assert answer and answer["status"] in (503, 504) and "application/problem+json" in answer["type"], answer
    assert not outcome["traceback"], answer
    assert outcome["replaced_after"] is not None and outcome["recovered_after"] is not None, outcome
    assert outcome["lost"] <= outcome["in_flight_at_most"], outcome


def check_served_release(result: dict) -> dict:
    outcome = result["outcome"]
    assert outcome["unchanged"], (outcome["release_before"], outcome["served_release_after"])
    assert outcome["whole"], outcome["current_after"]
    assert outcome["answering"], outcome["served_after"]
    assert result["ok"], outcome
    return outcome


def test_a_broken_source_does_not_touch_the_served_release(release: Path, logs: Path, paths) -> None:
    outcome = check_served_release(rb.build_broken(release, logs, paths["entities"][0]))
    assert outcome["build"]["code"] not in (0, None) and not outcome["build"]["traceback"], outcome["build"]
    assert outcome["same_answers"]


def test_two_builds_at_once_leave_a_whole_release(release: Path, logs: Path, paths) -> None:
    outcome = check_served_release(rb.build_twice(release, logs, paths["entities"][0]))
    assert 0 in outcome["codes"] and None not in outcome["codes"], outcome["builds"]


@pytest.mark.parametrize("mount", [True, False], ids=["tmpfs-or-fallback", "file-size-limit"])
def test_a_full_disk_during_a_build_does_not_touch_the_served_release(release: Path, tmp_path: Path, paths,
                                                                      mount: bool) -> None:
    outcome = check_served_release(rb.build_full_disk(release, tmp_path, paths["entities"][0], mount=mount))
    assert outcome["build"]["code"] not in (0, None), outcome["build"]
    assert outcome["message_clear"] and not outcome["build"]["traceback"], outcome["build"]
    assert outcome["same_answers"]
    if not mount:
        assert outcome["disk"] == "rlimit"
