"""What ``?release=`` (kg/service/pinned.py, api/graph.py) costs a request: a pinned answer against the same answer of
the current release, in-process (the app's WSGI callable called as the HTTP server calls it, the body joined).

A build folder of two releases (the real graph, and it with one more label) is written into a temporary folder;
the newer is served. Per route, ``--rounds`` rounds of ``--calls`` requests each, the three ways in turn within a
round (so a slow moment of the machine hits all three): the current release (no parameter: the baseline), the
older one pinned by its id, and the current one pinned by its id. The figure is the median over rounds of the
wall-clock microseconds per request, the ratio to the baseline beside it. Routes: an entity's JSON (the lean path
below Flask), its Turtle (a response-cache hit), ``/relations?limit=5`` of it (a cache hit). The first pinned
request, which opens the older release, is timed on its own, with the process's resident memory before and after.

    python bench/pinning_bench.py [--rounds 7] [--calls 2000]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ENTITY = "/entities/OSTEOKG:0000106"
ROUTES = (("entity JSON (lean path)", ENTITY, "", "application/json"),
          ("entity Turtle (cache hit)", ENTITY, "", "text/turtle"),
          ("relations?limit=5 (cache hit)", f"{ENTITY}/relations", "limit=5", "application/json"))


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDFS

    from api import create_app
    from kg.build import build_graph, write
    from kg.releases import release_dir
    from kg.settings import ONTOLOGY_DIR

    with tempfile.TemporaryDirectory(prefix="pinning-bench-") as folder:
        root = Path(folder) / "build"
        built = build_graph(ONTOLOGY_DIR)
        write(built, root)
        old = release_dir(root).name
        built.graph.add((URIRef("https://w3id.org/osteokg/OSTEOKG_0000106"), RDFS.label, Literal("x", lang="de")))
        write(built, root)
        current = release_dir(root).name
        app = create_app({"TESTING": True, "BUILD_DIR": str(root)})
        wsgi = app.wsgi_app

        def call(path: str, query: str, accept: str) -> str:
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "bench",
                       "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                       "wsgi.input": sys.stdin.buffer, "wsgi.errors": sys.stderr, "HTTP_ACCEPT": accept,
                       "REMOTE_ADDR": "127.0.0.1"}
            status: list[str] = []
            result = wsgi(environ, lambda s, h, e=None: status.append(s))
            b"".join(result)
            if hasattr(result, "close"):
                result.close()
            return status[0]

        before, start = rss_mib(), time.perf_counter()
        assert call(ENTITY, f"release={old}", "application/json").startswith("200")
        print(f"first pinned request (opens release {old}): {1000 * (time.perf_counter() - start):.1f} ms, "
              f"resident memory +{rss_mib() - before:.1f} MiB")
        print(f"{'route':32} {'current':>10} {'pinned old':>18} {'pinned current':>18}   (µs per request, median of "
              f"{args.rounds} rounds of {args.calls})")
        for label, path, extra, accept in ROUTES:
            ways = {name: "&".join(part for part in (extra, pin) if part)
                    for name, pin in (("current", ""), ("old", f"release={old}"), ("pinned current", f"release={current}"))}
            for query in ways.values():
                for _ in range(200):
                    assert call(path, query, accept).startswith("200")
            times: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(args.rounds):
                for name, query in ways.items():
                    start = time.perf_counter()
                    for _ in range(args.calls):
                        call(path, query, accept)
                    times[name].append((time.perf_counter() - start) / args.calls * 1e6)
            base, old_us, cur_us = (statistics.median(times[n]) for n in ("current", "old", "pinned current"))
            print(f"{label:32} {base:10.1f} {old_us:10.1f} ({old_us / base:4.2f}×) {cur_us:10.1f} ({cur_us / base:4.2f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
