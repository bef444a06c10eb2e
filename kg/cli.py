"""The ``osteokg`` command: build, validate (and, from the API issue on, serve)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kg.build import BUILD_DIR, ONTOLOGY_DIR

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


def _say(message: str) -> None:
    print(f"osteokg: {message}", flush=True)


def _source_problem(exc: Exception) -> int:
    print(f"osteokg: error: {exc}", file=sys.stderr)
    return EXIT_ERROR


def cmd_build(args: argparse.Namespace) -> int:
    from kg.build import ValidationFailed, build, summary
    from kg.validate import format_report

    try:
        built, paths = build(args.ontology, args.out, _say)
    except ValidationFailed as exc:
        print(format_report(exc.report))
        _say(f"build failed: the graph does not conform; {args.out} left as it was")
        return EXIT_INVALID
    except (ValueError, RuntimeError, OSError) as exc:
        code = _source_problem(exc)
        _say(f"build failed; {args.out} left as it was")
        return code
    for path in paths:
        _say(f"wrote {path}")
    _say(summary(built))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.build import Built, build_graph, check
    from kg.validate import format_report

    try:
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
    except (ValueError, RuntimeError, OSError) as exc:
        return _source_problem(exc)
    print(format_report(report))
    return EXIT_OK if report.conforms else EXIT_INVALID


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
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
