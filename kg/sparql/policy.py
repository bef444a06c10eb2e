"""The query policy: what this endpoint refuses, checked before a query reaches the engine.

The text is first normalized as SPARQL says (``\\u``/``\\U`` code-point escapes expanded) and line ends
are made ``\\n`` (a bare ``\\r`` ends a comment for oxigraph but not for rdflib's parser; the
normalization makes the two parsers see the same comments; a raw CR inside a long string literal
becomes LF). Then:

- **Nesting depth.** A text whose brackets (``{``, ``(``, ``[``, outside strings, IRIs and comments)
  nest deeper than ``MAX_NESTING`` is refused: the engine's recursive parser overflows its stack on
  a few thousand levels and the process dies (SIGSEGV); real queries stay far below the limit.
- **SERVICE and FROM.** A text that mentions ``service`` or ``from`` anywhere (case-folded) is parsed
  with rdflib's SPARQL grammar and refused when the parse tree holds a ``ServiceGraphPattern`` or a
  ``DatasetClause``; a SERVICE keyword inside a string or a comment is not one. Other texts cannot
  hold either clause, so they go straight to pyoxigraph, whose parser rejects updates (its ``query``
  runs queries only); the rdflib update grammar is then only used to say "updates are not offered"
  instead of a bare syntax error. Parse verdicts are cached per process.
"""
from __future__ import annotations

import functools
import re
import sys
from typing import Any

MAX_NESTING = 64  # brackets a query may nest; pyoxigraph's parser crashes the process at a few thousand
# rdflib's grammar recurses ~50 Python frames per bracket: enough frames for MAX_NESTING levels (the
# check runs in the single-threaded query process; the limit is raised only while parsing)
PARSE_RECURSION_LIMIT = 8000

NARROW = ("Narrow the query: give subjects or predicates as IRIs instead of variables, join the patterns "
          "on shared variables (no cross products), add LIMIT, and avoid ORDER BY over large results.")


class Refusal(Exception):
    """A request this endpoint will not answer: becomes a problem reply (status, title, detail)."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    def reply(self, retire: bool = False) -> dict:
        """The reply a query process sends for this refusal (``retire``: the process ends after it)."""
        return {"status": self.status, "title": self.title, "detail": self.detail, "extra": self.extra,
                "retire": retire}


def malformed(detail: str) -> Refusal:
    return Refusal(400, "Malformed query", detail)


def read_only() -> Refusal:
    return Refusal(400, "Updates are not offered",
                   "This endpoint is read-only: it answers SPARQL 1.1 queries (SELECT, ASK, CONSTRUCT, "
                   "DESCRIBE); SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, …) is not offered.")


def no_service() -> Refusal:
    return Refusal(400, "SERVICE is not offered",
                   "This endpoint does not query other endpoints: remove the SERVICE clause and send "
                   "that part of the query to the other endpoint yourself.")


def fixed_dataset(where: str) -> Refusal:
    return Refusal(400, "The dataset is fixed",
                   f"This endpoint serves one fixed dataset (the osteokg graph as its default graph, no "
                   f"named graphs); remove {where} and the query runs over that graph.")


def too_deep(depth: int) -> Refusal:
    return Refusal(400, "Query nested too deeply",
                   f"The query nests brackets ({{ }}, ( ), [ ]) {depth} levels deep; this endpoint takes at most "
                   f"{MAX_NESTING} levels. Flatten the query: a group inside a group inside a group means the "
                   "same as one group.", max_nesting=MAX_NESTING)


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def normalize(text: str) -> str:
    """Expand code-point escapes (SPARQL 1.1 §19.2) and make every line end ``\\n``."""

    def expand(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise malformed(f"The escape {match.group(0)} is not a Unicode scalar value.")
        return chr(code)

    if "\\" in text:
        text = _ESCAPE.sub(expand, text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Tokens that may hold brackets without nesting anything: long and short strings, IRIs, comments.
OPAQUE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*(?:""")?'
                     r"|'''(?:[^'\\]|\\.|'(?!''))*(?:''')?"
                     r'|"(?:[^"\\\n]|\\.)*"?'
                     r"|'(?:[^'\\\n]|\\.)*'?"
                     r'|<[^<>"{}|^`\\\x00-\x20]*>'
                     r"|#[^\n]*", re.S)
_BRACKETS = re.compile(r"[{}()\[\]]")


def nesting(text: str) -> int:
    """How deeply the brackets of ``text`` nest (strings, IRIs and comments skipped)."""
    depth = deepest = 0
    for chunk in OPAQUE.split(text):
        for bracket in _BRACKETS.findall(chunk):
            if bracket in "{([":
                depth += 1
                deepest = max(deepest, depth)
            else:
                depth = max(0, depth - 1)
    return deepest


def _component_names(tree: object) -> set[str]:
    """The names of every rule component (``CompValue``) anywhere in an rdflib parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    names: set[str] = set()
    seen: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            names.add(node.name)
            stack.extend(dict.values(node))
        elif isinstance(node, ParseResults):
            stack.extend(list(node))
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)
    return names


def is_update(text: str) -> bool:
    """Whether ``text`` parses as SPARQL Update (to say "not offered" rather than "malformed")."""
    from rdflib.plugins.sparql.parser import UpdateUnit

    try:
        UpdateUnit.parse_string(text, parse_all=True)
    except Exception:  # noqa: BLE001 - anything but a clean parse means "not an update"
        return False
    return True


@functools.lru_cache(maxsize=256)
def _inspect(text: str) -> tuple | None:
    """Parse ``text`` with rdflib's grammar: None if it may run, else the refusal (status, title, detail)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import Query

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, PARSE_RECURSION_LIMIT))
    try:
        tree = Query.parse_string(text, parse_all=True)
    except ParseBaseException as error:
        refusal = read_only() if is_update(text) else malformed(f"The query is not valid SPARQL 1.1: {error}")
        return refusal.status, refusal.title, refusal.detail
    except RecursionError:
        refusal = malformed("The query is nested too deeply to be checked.")
        return refusal.status, refusal.title, refusal.detail
    except Exception:  # noqa: BLE001 - a grammar action failed: say so without its internals
        refusal = malformed("The query could not be parsed as SPARQL 1.1.")
        return refusal.status, refusal.title, refusal.detail
    finally:
        sys.setrecursionlimit(limit)
    names = _component_names(tree)
    if "ServiceGraphPattern" in names:
        refusal = no_service()
    elif "DatasetClause" in names:
        refusal = fixed_dataset("FROM / FROM NAMED")
    else:
        return None
    return refusal.status, refusal.title, refusal.detail


def check(text: str) -> str:
    """The normalized text of a query this endpoint may run; raises ``Refusal`` otherwise."""
    text = normalize(text)
    depth = nesting(text)
    if depth > MAX_NESTING:
        raise too_deep(depth)
    folded = text.casefold()
    if "service" in folded or "from" in folded:
        verdict = _inspect(text)
        if verdict is not None:
            raise Refusal(*verdict)
    return text


def unparsable(text: str, error: SyntaxError | UnicodeEncodeError) -> Refusal:
    """The refusal for a query the engine could not parse (an update says updates are not offered), wherever
    the query was parsed: in a query process, or here before it is forwarded to a remote store."""
    if isinstance(error, UnicodeEncodeError):
        return malformed("The query holds a character that is not a Unicode scalar value.")
    if is_update(text):
        return read_only()
    return malformed(f"The query is not valid SPARQL: {error}")


def clear_cache() -> None:
    _inspect.cache_clear()
