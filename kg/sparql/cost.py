"""The query-cost guard: refuse, before it runs, a query that cannot finish within the time limit.

A query process gives each query ``SPARQL_TIMEOUT`` seconds (then 504). A query such as
``SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f`` cannot finish in any limit a public endpoint gives:
its two patterns share no variable, so the engine builds their cross product (10⁸ rows on this graph)
and must hold and sort all of it before the first row. Running it only to kill it after the time limit
costs a query process for that long, for nothing. The guard estimates, from the query's algebra and
the store's own counts, how long the query would take, and refuses it (422, with the estimate and how
to narrow it) when the estimate is over ``SPARQL_MAX_COST`` times the time limit.

The estimate (:func:`estimate`) is deliberately simple and errs on the side of running a query:

- a triple pattern yields as many rows as the store holds triples matching its constants (counted once
  per pattern and process by the caller's ``count``); a property path counts as every triple;
- patterns joined on a shared variable yield at most as many rows as their most selective part; parts
  that share no variable (in one group, or groups joined or OPTIONAL-joined) multiply; UNION adds;
  FILTER, BIND, MINUS and OPTIONAL with a shared variable are counted as keeping every row (so a filter
  that makes a product small is not believed: the engine still builds the product);
- producing a row costs :data:`PRODUCE_SECONDS`, sorting one (ORDER BY) :data:`SORT_SECONDS`, each
  measured on this engine (bench/sparql_cost_bench.py); a LIMIT over a part that streams (no ORDER BY,
  GROUP BY or aggregate below it) cuts its cost in proportion, since the engine stops early; the answer's
  own row cap (``SPARQL_MAX_ROWS``) does the same for the whole query.

Only queries with a blocking operator (ORDER BY, GROUP BY, HAVING, an aggregate) are parsed for it
(rdflib's SPARQL grammar and algebra, tens of milliseconds, cached per text and process): without one, a
query streams, and the row cap or the time limit ends it quickly. A text rdflib cannot parse or translate is
left to the engine (which answers its own syntax error). No Flask, no pyoxigraph here: the caller (the
query process, :mod:`kg.sparql.worker`) supplies the counts.
"""
from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kg.sparql.policy import OPAQUE

#: seconds to produce one row of a join (measured: a COUNT over a 4.9 M-row cross product takes ~0.9 s)
PRODUCE_SECONDS = 2e-7
#: seconds to sort one row (measured: ORDER BY over a 30,625-row cross product of rdfs:subClassOf takes ~2.2 s)
SORT_SECONDS = 7e-5
#: the words that make a query worth estimating (outside strings, IRIs and comments), matched case-folded
_WORTH = re.compile(r"\b(order\s+by|group\s+by|having|count|sum|avg|min|max|sample|group_concat)\b")
#: a pattern's key for its count: (subject, predicate, object), each a term's N-Triples text or None for a variable
Pattern = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Estimate:
    rows: float  # the most rows the engine must go through at one step (its largest intermediate result)
    seconds: float  # how long the engine would take, by the model above

    def describe(self) -> str:
        return f"about {self.rows:,.0f} rows and {self.seconds:,.0f} s"


def worth_estimating(text: str) -> bool:
    """Whether ``text`` (a normalized query) has a blocking operator or a FILTER outside strings and comments."""
    return bool(_WORTH.search(OPAQUE.sub(" ", text).casefold()))


@functools.lru_cache(maxsize=256)
def algebra(text: str) -> Any | None:
    """The rdflib algebra of ``text``, or None when rdflib cannot parse or translate it (the engine decides)."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 8000))
    try:
        return translateQuery(parseQuery(text)).algebra
    except Exception:  # noqa: BLE001 - not ours to judge: the engine gives its own error
        return None
    finally:
        sys.setrecursionlimit(limit)


def estimate(text: str, count: Callable[[Pattern], int], max_rows: int | None = None) -> Estimate | None:
    """The estimate for ``text``; ``count(pattern)`` is how many triples match a pattern. None if not parsed."""
    tree = algebra(text)
    if tree is None:
        return None
    walker = _Walker(count)
    rows, fixed, stream, _ = walker.walk(tree)
    if max_rows is not None and rows > max_rows + 1:  # the answer stops at its row cap
        stream *= (max_rows + 1) / rows
    return Estimate(max(walker.peak, rows), fixed + stream)


class _Walker:
    def __init__(self, count: Callable[[Pattern], int]) -> None:
        self.count = count
        self.peak = 0.0  # the largest intermediate result seen

    def walk(self, node: Any) -> tuple[float, float, float, set]:
        """(rows, fixed seconds, streamed seconds, variables) of an algebra node: fixed is paid whatever a LIMIT
        above says (sorting, grouping), streamed is in proportion to the rows taken."""
        found = self._walk(node)
        self.peak = max(self.peak, found[0])
        return found

    def _walk(self, node: Any) -> tuple[float, float, float, set]:
        from rdflib.plugins.sparql.parserutils import CompValue

        if not isinstance(node, CompValue):
            return 1.0, 0.0, 0.0, set()
        name = node.name
        if name == "BGP":
            return self._bgp(node.get("triples") or [])
        if name in ("Join", "LeftJoin", "Minus", "Union"):
            r1, f1, s1, v1 = self.walk(node.get("p1"))
            r2, f2, s2, v2 = self.walk(node.get("p2"))
            shared = bool(v1 & v2)
            if name == "Union":
                rows = r1 + r2
            elif name == "Minus":
                rows = r1
            elif name == "LeftJoin":
                rows = r1 if shared else r1 * max(r2, 1.0)
            else:
                rows = min(r1, r2) if shared else r1 * r2
            # the engine builds the right side once (fixed), and streams the combination
            return rows, f1 + f2 + s2, s1 + rows * PRODUCE_SECONDS, v1 | v2
        if name == "OrderBy":
            rows, fixed, stream, variables = self.walk(node.get("p"))
            return rows, fixed + stream + rows * SORT_SECONDS, rows * PRODUCE_SECONDS, variables
        if name in ("Group", "AggregateJoin"):
            rows, fixed, stream, variables = self.walk(node.get("p"))
            grouped = name == "Group" and node.get("expr")
            return (rows if grouped else 1.0), fixed + stream + rows * PRODUCE_SECONDS, 0.0, variables
        if name == "Slice":
            rows, fixed, stream, variables = self.walk(node.get("p"))
            taken = float((node.get("start") or 0) + (node.get("length") if node.get("length") is not None else rows))
            if rows > taken > 0:
                return taken, fixed, stream * taken / rows, variables
            return min(rows, taken), fixed, stream, variables
        if name == "values":
            res = node.get("res") or []
            return float(len(res)), 0.0, 0.0, {v for row in res for v in row}
        if name == "Filter":
            rows, fixed, stream, variables = self.walk(node.get("p"))
            return rows, fixed, stream + rows * PRODUCE_SECONDS, variables
        if "p" in node:  # Project, Extend, Distinct, Reduced, ToMultiSet, Graph, the query forms
            rows, fixed, stream, variables = self.walk(node.get("p"))
            if name == "Extend" and node.get("var") is not None:
                variables = variables | {node.get("var")}
            return rows, fixed, stream, variables
        return 1.0, 0.0, 0.0, set()

    def _bgp(self, triples: list) -> tuple[float, float, float, set]:
        from rdflib.term import BNode, Variable

        def variable(term: Any) -> bool:
            return isinstance(term, (Variable, BNode))

        if not triples:
            return 1.0, 0.0, 0.0, set()
        sizes, names = [], []
        for triple in triples:
            names.append({t for t in triple if variable(t)})
            if any(not hasattr(t, "n3") or type(t).__name__.endswith("Path") for t in triple):
                key: Pattern = (None, None, None)  # a property path: as if every triple
            else:
                key = tuple(None if variable(t) else t.n3() for t in triple)  # type: ignore[assignment]
            sizes.append(float(self.count(key)))
        # connected parts: patterns joined by a shared variable
        parts: list[tuple[set, float]] = []
        for found, size in zip(names, sizes):
            merged_vars, merged_size = set(found), size
            rest = []
            for part_vars, part_size in parts:
                if part_vars & merged_vars:
                    merged_vars |= part_vars
                    merged_size = min(merged_size, part_size)
                else:
                    rest.append((part_vars, part_size))
            parts = [*rest, (merged_vars, merged_size)]
        rows = 1.0
        for _, size in parts:
            rows *= size
        scanned = sum(sizes) * PRODUCE_SECONDS
        variables = set().union(*names)
        return rows, scanned, rows * PRODUCE_SECONDS, variables


def pattern_query(pattern: Pattern) -> str:
    """The SPARQL that counts the triples matching ``pattern``."""
    s, p, o = pattern
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {s or '?s'} {p or '?p'} {o or '?o'} }}"


__all__ = [
    "PRODUCE_SECONDS",
    "SORT_SECONDS",
    "Estimate",
    "Pattern",
    "algebra",
    "estimate",
    "pattern_query",
    "worth_estimating",
]
