"""The pure parts of bench/scale_bench.py and bench/plot.py: no server is started (CI runs the suite, not the bench)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import plot, scale_bench
from bench.http_bench import parse_wrk
from bench.store_bench import copy_word, scale_graph

NS = "https://w3id.org/osteokg/OSTEOKG_"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
EXACT = "<http://www.geneontology.org/formats/oboInOwl#hasExactSynonym>"
OWL = "http://www.w3.org/2002/07/owl#"

# a category, a relation, two terms, a synonym with its axiom, an edge with its evidence node, a restriction
TINY = f"""<{NS}0000010> {LABEL} "disorder"@en .
<{NS}0009003> {LABEL} "has location"@en .
<{NS}0009003> <{OWL}inverseOf> _:inv .
_:inv <{OWL}propertyChain> <{NS}0009004> .
<{NS}0000106> {LABEL} "osteonecrosis"@en .
<{NS}0000106> {EXACT} "botsterfte"@nl .
<{NS}0000106> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{NS}0000010> .
<{NS}0000106> <{NS}0009003> <{NS}0001001> .
<{NS}0001001> {LABEL} "bone tissue"@en .
_:ax <{OWL}annotatedSource> <{NS}0000106> .
_:ax <{OWL}annotatedProperty> {EXACT} .
_:ax <{OWL}annotatedTarget> "botsterfte"@nl .
_:ev <{OWL}annotatedSource> <{NS}0000106> .
_:ev <https://w3id.org/osteokg/vocab/quote> "Botnecrose is het afsterven van botweefsel"@nl .
"""


def _graph(tmp_path: Path, copies: int, **options) -> list[str]:
    source, target = tmp_path / "in.nt", tmp_path / f"out-{copies}-{sorted(options)}.nt"
    source.write_text(TINY, encoding="utf-8")
    written = scale_graph(source, target, copies, **options)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert written == len(lines)
    return lines


def test_scale_graph_default_renames_everything_and_keeps_labels(tmp_path):
    lines = _graph(tmp_path, 3)
    assert len(lines) == 3 * len(TINY.splitlines())
    assert f'<{NS}0000106_2> {LABEL} "osteonecrosis"@en .' in lines  # labels as built: store_bench's graph
    assert f"<{NS}0000106_2> <{NS}0009003_2> <{NS}0001001_2> ." in lines
    assert f"_:invc2 <{OWL}propertyChain> <{NS}0009004_2> ." in lines


def test_scale_graph_relabels_copies_and_shares_the_schema(tmp_path):
    lines = _graph(tmp_path, 3, relabel=True, share_schema=True)
    word = copy_word(2)
    assert f'<{NS}0000106_2> {LABEL} "osteonecrosis {word}"@en .' in lines
    assert f'<{NS}0000106> {LABEL} "osteonecrosis"@en .' in lines  # copy 0 as built
    # the synonym and the axiom that annotates it change together, so the synonym keeps its type
    assert f'<{NS}0000106_2> {EXACT} "botsterfte {word}"@nl .' in lines
    assert f'_:axc2 <{OWL}annotatedTarget> "botsterfte {word}"@nl .' in lines
    # a quote is not a label: unchanged
    assert '_:evc2 <https://w3id.org/osteokg/vocab/quote> "Botnecrose is het afsterven van botweefsel"@nl .' in lines
    # relations and categories are copy 0's, written once, with their blank nodes
    assert f"<{NS}0000106_2> <{NS}0009003> <{NS}0001001_2> ." in lines
    assert f"<{NS}0000106_2> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{NS}0000010> ." in lines
    assert sum(line.startswith(f"<{NS}0009003>") for line in lines) == 2
    assert not any("_:invc" in line or f"{NS}0009003_" in line or f"{NS}0000010_" in line for line in lines)
    assert len(lines) == len(set(lines))


def test_copy_words_are_distinct_and_never_match_a_search_word():
    words = [copy_word(k) for k in range(1, 2000)]
    assert len(set(words)) == len(words)
    for word in words:
        assert not any(query.lower() in word for query in scale_bench.WORDS + scale_bench.PREFIXES)
    with pytest.raises(ValueError):
        copy_word(0)


def test_lua_script_sends_every_path_in_turn():
    paths = ["/entities/OSTEOKG:0000106", "/entities/OSTEOKG:0000106_2/relations", "/search?q=breuk%20heup"]
    script = scale_bench.lua_script(paths)
    body = script[script.index("local paths = {"):script.index("}\n")]
    assert [line.strip().strip(",").strip('"') for line in body.splitlines()[1:]] == paths
    assert 'wrk.format("GET", paths[counter], headers)' in script
    assert '["Accept"] = "application/json"' in script
    for bad in ("/search?q=breuk heup", '/x"y', "/ĳs", "relative"):
        with pytest.raises(ValueError):
            scale_bench.lua_script([bad])
    with pytest.raises(ValueError):
        scale_bench.lua_script([])


def test_entity_curies_are_labelled_osteokg_subjects_once():
    text = TINY + f'<{NS}0000106_2> {LABEL} "osteonecrosis qaqu"@en .\n<http://x/y> {LABEL} "other"@en .\n'
    assert scale_bench.entity_curies(text) == ["OSTEOKG:0000010", "OSTEOKG:0009003", "OSTEOKG:0000106",
                                               "OSTEOKG:0001001", "OSTEOKG:0000106_2"]


def test_search_words_are_fifty_and_quoted():
    paths = scale_bench.search_paths(scale_bench.WORDS + scale_bench.PREFIXES)
    assert len(paths) == 50 and "/search?q=breuk%20heup" in paths
    scale_bench.lua_script(paths)  # every one sendable as it is


def test_process_tree_finds_children_in_their_own_session():
    code = ("import os, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(30)'])\n"
            "time.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(scale_bench.process_tree(child.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        tree = scale_bench.process_tree(child.pid)
        assert tree[0] == child.pid and len(tree) == 2
        used = scale_bench.memory(child.pid)
        assert [p["pid"] for p in used["processes"]] == tree
        assert used["rss_mb"] == pytest.approx(sum(p["rss_mb"] for p in used["processes"]))
        assert all(p["rss_mb"] > 1 for p in used["processes"])
        if used["pss_mb"] is not None:
            assert 0 < used["pss_mb"] <= used["rss_mb"]
    finally:
        for pid in reversed(scale_bench.process_tree(child.pid)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        child.wait(timeout=10)
    assert scale_bench.process_tree(child.pid) == []


def test_copies_for_a_million_triples():
    assert scale_bench.copies_for(1_000_000, 9_339, 9_339 + 8_460, 2) == 118
    with pytest.raises(ValueError):
        scale_bench.copies_for(1_000_000, 9_339, 9_339, 2)


WRK = """Running 3s test @ http://127.0.0.1:1/
  2 threads and 16 connections
  Latency Distribution
     50%  612.00us
     75%    1.20ms
     90%    2.01ms
     99%   12.50ms
  25000 requests in 3.00s, 20.00MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   8333.33
"""


def test_parse_wrk():
    run = parse_wrk(WRK)
    assert run["rps"] == 8333.33 and run["requests"] == 25000 and run["non2xx"] == 7
    assert run["p50"] == pytest.approx(0.612) and run["p99"] == 12.5


def _result(entity_ratio: float, search_p50: float, pss: float, ready: float) -> dict:
    def config(ratio: float) -> dict:
        loads = {"health": {"rps": 1000.0, "p50": 1.0, "ratio": 1.0},
                 "entity": {"rps": 1000 * ratio, "p50": 2.0, "ratio": ratio},
                 "search": {"rps": 600.0, "p50": 80.0, "ratio": 0.6, "one_client": {"p50": search_p50, "p99": 20.0}},
                 "prefix": {"rps": 600.0, "p50": 40.0, "ratio": 0.6, "one_client": {"p50": 4.0, "p99": 9.0}}}
        return {"loads": loads, "ready": {"health": {"seconds": ready}},
                "memory_after_load": {"rss_mb": pss * 2, "pss_mb": pss}}

    return [{"copies": 1, "triples": 9_339, "configs": {"off": config(0.9)}, "oxigraph": {"rss_mb": 50, "pss_mb": 50}},
            {"copies": 117, "triples": 1_000_000, "configs": {"off": config(entity_ratio)},
             "oxigraph": {"rss_mb": 300.0, "pss_mb": 300.0}}]


def test_summary_says_met_only_when_met():
    rows = {(r["figure"], r["where"].split(",")[0]): r["met"] for r in scale_bench.summary(_result(0.8, 9.0, 590, 1.5))}
    assert all(rows.values()), rows
    rows = scale_bench.summary(_result(0.5, 11.0, 610, 2.5))
    met = {r["figure"] + " @" + r["where"].split(",")[0]: r["met"] for r in rows}
    assert met["uncached entity lookup, mixed over every entity / own /health @×1"] is True
    assert met["uncached entity lookup, mixed over every entity / own /health @×117"] is False
    assert [r["met"] for r in rows if r["figure"].startswith("search, 50")] == [False]
    assert [r["met"] for r in rows if r["figure"].startswith("all processes")] == [False]
    assert [r["met"] for r in rows if r["figure"].startswith("first answer")] == [False]


def test_plot_reads_every_layout_it_knows_and_refuses_none(tmp_path):
    scales = _result(0.8, 9.0, 590, 1.5)
    for s in scales:
        s["entities"] = 10
    (tmp_path / "scale.json").write_text(json.dumps({"info": {}, "scales": scales}), encoding="utf-8")
    (tmp_path / "build.json").write_text(json.dumps({"unknown": True}), encoding="utf-8")
    lines = plot.scale_series({"scales": scales})
    assert lines["rps entity cache off"] == [(9_339, 900.0), (1_000_000, 800.0)]
    assert lines["memory Oxigraph server"] == [(9_339, 50), (1_000_000, 300.0)]
    assert plot.build_series({"unknown": True}) is None
    assert plot.build_series([{"triples": 10, "stages": {"reason": 1.5, "shacl": 3}}]) == {"reason": [(10, 1.5)],
                                                                                          "shacl": [(10, 3.0)]}
    drawn = plot.draw(tmp_path, tmp_path / "scale.png")
    assert (tmp_path / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(drawn) == 4  # build.json's layout is shown as not understood, not drawn


def test_plot_reads_sparql_bench_runs():
    runs = {"1": {"triples": 9_339, "servers": {
        "ours": {"queries": {"ask": {"rps": 1000.0, "status": 200}, "cq": {"rps": 300.0, "status": 200},
                             "bad": {"rps": 5.0, "status": 500}}},
        "oxigraph-memory": {"queries": {"ask": {"rps": 4000.0, "status": 200}, "cq": {"rps": 400.0, "status": 200},
                                        "bad": {"rps": 10.0, "status": 200}}}}}}
    lines = plot.sparql_series({"info": {}, "runs": runs})
    assert lines == {"ours / oxigraph-memory, median": [(9_339, 0.75)], "ours / oxigraph-memory, lowest": [(9_339, 0.25)]}
    assert plot.sparql_series({"runs": {"1": "nonsense"}}) is None


def test_renumbered_copies_have_seven_digit_ids(tmp_path):
    lines = _graph(tmp_path, 3, relabel=True, share_schema=True, renumber=True)
    assert f"<{NS}0020106> <{NS}0009003> <{NS}0021001> ." in lines  # 106 + 2 × 10,000
    ids = {m for line in lines for m in re.findall(r"OSTEOKG_([0-9_]+)>", line)}
    assert all(re.fullmatch(r"[0-9]{7}", i) for i in ids), ids
    assert "OSTEOKG:0010106" in scale_bench.entity_curies("\n".join(lines))


def test_plot_reads_build_bench_runs_on_the_scales_triples():
    scale = {"scales": [{"copies": 1, "triples": 9_339}, {"copies": 10, "triples": 83_292}]}
    triples = plot.triples_of(scale)
    assert triples(10) == 83_292 and triples(100) == 9_339 + 99 * 8_217
    build = {"meta": {}, "runs": {"1": {"seconds": {"pyshacl": 2.0, "reason": 0.5}, "info": {}},
                                  "100": {"seconds": {"pyshacl": 60.0}, "info": {}}}}
    assert plot.build_series(build, triples) == {"pyshacl": [(9_339, 2.0), (822_822, 60.0)], "reason": [(9_339, 0.5)]}
    assert plot.build_series(build, None) is None  # no x without the scales' triples
