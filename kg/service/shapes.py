"""The JSON shapes the graph's answers share, each defined once: an edge, and the keys of a statement.

One shape for an edge wherever an edge appears (issue 12: a client can rely on it): the entity answer's
``relations`` (its outgoing edges), ``/entities/{id}/relations``, the release's precomputed documents of both
(:mod:`kg.service.documents`, byte for byte the same) and the MCP door's ``get_entity`` / ``list_edges`` all write
the dict :func:`edge` builds::

    {"direction": "out" | "in",
     "subject":   Ref,                      # {id, iri, label}
     "predicate": Ref + {"labels": {lang: label}},
     "object":    Ref,
     "inferred":  bool,                     # true only when no evidence asserts it
     "strength":  Named | null,             # {id, label}: the strongest of its evidence
     "evidence":  [Evidence, ...]}          # kg.service.questions.Service._evidence

The OpenAPI document (api/openapi.py) describes it once, ``#/components/schemas/Edge``, and refers to it
wherever an edge appears. The change feed (kg/service/changes.py) writes the edges it lists in this shape too (a
changed one with ``changed`` and ``before`` beside it).

Keys are snake_case everywhere. The graph's property names are camelCase (``okg:minValue``, ``okg:timeFrameKind``);
a statement's JSON names its values by those properties, converted by :func:`json_key` (``min_value``,
``time_frame_kind``): the one place a property becomes a key. Where a key *is* a property's CURIE (an entity's
``annotations``, keyed ``okg:minValue``), it stays the CURIE: an identifier a client can resolve, not a name.
"""
from __future__ import annotations

import re
from typing import Any, Literal

#: the order of an edge's keys (the JSON's, and the OpenAPI schema's ``required``)
EDGE_KEYS = ("direction", "subject", "predicate", "object", "inferred", "strength", "evidence")

_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def edge(direction: Literal["out", "in"], subject: dict, predicate: dict, labels: dict[str, str], object: dict,
         inferred: bool, strength: dict | None = None, evidence: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The edge ``subject predicate object`` as seen from one end (``direction``), in the one shape: the ends and
    the predicate are refs (``Service.ref``: ``{id, iri, label}``), ``labels`` the relation's labels in every
    language, ``strength`` a named value (``{id, label}``) or None, ``evidence`` the evidence nodes' dicts."""
    return {"direction": direction, "subject": subject, "predicate": {**predicate, "labels": labels},
            "object": object, "inferred": inferred, "strength": strength,
            "evidence": [] if evidence is None else evidence}


def json_key(name: str) -> str:
    """A graph property's local name as a JSON key: camelCase to snake_case (``minValue`` → ``min_value``,
    ``timeFrameKind`` → ``time_frame_kind``; ``value`` stays ``value``)."""
    return _HUMP.sub(r"_\1", name).lower()


def is_snake_case(key: str) -> bool:
    """Whether ``key`` is a snake_case name (or a CURIE, which keys a map by identifier: left as the graph has it)."""
    return ":" in key or re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", key) is not None
