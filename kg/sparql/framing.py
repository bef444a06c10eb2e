"""What crosses the pipe between an API process and its query process: plain bytes, no pickle.

One request, one reply, each one ``multiprocessing.connection`` message (a 4-byte length, then the
bytes): the hop is one round trip per query. A request is ``results_format TAB graph_format TAB text``
(each format a key of :mod:`kg.sparql.results` or empty; the text UTF-8, lone surrogates passed through
so the engine, not the pipe, refuses them). A reply is one byte of kind, then:

- ``OK``: the media type, a newline, and the body exactly as the query process serialized it — the API
  process writes it to the client untouched (no unpickling of a copy, no re-encoding);
- ``PROBLEM``: the refusal as JSON (``status``, ``title``, ``detail``, ``extra``, ``retire``).

An empty message asks the query process to end. ``bench/sparql_bench.py --hop`` measures this framing
against pickling the same tuples and dicts (``bench/results/sparql.md``).
"""
from __future__ import annotations

import json

OK, PROBLEM = b"\x00", b"\x01"
STOP = b""
_SEP = b"\t"


def request(text: str, results_format: str | None, graph_format: str | None) -> bytes:
    """The bytes of one query request."""
    return b"%s\t%s\t%s" % ((results_format or "").encode("ascii"), (graph_format or "").encode("ascii"),
                             text.encode("utf-8", "surrogatepass"))


def read_request(data: bytes) -> tuple[str, str | None, str | None]:
    """(text, results_format, graph_format) of a request's bytes."""
    results_format, graph_format, text = data.split(_SEP, 2)
    return (text.decode("utf-8", "surrogatepass"), results_format.decode("ascii") or None,
            graph_format.decode("ascii") or None)


def reply(answer: dict) -> bytes:
    """The bytes of a reply dict (``status`` 200 with ``content_type`` and ``body``, or a refusal)."""
    if answer["status"] == 200:
        return b"".join((OK, answer["content_type"].encode("ascii"), b"\n", answer["body"]))
    return PROBLEM + json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_reply(data: bytes) -> dict:
    """The reply dict of a reply's bytes (the body a view of ``data``'s tail, copied once)."""
    if data[:1] == OK:
        newline = data.index(b"\n", 1)
        return {"status": 200, "content_type": data[1:newline].decode("ascii"), "body": data[newline + 1:]}
    return json.loads(data[1:])
