"""The stores the API reads from: one small interface, two embedded engines.

``OxigraphStore`` (pyoxigraph, the default — chosen by ``bench/store_bench.py``) and
``RdflibStore`` (rdflib's own SPARQL engine, kept as the measured baseline) both load the built
N-Triples and answer the named queries of :mod:`kg.queries` with plain Python values, so the API
does not depend on either engine's term classes. Reasoning happened at build time: a store only
serves triples.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import pyoxigraph

from kg import queries


@dataclass(frozen=True, slots=True)
class Value:
    """One bound value of a result row."""

    value: str
    kind: str  # "iri", "literal" or "bnode"
    lang: str | None = None
    datatype: str | None = None

    def python(self) -> object:
        """The literal as a Python value (bool, int, Decimal-like float, str)."""
        if self.kind != "literal" or self.datatype is None:
            return self.value
        local = self.datatype.rsplit("#", 1)[-1]
        if local == "boolean":
            return self.value == "true"
        if local in ("integer", "int", "long", "nonNegativeInteger"):
            return int(self.value)
        if local in ("decimal", "double", "float"):
            return float(self.value)
        return self.value


Row = dict[str, Value]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class Store(Protocol):
    """What the API needs from a store."""

    name: str

    def select(self, query: str, **params: queries.Term) -> list[Row]:
        """Run the named SELECT ``query`` with its parameters bound; rows of plain values."""

    def triples(self) -> int:
        """How many triples the store holds."""


def _from_oxigraph(term) -> Value:
    if isinstance(term, pyoxigraph.NamedNode):
        return Value(term.value, "iri")
    if isinstance(term, pyoxigraph.BlankNode):
        return Value(term.value, "bnode")
    datatype = term.datatype.value
    return Value(term.value, "literal", term.language,
                 None if datatype in (XSD_STRING, RDF_LANG_STRING) else datatype)


class OxigraphStore:
    """pyoxigraph's in-memory store."""

    name = "oxigraph"

    def __init__(self, nt_path: Path) -> None:
        self.store = pyoxigraph.Store()
        self.store.bulk_load(path=str(nt_path), format=pyoxigraph.RdfFormat.N_TRIPLES)

    def select(self, query: str, **params: queries.Term) -> list[Row]:
        solutions = self.store.query(queries.bind(query, **params))
        variables = [v.value for v in solutions.variables]
        return [{name: _from_oxigraph(term) for name, term in zip(variables, solution) if term is not None}
                for solution in solutions]

    def run(self, sparql: str, **options):
        """A raw query for the SPARQL endpoint (results in pyoxigraph's own classes)."""
        return self.store.query(sparql, **options)

    def triples(self) -> int:
        return len(self.store)


class RdflibStore:
    """rdflib's in-memory graph and SPARQL engine (the baseline the benchmark compares against)."""

    name = "rdflib"

    def __init__(self, nt_path: Path) -> None:
        from rdflib import Graph

        self.graph = Graph()
        self.graph.parse(nt_path, format="nt")

    def select(self, query: str, **params: queries.Term) -> list[Row]:
        from rdflib import BNode, Literal, URIRef

        text = queries.bind(query, **params)
        result = self.graph.query(text)
        # rdflib answers a GROUP BY over no solutions with one empty row; SPARQL 1.1 (§11.2, and
        # pyoxigraph) gives no group and so no row. Drop it, so both engines answer alike.
        grouped = "GROUP BY" in text.upper()
        rows: list[Row] = []
        for binding in result.bindings:
            if grouped and not binding:
                continue
            row: Row = {}
            for variable, term in binding.items():
                if isinstance(term, URIRef):
                    row[str(variable)] = Value(str(term), "iri")
                elif isinstance(term, BNode):
                    row[str(variable)] = Value(str(term), "bnode")
                elif isinstance(term, Literal):
                    datatype = str(term.datatype) if term.datatype else None
                    row[str(variable)] = Value(str(term), "literal", term.language,
                                               None if datatype in (XSD_STRING, RDF_LANG_STRING) else datatype)
            rows.append(row)
        return rows

    def triples(self) -> int:
        return len(self.graph)


ENGINES = {"oxigraph": OxigraphStore, "rdflib": RdflibStore}


def open_store(nt_path: Path, engine: str = "oxigraph") -> Store:
    """Open the built graph with ``engine`` (``oxigraph`` by default)."""
    try:
        factory = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown store engine {engine!r}; choose one of {', '.join(ENGINES)}") from None
    return factory(nt_path)


def iter_rows(rows: list[Row], *names: str) -> Iterator[tuple[Value | None, ...]]:
    for row in rows:
        yield tuple(row.get(name) for name in names)
