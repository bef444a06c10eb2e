"""The QC report: quality checks on the built graph, in the spirit of ``robot report``.

Each check is one SPARQL file in ``kg/queries/qc/`` named ``<level>-<check>.rq``:

- ``level`` is ``error``, ``warning`` or ``info``. An ``error`` row fails ``osteokg report`` and
  the build; warnings and infos are for the editors' attention.
- ``check`` is the rest of the name (``missing-label-nl``); it is what the report prints.
- The leading ``#`` comment lines describe the check (:attr:`Check.description`).

**The query contract.** A check is a ``SELECT`` whose solutions are the problems found, with

- ``?entity`` (required): the entity that has the problem, an IRI. A blank node is allowed (an
  evidence node, a restriction): the report names its owner instead — an evidence node's
  ``owl:annotatedSource``, otherwise the nearest named subject that refers to it;
- ``?property`` (optional): the property involved, an IRI;
- ``?value`` (optional): the offending value, an IRI or a literal (or an aggregated text).

Other variables are ignored. A query must not depend on the data graph's prefix bindings: it
declares its own ``PREFIX`` lines. The queries run through the store interface (:mod:`kg.store`):
by default on an :class:`kg.store.OxigraphStore` made from the graph in memory (pyoxigraph, the
project's query engine); they are plain SPARQL 1.1 and run as well with ``robot query`` or rdflib.

One substitution is made before a query runs: a line ``# @known-prefixes`` (a comment, so the
file stays valid SPARQL) inside a ``VALUES (?prefix ?namespace ?localPattern) { }`` block is
replaced by one row per prefix of :data:`kg.vocab.PREFIXES`, with the pattern a local ID must
match (digits after an OBO-style namespace ending in ``_``; otherwise letters, digits, ``_``,
``.`` and ``-``). ``error-malformed-xref.rq`` uses it, so the known prefixes are kept in one place.

**Unconfirmed cross-references** (``warning-unconfirmed-xref``). An editor marks a mapping that
still needs checking with an axiom annotation on the mapping triple::

    [] a owl:Axiom ; owl:annotatedSource OSTEOKG:0000100 ;
       owl:annotatedProperty skos:exactMatch ; owl:annotatedTarget MONDO:0005298 ;
       okg:confirmed false .

(``okg:confirmed`` is an annotation property, so Protégé shows the marker on the mapping; a
mapping without the annotation is taken as confirmed.) :func:`kg.export.write_sssom` writes such
mappings with the comment ``unconfirmed``.

:func:`run_report` runs every check and returns a :class:`Report` of :class:`Row` objects
(``level``, ``check``, ``entity`` CURIE, ``label``, ``property``, ``value``, ``location``);
:func:`format_table` prints it as an aligned table and :func:`write_tsv` writes it as TSV.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL

from kg.validate import curie, label
from kg.files import write_atomically
from kg.store import OxigraphStore, Queries, Value, solutions
from kg.vocab import SCHEMA_TABLE, id_range
from kg.vocab import PREFIXES as _VOCAB_PREFIXES

#: the folder of the check queries
QC_DIR: Path = Path(__file__).resolve().parent / "queries" / "qc"

#: the levels, most severe first
LEVELS: tuple[str, ...] = ("error", "warning", "info")

#: the TSV columns, in order
COLUMNS: tuple[str, ...] = ("level", "check", "entity", "label", "property", "value", "location")

_ROOT = Path(__file__).resolve().parent.parent
_SCHEMA = f"ontology/{SCHEMA_TABLE}"


@dataclass(frozen=True)
class Check:
    """One check: its level, its name, what it looks for and its query text."""

    level: str
    name: str
    description: str
    query: str
    path: Path


@dataclass(frozen=True)
class Row:
    """One problem found by a check.

    ``entity`` is a CURIE (or an IRI outside the known namespaces), ``label`` its English label,
    ``property`` a CURIE, ``value`` a CURIE or a literal in Turtle form (``"heup"@nl``), and
    ``location`` where the entity comes from in the editors' sources (``ontology/terms/x.tsv:7``).
    """

    level: str
    check: str
    entity: str
    label: str | None = None
    property: str | None = None
    value: str | None = None
    location: str | None = None

    def cells(self) -> tuple[str, ...]:
        """The row's values in :data:`COLUMNS` order, empty strings for missing ones."""
        return tuple("" if v is None else v for v in
                     (self.level, self.check, self.entity, self.label, self.property, self.value, self.location))


@dataclass(frozen=True)
class Report:
    """Every row found, in a stable order, and the checks that ran."""

    rows: tuple[Row, ...]
    checks: tuple[Check, ...] = ()

    def count(self, level: str) -> int:
        return sum(1 for r in self.rows if r.level == level)

    @property
    def errors(self) -> int:
        """How many error-level rows."""
        return self.count("error")

    @property
    def warnings(self) -> int:
        """How many warning-level rows."""
        return self.count("warning")

    @property
    def infos(self) -> int:
        """How many info-level rows."""
        return self.count("info")

    def by_check(self, check: str) -> tuple[Row, ...]:
        """The rows of one check (its name without the level, e.g. ``missing-label-nl``)."""
        return tuple(r for r in self.rows if r.check == check)


# ---------------------------------------------------------------- the checks


#: the placeholder line a query may hold inside its VALUES block of known prefixes
KNOWN_PREFIXES_MARK = "# @known-prefixes"
OBO_LOCAL_PATTERN = "^[0-9]+$"
LOCAL_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


def known_prefix_rows(prefixes: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(prefix, namespace, local-ID pattern) for every known prefix (default :data:`kg.vocab.PREFIXES`)."""
    prefixes = _VOCAB_PREFIXES if prefixes is None else prefixes
    return [(prefix, namespace, OBO_LOCAL_PATTERN if namespace.endswith("_") else LOCAL_PATTERN)
            for prefix, namespace in prefixes.items()]


def _sparql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fill_known_prefixes(query: str) -> str:
    if KNOWN_PREFIXES_MARK not in query:
        return query
    rows = "\n".join(f"      ({' '.join(_sparql_string(v) for v in row)})" for row in known_prefix_rows())
    lines = [rows if line.strip().startswith(KNOWN_PREFIXES_MARK) else line for line in query.splitlines()]
    return "\n".join(lines) + "\n"


def load_checks(qc_dir: Path = QC_DIR) -> tuple[Check, ...]:
    """Every ``<level>-<check>.rq`` in ``qc_dir``, sorted by level then name.

    Raises ValueError for a file whose name does not start with a known level.
    """
    checks: list[Check] = []
    for path in sorted(Path(qc_dir).glob("*.rq")):
        level, sep, name = path.stem.partition("-")
        if level not in LEVELS or not sep or not name:
            raise ValueError(f"{path}: a check is named <level>-<check>.rq with level one of {', '.join(LEVELS)}")
        text = path.read_text(encoding="utf-8")
        description = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            description.append(line[1:].strip())
        checks.append(Check(level, name, " ".join(d for d in description if d).strip(), _fill_known_prefixes(text),
                            path))
    if not checks:
        raise FileNotFoundError(f"no checks (*.rq) in {qc_dir}")
    return tuple(sorted(checks, key=lambda c: (LEVELS.index(c.level), c.name)))


# ---------------------------------------------------------------- running them


def _to_rdflib(value: Value | None) -> rdflib.term.Node | None:
    """A row's plain value as the rdflib term of the graph (a blank node by its label, as the store kept it)."""
    if value is None:
        return None
    if value.kind == "iri":
        return URIRef(value.value)
    if value.kind == "bnode":
        return BNode(value.value)
    if value.lang:
        return Literal(value.value, lang=value.lang)
    return Literal(value.value, datatype=URIRef(value.datatype) if value.datatype else None)


def load_store(graph: Graph) -> OxigraphStore:
    """``graph`` copied into an in-memory store (:meth:`kg.store.OxigraphStore.from_graph`, blank-node labels kept)."""
    return OxigraphStore.from_graph(graph, selector="oxigraph:qc-report")


def owner(graph: Graph, node: rdflib.term.Node) -> rdflib.term.Node:
    """The named entity a blank node belongs to: an evidence node's annotated source, otherwise the
    nearest IRI that refers to it (a restriction's class, a list's owner); ``node`` if none."""
    seen: set[rdflib.term.Node] = set()
    current = node
    while isinstance(current, BNode) and current not in seen:
        seen.add(current)
        source = graph.value(current, OWL.annotatedSource)
        parent = source if source is not None else next(graph.subjects(None, current), None)
        if parent is None:
            return current
        current = parent
    return current


def _location(node: rdflib.term.Node, locations: Mapping[str, str] | None) -> str | None:
    if not isinstance(node, URIRef):
        return None
    where = None
    if locations:
        where = locations.get(str(node)) or locations.get(curie(node))
        # upper categories, sources and relations are written in the schema (kg.vocab.ID_RANGES)
        if where is None and (found := id_range(node)) is not None and found.table == SCHEMA_TABLE:
            where = _SCHEMA
    if where and Path(where).is_absolute() and Path(where).is_relative_to(_ROOT):
        where = Path(where).relative_to(_ROOT).as_posix()  # ontology/terms/x.tsv:7, as the editors know it
    return where


def _location_key(location: str | None) -> tuple[str, int]:
    """``file.tsv:12`` sorts by file, then by line number; no location sorts last."""
    if not location:
        return ("\uffff", 0)
    where, _, line = location.rpartition(":")
    return (where, int(line)) if where and line.isdigit() else (location, 0)


def _value_text(node: rdflib.term.Node | None) -> str | None:
    if node is None:
        return None
    return curie(node)


def run_check(store: Queries, check: Check) -> list[dict[str, rdflib.term.Node | None]]:
    """The solutions of one check on ``store`` (any :class:`kg.store.Queries`; :func:`load_store` makes one from a
    graph) as dicts of ``entity``, ``property``, ``value`` (rdflib terms)."""
    try:
        variables, rows = solutions(store, check.query)
    except SyntaxError as exc:
        raise ValueError(f"{check.path}: {exc}") from exc
    if "entity" not in variables:
        raise ValueError(f"{check.path}: a check must SELECT ?entity (and optionally ?property, ?value)")
    return [{name: _to_rdflib(row.get(name)) for name in ("entity", "property", "value")} for row in rows]


def run_report(graph: Graph, locations: Mapping[str, str] | None = None,
               checks: Iterable[Check] | None = None) -> Report:
    """Run every check (default: :func:`load_checks`) on ``graph``; rows sorted by level, check,
    location and entity. ``locations`` maps an entity's IRI (or CURIE) to where it is defined."""
    checks = tuple(load_checks() if checks is None else checks)
    store = load_store(graph)
    rows: dict[tuple, Row] = {}
    for check in checks:
        for solution in run_check(store, check):
            entity = solution["entity"]
            if entity is None:
                continue
            named = owner(graph, entity)
            row = Row(
                level=check.level, check=check.name, entity=curie(named),
                label=label(graph, named) if isinstance(named, URIRef) else None,
                property=_value_text(solution["property"]), value=_value_text(solution["value"]),
                location=_location(named, locations))
            rows.setdefault(row.cells(), row)
    ordered = sorted(rows.values(), key=lambda r: (LEVELS.index(r.level), r.check, _location_key(r.location),
                                                    r.entity, r.property or "", r.value or ""))
    return Report(tuple(ordered), checks)


# ---------------------------------------------------------------- output


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(report: Report) -> str:
    """One line: the counts per level and how many checks ran."""
    return (f"QC report ({_plural(len(report.checks), 'check')}): {_plural(report.errors, 'error')}, "
            f"{_plural(report.warnings, 'warning')}, {_plural(report.infos, 'info')}.")


def format_table(report: Report, width: int = 60) -> str:
    """The report as an aligned text table (long cells clipped to ``width``), then the summary."""
    if not report.rows:
        return summary(report)
    header = ("LEVEL", "CHECK", "ENTITY", "LABEL", "PROPERTY", "VALUE", "LOCATION")
    cells = [header] + [tuple(_clip(c, width) for c in row.cells()) for row in report.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n\n" + summary(report)


def _tsv_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_tsv(report: Report, path: Path) -> Path:
    """Write the report as UTF-8 TSV with a header row of :data:`COLUMNS` (atomically: a temporary
    file next to ``path`` is renamed over it). Tabs and line breaks in cells are escaped."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\t".join(COLUMNS) + "\n" + "".join(
        "\t".join(_tsv_cell(c) for c in row.cells()) + "\n" for row in report.rows)
    write_atomically({path: text})
    return path


__all__ = ["COLUMNS", "KNOWN_PREFIXES_MARK", "LEVELS", "QC_DIR", "Check", "Report", "Row", "format_table",
           "known_prefix_rows", "load_checks", "load_store", "owner", "run_check", "run_report", "summary", "write_tsv"]
