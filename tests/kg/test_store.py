"""The two embedded engines answer the named queries alike (rows as plain values)."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest

from kg.store import open_store


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
