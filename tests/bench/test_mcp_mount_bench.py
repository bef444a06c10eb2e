"""The pure parts of bench/mcp_mount_bench.py (no server is started: CI runs the suite, not the bench), and its
baseline module: api/wsgi.py without the mount, nothing else."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench import mcp_mount_bench as bench

ROOT = Path(__file__).resolve().parents[2]
ENTITIES = [f"OSTEOKG:{n:07d}" for n in range(100, 160)]
CODES = ["ICD10WHO:M87", "MESH:D010020", "ICD10WHO:M81"]
LABELS = {e: f"label {e}" for e in ENTITIES}


def statements(path: Path) -> list[str]:
    """The module's statements below its docstring, each as its AST dump."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return [ast.dump(node) for node in body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]


def test_the_baseline_is_the_served_app_without_the_mount():
    served, baseline = statements(ROOT / "api" / "wsgi.py"), statements(ROOT / "bench" / "rest_only_wsgi.py")
    mount = [s for s in served if "mount" in s]
    assert len(mount) == 2, "api/wsgi.py imports mount and calls it, once each"
    assert [s for s in served if s not in mount] == baseline
    assert not any("mcp" in s for s in baseline)


def test_the_plan_spreads_over_tools_entities_and_codes():
    plan = bench.plan(ENTITIES, CODES, LABELS, 200)
    assert len(plan) == 200
    assert {tool for tool, _ in plan} == set(bench.TOOLS)
    assert {tool for tool, _ in plan[:5]} == set(bench.TOOLS)  # in turn
    named = {a["id"] for _, a in plan if "id" in a} | {a["q"].removeprefix("label ") for t, a in plan if t == "search"}
    assert named == set(ENTITIES)  # every entity, in turn, not one repeated
    assert {a["code"] for t, a in plan if t == "lookup_code"} == set(CODES)
    assert {a["walk"] for t, a in plan if t == "walk_hierarchy"} == set(bench.WALKS)
    assert bench.plan(ENTITIES, CODES, {}, 5)[3] == ("search", {"q": ENTITIES[3]})  # no label: its CURIE


@pytest.mark.parametrize("tool, arguments, path", [
    ("get_entity", {"id": "OSTEOKG:0000108"}, "/entities/OSTEOKG:0000108"),
    ("list_edges", {"id": "OSTEOKG:0000108"}, "/entities/OSTEOKG:0000108/relations"),
    ("walk_hierarchy", {"id": "OSTEOKG:0000108", "walk": "ancestors"}, "/entities/OSTEOKG:0000108/ancestors"),
    ("search", {"q": "broze botten"}, "/search?q=broze%20botten"),
    ("lookup_code", {"code": "ICD10WHO:M87"}, "/xrefs/ICD10WHO:M87"),
])
def test_each_tool_call_has_its_rest_route(tool, arguments, path):
    assert bench.rest_path(tool, arguments) == path


def test_a_release_without_codes_is_refused():
    with pytest.raises(ValueError, match="no codes"):
        bench.plan(ENTITIES, [], LABELS, 10)


def test_the_table_gives_ratio_and_difference():
    run = {"idle": [{"rss_mb": 80.0, "pss_mb": 40.0, "pss_anon_mb": 30.0, "threads": 9},
                    {"rss_mb": 82.0, "pss_mb": 42.0, "pss_anon_mb": None, "threads": 9}],
           "after": [{"rss_mb": 90.0, "pss_mb": 50.0, "pss_anon_mb": 35.0, "threads": 10}]}
    mounted = {"idle": [{"rss_mb": 121.5, "pss_mb": 61.0, "pss_anon_mb": 45.0, "threads": 9}],
               "after": [{"rss_mb": 135.0, "pss_mb": 75.0, "pss_anon_mb": 50.0, "threads": 12}]}
    rows = {(r["phase"], r["figure"]): r for r in bench.table(run, mounted)}
    idle = rows[("idle, after warm-up", "RSS MB")]
    assert idle["baseline"] == 81.0 and idle["ratio"] == pytest.approx(1.5) and idle["difference"] == 40.5
    assert rows[("idle, after warm-up", "anonymous PSS MB")]["baseline"] == 30.0  # the unreadable one left out
    assert rows[("after the load", "threads")]["difference"] == 2
