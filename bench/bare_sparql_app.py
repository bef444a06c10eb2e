"""The floor for a Python SPARQL server on this engine: a bare WSGI app over pyoxigraph, for bench/sparql_bench.py.

Served by ``granian --interface wsgi --workers 2 bench.bare_sparql_app:app`` with ``BARE_SPARQL_STORE`` naming
the same store osteokg serves (a release's on-disk store folder, opened read-only; or an ``.nt`` file, loaded in
memory). It answers ``GET ?query=``, a form POST and an ``application/sparql-query`` POST in the format the
``Accept`` header names (else JSON results or N-Triples) — and nothing else: no policy (no time limit, no row cap,
no SERVICE check, queries run in the worker's own thread), no negotiation beyond one media type, no caching
headers. What osteokg's ``/sparql`` costs above this is the price of its policy and its process isolation.
"""
from __future__ import annotations

import os
import sys
import urllib.parse
from pathlib import Path

import pyoxigraph

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.store import OxigraphStore  # noqa: E402 - after the path above (granian imports this by name)

LOCATION = Path(os.environ.get("BARE_SPARQL_STORE", ROOT / "build" / "oxigraph"))
STORE = OxigraphStore.read_only(LOCATION) if LOCATION.is_dir() else OxigraphStore(LOCATION)


def _query(environ: dict) -> str | None:
    if environ.get("REQUEST_METHOD") == "POST":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ.get("CONTENT_TYPE", "").startswith("application/sparql-query"):
            return body.decode("utf-8")
        return urllib.parse.parse_qs(body.decode("utf-8")).get("query", [None])[0]
    return urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("query", [None])[0]


def app(environ: dict, start_response) -> list[bytes]:
    try:
        text = _query(environ)
        if text is None:
            raise ValueError("no query")
        result = STORE.run(text)
    except (ValueError, SyntaxError, UnicodeError) as error:
        body = str(error).encode("utf-8")
        start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    accept = environ.get("HTTP_ACCEPT", "")
    if isinstance(result, pyoxigraph.QueryTriples):
        rdf = pyoxigraph.RdfFormat.from_media_type(accept) or pyoxigraph.RdfFormat.N_TRIPLES
        media, body = rdf.media_type, result.serialize(format=rdf) or b""
    else:
        results = pyoxigraph.QueryResultsFormat.from_media_type(accept) or pyoxigraph.QueryResultsFormat.JSON
        media, body = results.media_type, result.serialize(format=results) or b""
    start_response("200 OK", [("Content-Type", media), ("Content-Length", str(len(body)))])
    return [body]
