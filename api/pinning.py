"""The ``release`` parameter in the OpenAPI document: defined once, referenced by every operation that takes it.

Pinning itself is :mod:`kg.service.pinned` (which release a value names, the kept ones opened once) and
:mod:`api.graph` (each request bound to it); :data:`api.params.GLOBAL` admits the parameter on every route. This
module only says so in the document (:func:`documented`, which :mod:`api.openapi` applies to its
``document()``): ``components/parameters/Release`` with the number of releases kept
(:data:`kg.releases.KEEP_RELEASES`) and the one pattern the server checks (:data:`kg.service.pinned.PATTERN`), a
``$ref`` to it on each GET operation that answers from a release, and the 400 and 404 those operations can
then answer. ``/sparql`` refuses it (400, documented there): SPARQL answers the current release only.

Which operations take it is :func:`takes_release`, one rule for the document and for the links a pinned page
makes (:mod:`api.graph` adds the request's ``release`` to each ``url_for`` of a route that takes it, so a reader
who opened an earlier release stays in it from link to link).
"""
from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable

from kg.releases import KEEP_RELEASES
from kg.service.pinned import PATTERN

NAME = "Release"
REF = {"$ref": f"#/components/parameters/{NAME}"}
#: GET operations that do not answer from a release (their own state, a file of the code, another door's routes)
NOT_PINNED = ("/metrics", "/static/{filename}")
NOT_PINNED_PREFIXES = ("/cds-services",)
#: the operation that refuses it, and what its 400 says
CURRENT_ONLY = "/sparql"


def parameter() -> dict:
    """The ``release`` query parameter, as ``components/parameters`` holds it."""
    return {
        "name": "release", "in": "query", "required": False,
        "schema": {"type": "string", "pattern": PATTERN},
        "description": (
            "Answer from a kept release instead of the current one: its id (16 hexadecimal digits, as /version "
            "gives it) or its version (the version IRI's version segment, as 0.1.0; a version several kept "
            f"releases share names the current one if it has it, else the newest). The {KEEP_RELEASES} releases "
            f"kept are the current one and the newest {KEEP_RELEASES - 1} before it; any other is a 404 whose "
            "detail lists the kept ones, and a malformed value a 400. The answer's X-Osteokg-Release header and "
            "ETag name the release it came from. /sparql does not take it (SPARQL answers the current release "
            "only)."),
    }


#: a variable of a werkzeug rule (``<curie>``, ``<path:filename>``), as an OpenAPI path writes it (``{curie}``)
RULE_VARIABLE = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


def openapi_path(rule: str) -> str:
    """A werkzeug rule as the OpenAPI document's path for it: ``/entities/<curie>`` → ``/entities/{curie}``."""
    return RULE_VARIABLE.sub(r"{\1}", rule)


def takes_release(path: str) -> bool:
    """Whether a GET of ``path`` (an OpenAPI path) answers from a release: every one but :data:`NOT_PINNED`,
    another door's and /sparql."""
    return path != CURRENT_ONLY and path not in NOT_PINNED and not path.startswith(NOT_PINNED_PREFIXES)


def pinned_operations(spec: dict) -> list[tuple[str, str]]:
    """(path, method) of every operation that takes ``release`` (:func:`takes_release`)."""
    return [(path, "get") for path, item in spec.get("paths", {}).items() if "get" in item and takes_release(path)]


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def with_release(spec: dict) -> dict:
    """``spec`` (an OpenAPI document) with the ``release`` parameter defined and referenced (module docstring)."""
    spec = copy.deepcopy(spec)
    spec.setdefault("components", {}).setdefault("parameters", {})[NAME] = parameter()
    for path, method in pinned_operations(spec):
        operation = spec["paths"][path][method]
        if REF in operation.setdefault("parameters", []):  # applied twice: once is what it says
            continue
        operation["parameters"].append(REF)
        responses = operation.setdefault("responses", {})
        responses.setdefault("400", _problem("A parameter is malformed (release: neither a release id nor a version)."))
        responses.setdefault("404", _problem("Not found (release: not one of the kept releases; the detail lists them)."))
    sparql = spec.get("paths", {}).get(CURRENT_ONLY, {})
    for operation in sparql.values():
        if isinstance(operation, dict) and "responses" in operation:
            answer = operation["responses"].get("400")
            if isinstance(answer, dict) and "release" not in answer.get("description", ""):
                answer["description"] = (f"{answer.get('description', '').rstrip('.')}; or a release parameter: "
                                         "SPARQL answers the current release only.")
    return spec


def documented(document: Callable[[], dict]) -> Callable[[], dict]:
    """``document`` (api.openapi's) with :func:`with_release` applied to what it returns."""
    @functools.wraps(document)
    def wrapped() -> dict:
        return with_release(document())

    return wrapped


__all__ = ["NAME", "NOT_PINNED", "REF", "documented", "openapi_path", "parameter", "pinned_operations", "takes_release",
           "with_release"]
