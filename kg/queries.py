"""Named SPARQL queries: every query text lives in a ``.rq`` file beside this module.

A query takes parameters as variables whose names start with an underscore (``?_entity``). A
value reaches the query only as an RDF term built and checked by the RDF library — an IRI that
pyoxigraph accepts, or a literal that it escapes — and the parameter variable is replaced by
that term's own serialization. User text is never spliced into query text. (Engine
substitutions are not used: pyoxigraph does not push them into joins, see docs/design.)
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pyoxigraph

PARAMETER = re.compile(r"\?_([A-Za-z][A-Za-z0-9]*)\b")

Term = pyoxigraph.NamedNode | pyoxigraph.Literal


class QueryError(ValueError):
    """A named query or a parameter was wrong (a programming error, or a value that is not a valid term)."""


@lru_cache(maxsize=None)
def text(name: str) -> str:
    """The text of ``kg/queries/<name>.rq``."""
    try:
        return (resources.files("kg") / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryError(f"no query named {name!r}") from None


def names() -> list[str]:
    """All named queries (not the competency questions in the subfolder)."""
    folder = resources.files("kg") / "queries"
    return sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".rq"))


def parameters(name: str) -> set[str]:
    return set(PARAMETER.findall(text(name)))


def iri(value: str) -> pyoxigraph.NamedNode:
    """An IRI term; raises :class:`QueryError` when ``value`` is not a valid absolute IRI."""
    try:
        return pyoxigraph.NamedNode(value)
    except ValueError as exc:
        raise QueryError(f"not a valid IRI: {value!r}") from exc


def literal(value: str, language: str | None = None) -> pyoxigraph.Literal:
    return pyoxigraph.Literal(value, language=language) if language else pyoxigraph.Literal(value)


def bind(name: str, **values: Term) -> str:
    """The query ``name`` with each ``?_param`` replaced by the serialization of its term."""
    query = text(name)
    wanted = set(PARAMETER.findall(query))
    if wanted != set(values):
        raise QueryError(f"query {name!r} takes {sorted(wanted)}, got {sorted(values)}")
    for key, term in values.items():
        if not isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
            raise QueryError(f"parameter {key!r} must be an RDF term, not {type(term).__name__}")
    return PARAMETER.sub(lambda match: str(values[match.group(1)]), query)


_SELECT = re.compile(r"^(\s*SELECT(?:\s+(?:DISTINCT|REDUCED))?)\s", re.IGNORECASE | re.MULTILINE)
_GROUP_BY = re.compile(r"^(\s*GROUP\s+BY)\s", re.IGNORECASE | re.MULTILINE)


def for_every(name: str, parameter: str) -> str:
    """The query ``name`` with its parameter ``?_<parameter>`` left free, selected first (and grouped by): one run
    answers it for every value, each row saying which (in the column ``_<parameter>``). What a bulk writer runs
    once instead of once per value (:mod:`kg.service.documents`). The same text, not a second copy of it."""
    query = text(name)
    if parameters(name) != {parameter}:
        raise QueryError(f"query {name!r} takes {sorted(parameters(name))}, not only {parameter!r}")
    if len(_SELECT.findall(query)) != 1 or len(_GROUP_BY.findall(query)) > 1:
        raise QueryError(f"query {name!r} is not one SELECT (with at most one GROUP BY) at the start of a line")
    variable = f"?_{parameter}"
    query = _SELECT.sub(lambda m: f"{m.group(1)} {variable} ", query, count=1)
    return _GROUP_BY.sub(lambda m: f"{m.group(1)} {variable} ", query, count=1)

