"""The ``osteokg`` command: build, validate, report, review, serve, load. (The API is started by name; kg never imports Flask.)"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from kg import settings
from kg.errors import (
    KgError,
    QCFailed,
    ReasoningError,
    ReleaseError,
    SourceError,
    ValidationFailed,
)
from kg.settings import BUILD_DIR, ONTOLOGY_DIR, SHAPES_DIR

if TYPE_CHECKING:
    from rdflib import Graph

SHAPES = SHAPES_DIR

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2

#: the one place errors become exit codes: the first class an error is an instance of decides.
#: 1 — the graph does not conform (SHACL) or the QC report has errors; 2 — a source cannot be read
#: or reasoned over, or a build folder cannot be written or is damaged.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ValidationFailed, EXIT_INVALID),
    (QCFailed, EXIT_INVALID),
    (SourceError, EXIT_ERROR),  # and TableError, a row of a table
    (ReasoningError, EXIT_ERROR),
    (ReleaseError, EXIT_ERROR),
    (KgError, EXIT_ERROR),
    # not (yet) of the hierarchy: what the operating system refuses, and the ValueError and
    # RuntimeError of modules outside it (e.g. kg.queries, kg.quotes)
    (OSError, EXIT_ERROR),
    (ValueError, EXIT_ERROR),
    (RuntimeError, EXIT_ERROR),
)
#: what a command catches and reports; anything else is a bug and keeps its traceback
HANDLED = tuple(cls for cls, _ in EXIT_CODES)


def exit_code(exc: BaseException) -> int:
    """The exit code for ``exc``, from :data:`EXIT_CODES`; an error not there is a bug (``TypeError``)."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    raise TypeError(f"no exit code for {type(exc).__name__} (a bug, not a source problem): {exc}") from exc


def _say(message: str) -> None:
    print(f"osteokg: {message}", flush=True)


def _source_problem(exc: Exception) -> int:
    print(f"osteokg: error: {exc}", file=sys.stderr)
    return EXIT_ERROR


def _fail(exc: BaseException) -> int:
    """Report ``exc`` (a SHACL report or QC table on stdout, anything else on stderr); return its exit code."""
    if isinstance(exc, ValidationFailed):
        from kg.validate import format_report

        print(format_report(exc.report))
    elif isinstance(exc, QCFailed):
        from kg.report import format_table

        print(format_table(exc.report))
    else:
        print(f"osteokg: error: {exc}", file=sys.stderr)
    return exit_code(exc)


def cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build, summary

    try:
        settings.require_checkout(args.ontology, "the editors' sources")
        built, paths = build(args.ontology, args.out, _say)
    except HANDLED as exc:
        code = _fail(exc)
        why = f": {exc}" if isinstance(exc, (ValidationFailed, QCFailed)) else ""
        _say(f"build failed{why}; {args.out} left as it was")
        return code
    for path in paths:
        _say(f"wrote {path}")
    _say(summary(built))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.build import Built, build_graph, check
    from kg.validate import format_report

    try:
        if not args.graph:
            settings.require_checkout(args.ontology, "the editors' sources")
        if args.graph:
            from rdflib import Graph

            from kg.compose import SourceError, parse_turtle

            graph = Graph()
            if args.graph.suffix == ".ttl":
                parse_turtle(args.graph, graph)
            else:
                try:
                    graph.parse(args.graph)
                except Exception as exc:
                    raise SourceError(f"{args.graph}: cannot parse: {' '.join(str(exc).split())}") from exc
            locations = {}
            sidecar = args.graph.parent / "locations.json"
            if sidecar.exists():
                import json

                locations = json.loads(sidecar.read_text(encoding="utf-8"))
            built = Built(graph, locations)
        else:
            built = build_graph(args.ontology, _say)
        report = check(built, _say)
    except HANDLED as exc:
        return _fail(exc)
    print(format_report(report))
    return EXIT_OK if report.conforms else EXIT_INVALID


def cmd_report(args: argparse.Namespace) -> int:
    """The QC checks of kg/queries/qc: a table, a TSV, and exit 1 on any error-level row."""
    from kg.build import build_graph
    from kg.report import format_table, run_report, write_tsv

    try:
        settings.require_checkout(args.ontology, "the editors' sources")
        built = build_graph(args.ontology, _say)
        report = run_report(built.graph, built.locations)
        path = write_tsv(report, args.out)
    except HANDLED as exc:
        return _fail(exc)
    print(format_table(report))
    _say(f"wrote {path}")
    return EXIT_INVALID if report.errors else EXIT_OK


def _read_graph(path: Path) -> Graph:
    """A built graph from a .ttl, .nt (or other rdflib-readable) file; a missing or unreadable file is a SourceError."""
    from rdflib import Graph
    from rdflib.util import guess_format

    from kg.compose import SourceError, parse_turtle

    if not path.is_file():
        raise SourceError(f"{path}: no such file (build one with `osteokg build`, or leave out --graph)")
    graph = Graph()
    if path.suffix == ".ttl":
        parse_turtle(path, graph)
    else:
        try:
            graph.parse(path, format=guess_format(str(path)) or "nt")
        except Exception as exc:  # rdflib's parsers raise many kinds; all mean "this file is not a graph"
            raise SourceError(f"{path}: cannot parse: {' '.join(str(exc).split())}") from exc
    return graph


def cmd_review(args: argparse.Namespace) -> int:
    """The clinician's review sheet: review.html and review.tsv, every edge, statement, note and rejected row."""
    from kg.review import count_rows, review_rows, summary, write_review

    try:
        settings.require_checkout(args.ontology, "the editors' sources")
        if args.graph:
            graph = _read_graph(args.graph)
            _say(f"read {args.graph}: {len(graph)} triples")
        else:
            from kg.build import build_graph

            graph = build_graph(args.ontology, _say).graph
        rows = review_rows(graph, args.ontology)
        paths = write_review(rows, args.out)
    except (ValueError, RuntimeError, OSError) as exc:
        return _source_problem(exc)
    for path in paths:
        _say(f"wrote {path}")
    counts = count_rows(rows)
    _say(f"review: {len(rows)} rows: {summary(rows)}")
    if counts["rejected"]:
        _say(f"{counts['rejected']} rejected row(s) listed at the end of the sheet")
    return EXIT_OK


def _stale(ontology: Path, out: Path) -> bool:
    """True when ``out`` has no built graph, lacks what a server reads (a folder built before the documents and the
    search index), holds serving files of another format than this code reads (its manifest's ``serving_formats``:
    an upgrade of osteokg rebuilds, instead of every worker refusing the old files), or a source is newer than it."""
    from kg.releases import SERVING, serving_formats

    manifest = out / "manifest.json"
    if not (out / "osteokg.nt").exists() or not manifest.exists() or not all((out / name).exists() for name in SERVING):
        return True
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("serving_formats")
    except (OSError, ValueError, AttributeError):
        return True
    if recorded != serving_formats():
        return True
    built_at = manifest.stat().st_mtime
    sources = [p for p in ontology.rglob("*") if p.is_file()] + [p for p in SHAPES.glob("*.ttl")]
    return any(p.stat().st_mtime > built_at for p in sources)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API under granian (WSGI), building first when build/ is missing or stale; a build
    folder whose graph does not match its manifest's hash is refused, not served."""
    from kg.releases import (
        verify,  # light: the parent process never loads the build's reasoner
    )

    rebuild_failed = False
    if _stale(args.ontology, args.out):
        _say(f"{args.out} is missing or older than the sources: building first")
        code = cmd_build(argparse.Namespace(ontology=args.ontology, out=args.out))
        if code != EXIT_OK:
            if not (args.out / "osteokg.nt").exists():
                return code
            rebuild_failed = True
    try:
        verify(args.out)  # a damaged build would fail in every worker, naming no file
    except ReleaseError as exc:
        code = _fail(exc)
        _say(f"not serving {args.out} (above)" + ("; the new build failed too" if rebuild_failed else ""))
        return code
    if rebuild_failed:
        _say(f"the new build failed (above); serving the previous build in {args.out}")
    os.environ["OSTEOKG_BUILD_DIR"] = str(args.out.resolve())
    if args.store:
        from kg.store import SelectorError, StoreError, open_store, parse_selector

        try:
            if parse_selector(args.store, args.out).remote:  # an embedded store is opened by each worker
                remote = open_store(args.store)
                _say(f"store {remote.selector}: {remote.triples()} triples")
        except (SelectorError, StoreError) as exc:
            return _fail(exc)
        os.environ["OSTEOKG_STORE"] = args.store
    try:
        _check_access_log()
        values = {**settings.defaults("api"), **settings.from_environ("api")}  # a bad OSTEOKG_* value: one
        from api import (
            cds,  # message here, not a crash loop of workers; the CDS door's issuers file and FHIR servers too
        )

        if (warning := cds.warning(cds.door_of(values))) is not None:
            _say(f"WARNING: {warning}")
    except KgError as exc:
        return _fail(exc)
    from api import (
        assets,  # the explorer's libraries from npm (api/static/package-lock.json), installed once
    )

    try:
        if assets.ensure():
            _say(f"installed the explorer's libraries into {assets.NODE_MODULES}")
    except KgError as exc:
        return _fail(exc)
    from granian import Granian
    from granian.constants import Interfaces

    if args.watch:
        os.environ["OSTEOKG_WATCH"] = "1"
    threads = f", {args.threads} thread(s) each" if args.threads else ""
    _say(f"serving http://{args.host}:{args.port}/ with {args.workers} worker(s){threads}; "
         + (f"watching {args.out}/current for new releases" if args.watch else
            f"kill -USR1 {os.getpid()} to serve a new release"))
    # a worker that dies (killed, crashed) is replaced instead of taking the server down (granian >= 1.0);
    # granian still stops when a respawned worker dies again within 5.5 s (a crash loop)
    options = {"blocking_threads": args.threads} if args.threads else {}
    folder, ours = _metrics_folder()
    log_env = settings.setting("ACCESS_LOG").env
    log_set = log_env not in os.environ
    if log_set:
        os.environ[log_env] = "-"  # a server writes an access log (to standard error) unless told otherwise
    try:
        # granian's own access log is off: the app writes one (OSTEOKG_ACCESS_LOG, api/metrics.py)
        server = Granian("api.wsgi:app", address=args.host, port=args.port, interface=Interfaces.WSGI,
                         workers=args.workers, log_access=False, respawn_failed_workers=True, **options)
        _forward_reload_signal(server)
        server.serve()
    finally:  # what serve set for its workers only (a caller in the same process, e.g. a test, sees it as it was)
        if ours:
            shutil.rmtree(folder, ignore_errors=True)
            os.environ.pop(METRICS_DIR, None)
        if log_set:
            os.environ.pop(log_env, None)
    return EXIT_OK


METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's variable: where every worker writes its metrics


def _metrics_folder() -> tuple[Path, bool]:
    """The folder every worker of this server writes its metrics to (``PROMETHEUS_MULTIPROC_DIR``, api/metrics.py),
    set before any worker starts (prometheus-client picks its multiprocess mode when it is imported): the
    operator's, emptied of an earlier server's files, else a fresh temporary folder, removed when the server
    stops (the second value: True when it is ours)."""
    given = os.environ.get(METRICS_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return folder, False
    folder = Path(tempfile.mkdtemp(prefix="osteokg-metrics-"))
    os.environ[METRICS_DIR] = str(folder)
    return folder, True


def _check_access_log() -> None:
    """A server's access-log file (``OSTEOKG_ACCESS_LOG``) that cannot be opened stops the server here, with one
    message, not each worker."""
    where = settings.given("ACCESS_LOG")
    if where not in (None, "", "-"):
        try:
            os.close(os.open(where, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
        except OSError as exc:
            raise settings.SettingError(f"{settings.setting('ACCESS_LOG').env}={where}: the access log cannot be "
                                        f"written ({exc.strerror})") from None


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the MCP door (api/mcp_server.py) over stdio, or over streamable HTTP with ``--http``; a build folder
    whose graph does not match its manifest's hash is refused, as ``serve`` refuses it."""
    from kg.releases import verify

    try:
        verify(args.out)
        settings.from_environ("api")  # a bad OSTEOKG_* value: one message, before a client connects
    except KgError as exc:
        return _fail(exc)
    from api import mcp_server  # lazily: only this command needs the mcp package

    if args.http:
        print(f"osteokg: MCP over streamable HTTP at http://{args.host}:{args.port}/mcp", file=sys.stderr, flush=True)
    mcp_server.serve(args.out, args.store, http=args.http, host=args.host, port=args.port)
    return EXIT_OK


def _forward_reload_signal(server) -> None:
    """SIGUSR1 to ``osteokg serve`` reaches every worker, each of which then swaps in the release ``current``
    names (granian itself leaves SIGUSR1 alone; its SIGHUP respawns the workers, which also serves it)."""
    import signal

    def forward(*_: object) -> None:
        for worker in list(getattr(server, "wrks", [])):
            pid = worker._id() if hasattr(worker, "_id") else None
            if pid and pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGUSR1)
                except ProcessLookupError:
                    pass

    signal.signal(signal.SIGUSR1, forward)


def cmd_releases(args: argparse.Namespace) -> int:
    """List the releases of a build folder, or switch its ``current`` pointer to one (a rollback)."""
    from kg.releases import releases, switch

    try:
        if args.use:
            target = switch(args.out, args.use)
            _say(f"release {target.name} is current in {args.out} (a server watching it, or sent SIGUSR1, serves it)")
            return EXIT_OK
        found = releases(args.out)
        if not found:
            raise ReleaseError(args.out, "holds no releases (build one with `osteokg build`)")
    except HANDLED as exc:
        return _fail(exc)
    for item in found:
        flags = ", ".join(flag for flag in ("current", "in_use") if item[flag]).replace("_", " ")
        print(f"{item['release']}  {item['built_at'] or '?':25}  {item['triples'] or '?':>7} triples"
              + (f"  ({flags})" if flags else ""))
    return EXIT_OK


def graph_store_url(url: str) -> str:
    """The Graph Store Protocol address of ``url``'s default graph: ``URL?default`` unless the URL names a graph."""
    from kg.store import check_url

    check_url(url, "--into")
    return url if "?" in url else f"{url}?default"


def cmd_load(args: argparse.Namespace) -> int:
    """Put ``--graph`` (N-Triples) into the default graph of the store at ``--into`` with an HTTP PUT
    (SPARQL 1.1 Graph Store Protocol), bounded by ``--timeout``; credentials from the environment."""
    from kg.releases import RELEASE_PLACEHOLDER, fill
    from kg.store import SelectorError, StoreError, request

    try:
        if not args.graph.is_file():
            raise SourceError(f"{args.graph}: no such file (build one with `osteokg build`)")
        # {release} in the URL: the id of the release the graph belongs to (its folder's manifest)
        into = fill(args.into, args.graph.resolve().parent) if RELEASE_PLACEHOLDER in args.into else args.into
        target = graph_store_url(into)
        body = args.graph.read_bytes()
        request(target, body, {"Content-Type": "application/n-triples"}, "PUT", args.timeout,
                f"loading {args.graph}")
    except (SelectorError, StoreError, SourceError, ReleaseError, OSError) as exc:
        return _fail(exc)
    triples = sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#"))
    url, _, query = target.partition("?")
    graph = "default graph" if query == "default" else f"graph {urllib.parse.parse_qs(query).get('graph', [query])[0]}"
    _say(f"loaded {triples} triples from {args.graph} into {url} ({graph})")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="osteokg", description="osteokg: a clinical reference knowledge graph "
                                   "for osteoporotic fractures and osteonecrosis.")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="merge the sources, reason, validate and write build/")
    build.add_argument("--ontology", type=Path, default=ONTOLOGY_DIR, help="the editors' sources (default: %(default)s)")
    build.add_argument("--out", type=Path, default=BUILD_DIR, help="where to write the artefacts (default: %(default)s)")
    build.set_defaults(run=cmd_build)
    validate = commands.add_parser("validate", help="check the graph against the SHACL shapes; exit 1 if it does not conform")
    validate.add_argument("--ontology", type=Path, default=ONTOLOGY_DIR, help="the editors' sources (default: %(default)s)")
    validate.add_argument("--graph", type=Path, help="validate this built file instead of building from the sources")
    validate.set_defaults(run=cmd_validate)
    report = commands.add_parser("report", help="run the QC checks (kg/queries/qc); exit 1 on any error-level row")
    report.add_argument("--ontology", type=Path, default=ONTOLOGY_DIR, help="the editors' sources (default: %(default)s)")
    report.add_argument("--out", type=Path, default=BUILD_DIR / "qc-report.tsv",
                        help="where to write the TSV report (default: %(default)s)")
    report.set_defaults(run=cmd_report)
    review = commands.add_parser("review", help="write the clinician's review sheet (review.html, review.tsv)")
    review.add_argument("--ontology", type=Path, default=ONTOLOGY_DIR,
                        help="the editors' sources, also read for rejected rows (default: %(default)s)")
    review.add_argument("--graph", type=Path, help="review this built file (.nt, .ttl) instead of building from the sources")
    review.add_argument("--out", type=Path, default=BUILD_DIR, help="where to write review.html and review.tsv (default: %(default)s)")
    review.set_defaults(run=cmd_review)
    serve = commands.add_parser("serve", help="serve the API (builds first when build/ is missing or stale)")
    serve.add_argument("--host", default=settings.get("HOST"),
                       help="address to listen on (env OSTEOKG_HOST; default: %(default)s)")
    serve.add_argument("--port", type=int, default=settings.get("PORT"),
                       help="port (env OSTEOKG_PORT; default: %(default)s)")
    serve.add_argument("--workers", type=int, default=settings.get("WORKERS"),
                       help="worker processes (env OSTEOKG_WORKERS; default: %(default)s)")
    serve.add_argument("--threads", type=int, default=settings.get("THREADS") or None,
                       help="WSGI threads per worker, i.e. requests a worker answers at once (env OSTEOKG_THREADS; "
                            "default: granian's, 512 / workers: 256 each with 2)")
    serve.add_argument("--ontology", type=Path, default=ONTOLOGY_DIR, help=argparse.SUPPRESS)
    serve.add_argument("--out", type=Path, default=Path(settings.get("BUILD_DIR")),
                       help="the build folder to serve (env OSTEOKG_BUILD_DIR; default: %(default)s)")
    serve.add_argument("--store", default=settings.given("STORE"),
                       help="the store: oxigraph:PATH (embedded, the default), rdflib:PATH, or a SPARQL 1.1 endpoint "
                            "URL such as http://127.0.0.1:7878/query (env OSTEOKG_STORE; credentials from "
                            "OSTEOKG_STORE_USER and OSTEOKG_STORE_PASSWORD)")
    serve.add_argument("--watch", action="store_true", default=settings.get("WATCH"),
                       help="serve each new release as soon as a build switches the build folder's `current` to it "
                            "(checked every OSTEOKG_RELOAD_INTERVAL s; without it, send SIGUSR1)")
    serve.set_defaults(run=cmd_serve)
    mcp = commands.add_parser("mcp", help="serve the Model Context Protocol door over stdio (or streamable HTTP)")
    mcp.add_argument("--out", type=Path, default=Path(settings.get("BUILD_DIR")),
                     help="the build folder to serve (env OSTEOKG_BUILD_DIR; default: %(default)s)")
    mcp.add_argument("--store", default=settings.given("STORE"), help="the store, as for serve (env OSTEOKG_STORE)")
    mcp.add_argument("--http", action="store_true",
                     help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (a listener of its own)")
    mcp.add_argument("--host", default=settings.get("HOST"), help="with --http: address (default: %(default)s)")
    mcp.add_argument("--port", type=int, default=settings.get("MCP_PORT"),
                     help="with --http: port (env OSTEOKG_MCP_PORT; default: %(default)s)")
    mcp.set_defaults(run=cmd_mcp)
    listing = commands.add_parser("releases", help="list the releases of a build folder, or make one current (rollback)")
    listing.add_argument("--out", type=Path, default=BUILD_DIR, help="the build folder (default: %(default)s)")
    listing.add_argument("--use", metavar="RELEASE", help="make this release current (its id, as listed)")
    listing.set_defaults(run=cmd_releases)
    load = commands.add_parser("load", help="put the built graph into a remote store (SPARQL 1.1 Graph Store Protocol)")
    load.add_argument("--into", required=True, metavar="URL",
                      help="the store's Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store; the graph "
                           "replaces its default graph (URL?default); credentials from OSTEOKG_STORE_USER and "
                           "OSTEOKG_STORE_PASSWORD")
    load.add_argument("--graph", type=Path, default=BUILD_DIR / "osteokg.nt",
                      help="the N-Triples to load (default: %(default)s)")
    load.add_argument("--timeout", type=float, default=300.0, help="seconds the upload may take (default: %(default)s)")
    load.set_defaults(run=cmd_load)
    return main


def main(argv: list[str] | None = None) -> int:
    try:
        made = parser()  # its defaults come from the OSTEOKG_* settings: a bad one is a SettingError naming it
    except KgError as exc:
        return _fail(exc)
    args = made.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
