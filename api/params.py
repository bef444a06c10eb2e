"""Request parameters, checked: language, paging, enumerations, unknown parameters.

Every check fails with a :class:`~api.errors.Problem` (400) whose message names the parameter,
what was wrong and what is allowed. What is checked here is what the OpenAPI document (:mod:`api.openapi`)
says, constraint for constraint: a whole number is ASCII digits (a Unicode digit class would take full-width ones),
``offset`` at most :data:`OFFSET_MAX`, a parameter given twice is refused, and so is any parameter a route does
not take (``/health?x=1`` too); the fuzzing (tests/api/test_fuzz.py) checks the two agree. CURIEs and IRIs are checked by the service
(:mod:`kg.service`), whose :class:`~kg.service.BadValue` is the same 400. :data:`GLOBAL` are the parameters every
route takes besides its own (``release``: read before the request reaches a view, by :mod:`api.graph`).
"""
from __future__ import annotations

import re

from flask import current_app, request

from api.errors import Problem
from kg.service.pinned import PARAMETER as RELEASE
from kg.vocab import LANGUAGES

__all__ = ["GLOBAL", "LANGUAGES", "LANG_COOKIE", "OFFSET_MAX", "bad", "choice", "integer", "language", "only", "optional", "page_language", "paging"]

#: the cookie a reader's language switch sets on the explorer's pages (never read by the JSON API)
LANG_COOKIE = "osteokg_lang"
#: parameters every route takes besides its own: ``release`` pins the request to a kept release (api/graph.py binds
#: it before any view runs; /sparql refuses it there)
GLOBAL = (RELEASE,)
#: the largest ``offset`` a paged route takes (the document's maximum)
OFFSET_MAX = 10**9
#: a whole number as a parameter: one to ten ASCII digits (OFFSET_MAX has ten), then the range check
WHOLE = re.compile(r"[0-9]{1,10}")


def bad(parameter: str, message: str) -> Problem:
    return Problem(400, "Bad Request", f"parameter '{parameter}': {message}", parameter=parameter)


def language() -> str:
    """``lang=en|nl``, else the best of Accept-Language, else English."""
    value = request.args.get("lang")
    if value is not None:
        if value not in LANGUAGES:
            raise bad("lang", f"'{value[:20]}' is not one of {', '.join(LANGUAGES)}")
        return value
    return request.accept_languages.best_match(LANGUAGES) or "en"


def page_language() -> str:
    """The language of a page for people: ``lang=`` (checked as :func:`language` does), else the reader's last
    switch (the :data:`LANG_COOKIE` cookie), else the best of Accept-Language, else English."""
    if request.args.get("lang") is None:
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen in LANGUAGES:
            return chosen
    return language()


def integer(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not WHOLE.fullmatch(raw):
        raise bad(name, f"'{raw[:20]}' is not a whole number")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise bad(name, f"{value} is outside {minimum}–{maximum}")
    return value


def paging() -> tuple[int, int]:
    """``limit`` (1–PAGE_MAX, default PAGE_DEFAULT) and ``offset`` (0–OFFSET_MAX)."""
    maximum = current_app.config["PAGE_MAX"]
    return integer("limit", current_app.config["PAGE_DEFAULT"], 1, maximum), integer("offset", 0, 0, OFFSET_MAX)


def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        raise bad(name, f"'{value[:40]}' is not one of {', '.join(allowed)}")
    return value


def optional(name: str) -> str | None:
    """A parameter that may be left out (None); given, it must have a value (``about=`` is refused, not read as
    left out: the document says what a value looks like, and the empty one is not one)."""
    value = request.args.get(name)
    if value == "":
        raise bad(name, "is empty; give a value or leave the parameter out")
    return value


def only(*names: str) -> None:
    """Refuse parameters a route does not take (a misspelt one would otherwise be silently ignored), any parameter
    given more than once (which one counts would be a guess), and a ``lang`` that is not one of the languages on
    a route that takes it (checked here, so a route that answers without reading it refuses it too)."""
    unknown = sorted(set(request.args) - set(names) - set(GLOBAL))
    if unknown:
        raise bad(unknown[0], f"not a parameter of this route; it takes: {', '.join([*names, *GLOBAL])}")
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise bad(repeated[0], "given more than once; give it once")
    if "lang" in names and "lang" in request.args:
        language()
