"""What the metrics layer and the access log (api/metrics.py) cost a request, in the configuration `osteokg serve`
runs: prometheus-client's multiprocess mode (values in memory-mapped files of a PROMETHEUS_MULTIPROC_DIR) and the
access log on, here to a file.

One app over the real build, called in-process as the HTTP server calls it (a WSGI environ, the body iterated and
closed), in three ways that differ only in the outermost layer:

- bare: the layer below the metrics (the release binding, the response cache, the lean paths, Flask);
- metrics: the whole app with the access log off (counted, timed, route labelled);
- metrics + log: the whole app as served (each request also one JSON line to the log file).

Per route, ``--rounds`` rounds of ``--calls`` requests each, the three ways in turn within a round (so a slow
moment of the machine hits all three); the figure is the median over rounds of the CPU microseconds per request
(``time.process_time``: the log's writer thread included), with the ratio to bare beside it. Routes: ``/health``
(Flask), an entity's JSON (the lean path below Flask), a search answered by the response cache (a hit), and
``/metrics`` itself (a scrape, summing the files). The log's lines are counted at the end, so a dropped line would
show.

    python -m kg.cli build --out /tmp/bench-build
    python bench/metrics_bench.py --build /tmp/bench-build [--rounds 7] [--calls 2000]
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ROUTES = [("/health", "/health"), ("entity (lean path)", "/entities/OSTEOKG:0000106"),
          ("search (cache hit)", "/search?q=fractuur"), ("/metrics (a scrape)", "/metrics")]


def environ_of(url: str) -> dict:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=url.partition("?")[0], query_string=url.partition("?")[2],
                             base_url="http://127.0.0.1:8000", headers={"Accept": "application/json"})
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    return environ


def call(wsgi: Callable, template: dict) -> int:
    environ = dict(template)
    environ["wsgi.input"] = io.BytesIO()
    status: list[str] = []

    def start_response(line: str, headers: list, exc_info=None):
        status.append(line)
        return lambda data: None

    result = wsgi(environ, start_response)
    try:
        size = sum(len(chunk) for chunk in result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert status and status[0].startswith("200"), (environ["PATH_INFO"], status)
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=Path("/tmp/bench-build"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "metrics.md")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="metrics-bench-"))
    try:
        (scratch / "multiproc").mkdir()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(scratch / "multiproc")  # before prometheus-client is imported
        from api import create_app

        log = scratch / "access.log"
        app = create_app({"BUILD_DIR": str(args.build.resolve()), "ACCESS_LOG": str(log)})
        from api.metrics import Metrics

        layer = app.extensions["osteokg_metrics"]
        access_log = layer.access_log
        bare = layer.app
        counted = Metrics(layer.app, app, None)  # the same layer over the same app, without the log

        ways: list[tuple[str, Callable]] = [("bare", bare), ("metrics", counted), ("metrics + log", layer)]
        rows = []
        logged = 0
        for name, url in ROUTES:
            template = environ_of(url)
            for _, wsgi in ways:  # warm: the cache holds the search, the routes are labelled
                if not (url == "/metrics" and wsgi is bare):
                    call(wsgi, template)
            logged += 1  # the warm-up call through the logging way
            figures: dict[str, list[float]] = {way: [] for way, _ in ways}
            for _ in range(args.rounds):
                for way, wsgi in ways:
                    if url == "/metrics" and wsgi is bare:
                        continue  # the scrape is answered by the layer itself: nothing below to compare
                    started = time.process_time()
                    for _ in range(args.calls):
                        call(wsgi, template)
                    if wsgi is layer:
                        assert access_log is not None and access_log.flush(30)
                        logged += args.calls
                    figures[way].append((time.process_time() - started) / args.calls * 1e6)
            medians = {way: statistics.median(values) for way, values in figures.items() if values}
            rows.append((name, medians))
            shown = ", ".join(f"{way} {value:.1f} µs" for way, value in medians.items())
            print(f"{name}: {shown}", flush=True)
        assert access_log is not None and access_log.flush(30)
        lines = len(log.read_text(encoding="utf-8").splitlines())
        lines_expected = logged
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = [
        "# What /metrics and the access log cost a request (bench/metrics_bench.py)",
        "",
        (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, Python {platform.python_version()}, "
         f"{os.cpu_count()} CPUs; {args.rounds} rounds × {args.calls} in-process WSGI calls per way and route, the "
         "ways in turn; CPU µs per request (the access log's writer thread included), median over rounds. "
         "prometheus-client in multiprocess mode, as under `osteokg serve`."),
        "",
        "| route | bare (no metrics layer) | metrics | × bare | + µs | metrics + access log | × bare | + µs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, medians in rows:
        base = medians.get("bare")
        counted_us, logged_us = medians["metrics"], medians["metrics + log"]
        if base is None:
            text.append(f"| {name} | — | {counted_us:.1f} | — | — | {logged_us:.1f} | — | — |")
        else:
            text.append(f"| {name} | {base:.1f} | {counted_us:.1f} | {counted_us / base:.2f} | {counted_us - base:.1f} | "
                        f"{logged_us:.1f} | {logged_us / base:.2f} | {logged_us - base:.1f} |")
    text += ["", (f"Access-log lines written: {lines} of {lines_expected} requests made through the logging way "
                  "(none dropped when equal)."), ""]
    args.out.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
