"""The query-cost guard (kg/sparql/cost.py): its estimate on a small graph, and the query process refusing
(422, before running) what cannot finish while it runs what can."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from kg.sparql import cost
from kg.sparql.pool import PoolSettings, QueryPool
from tests.kg.sparql.conftest import ENDLESS, LABEL

SORTED_PRODUCT = f"SELECT * WHERE {{ ?a <{LABEL}> ?x . ?b <{LABEL}> ?y . ?c <{LABEL}> ?z }} ORDER BY ?x ?y ?z"


@pytest.fixture(scope="module")
def counts(nt_path: Path):
    """count(pattern) over the test graph, through pyoxigraph as the query process counts."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load(path=str(nt_path), format=pyoxigraph.RdfFormat.N_TRIPLES)

    def count(pattern: cost.Pattern) -> int:
        return int(next(iter(store.query(cost.pattern_query(pattern))))[0].value)

    return count


def test_only_queries_with_a_blocking_operator_are_estimated() -> None:
    assert cost.worth_estimating("SELECT * { ?s ?p ?o } ORDER BY ?s")
    assert cost.worth_estimating("select (count(*) as ?n) { ?s ?p ?o }")
    assert cost.worth_estimating("SELECT ?p { ?s ?p ?o } GROUP  BY ?p")
    assert not cost.worth_estimating("SELECT * { ?s ?p ?o } LIMIT 10")
    assert not cost.worth_estimating('SELECT * { ?s ?p "order by" } # count')  # in a string, in a comment
    assert not cost.worth_estimating("SELECT * { ?s <urn:x:count> ?o }")  # in an IRI


def test_a_cross_product_multiplies_and_a_join_does_not(counts) -> None:
    joined = cost.estimate(f"SELECT * {{ ?a <{LABEL}> ?x . ?a ?p ?y }} ORDER BY ?x", counts)
    crossed = cost.estimate(f"SELECT * {{ ?a <{LABEL}> ?x . ?b ?p ?y }} ORDER BY ?x", counts)
    assert joined is not None and crossed is not None
    assert joined.rows == 196  # at most the most selective part
    assert crossed.rows == 196 * 200  # every label row with every triple
    assert crossed.seconds > 100 * joined.seconds
    # two groups that share no variable multiply as well; a UNION adds
    grouped = cost.estimate(f"SELECT * {{ {{ ?a <{LABEL}> ?x }} {{ ?b <{LABEL}> ?y }} }} ORDER BY ?x", counts)
    united = cost.estimate(f"SELECT * {{ {{ ?a <{LABEL}> ?x }} UNION {{ ?b <{LABEL}> ?y }} }} ORDER BY ?x", counts)
    assert grouped is not None and grouped.rows == 196 * 196
    assert united is not None and united.rows == 2 * 196


def test_a_limit_cuts_a_stream_but_not_a_sort(counts) -> None:
    streamed = cost.estimate("SELECT (COUNT(*) AS ?n) { { SELECT * { ?a ?p ?x . ?b ?q ?y } LIMIT 10 } }", counts)
    sorted_first = cost.estimate("SELECT * { ?a ?p ?x . ?b ?q ?y } ORDER BY ?x LIMIT 10", counts)
    assert streamed is not None and sorted_first is not None
    assert streamed.seconds < 0.01  # the engine stops after ten rows
    assert sorted_first.seconds > 40_000 * cost.SORT_SECONDS  # all 200 × 200 rows are sorted first


def test_a_text_rdflib_cannot_read_is_left_to_the_engine(counts) -> None:
    assert cost.estimate("SELECT * { ?s ?p ?o } ORDER BY", counts) is None
    assert cost.estimate("SELECT * { ?s undeclared:p ?o } ORDER BY ?s", counts) is None


def pool_of(nt_path: Path, max_cost: float) -> QueryPool:
    pool = QueryPool(PoolSettings(nt_path=str(nt_path), workers=1, timeout=2, max_rows=10, memory=None,
                                  max_cost=max_cost))
    pool.start()
    return pool


def test_the_query_process_refuses_what_cannot_finish_and_runs_what_can(nt_path: Path) -> None:
    pool = pool_of(nt_path, 3.0)
    try:
        started = time.monotonic()
        reply = pool.run(ENDLESS, "json", None)  # 200⁵ rows to count
        assert reply["status"] == 422 and reply["title"] == "Query would not finish"
        assert "Narrow the query" in reply["detail"] and "2 s a query may run" in reply["detail"]
        assert reply["extra"]["estimated_rows"] == 200 ** 5 and reply["extra"]["timeout_seconds"] == 2
        refused = pool.run(SORTED_PRODUCT, "json", None)
        assert refused["status"] == 422 and refused["extra"]["estimated_seconds"] > 6
        assert time.monotonic() - started < 10  # refused up front, not after the 2 s limit each
        fine = pool.run(f"SELECT ?s WHERE {{ ?s <{LABEL}> ?l }} ORDER BY ?l LIMIT 2", "json", None)
        assert fine["status"] == 200, fine
        counted = pool.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json", None)
        assert counted["status"] == 200 and b'"200"' in counted["body"], counted
    finally:
        pool.close()


def test_without_the_guard_the_time_limit_stops_it(nt_path: Path) -> None:
    from kg.sparql.pool import PoolError

    pool = pool_of(nt_path, 0.0)
    try:
        with pytest.raises(PoolError) as stopped:
            pool.run(ENDLESS, "json", None)
        assert stopped.value.status == 504
    finally:
        pool.close()
