"""Reading the editors' tables: ROBOT-style TSV files with a header row and a directive row.

Each table kind declares the directives it understands. The reader checks the directive row
against that declaration and every data row against the header, and reports any problem as a
:class:`TableError` that names the file, the line and the column, so an editor can find it.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

CURIE_ID = re.compile(r"^OSTEOKG:\d{7}$")
SPLIT = " SPLIT=|"


class TableError(ValueError):
    """A problem in an editors' table, located by file, line and column."""

    def __init__(self, path: Path | str, line: int | None, column: str | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = self.path + (f", line {line}" if line else "") + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class TableKind:
    """The directives a kind of table takes: required ones must be present, optional ones may be."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: directives whose cell must not be empty on a data row
    non_empty: tuple[str, ...] = ()


@dataclass
class Row:
    """One data row: its line number in the file and its cells keyed by directive (without SPLIT)."""

    path: Path
    line: int
    cells: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, directive: str) -> str:
        return self.cells.get(directive, "").strip()

    def values(self, directive: str) -> list[str]:
        """The cell split on ``|`` (for SPLIT directives), empty parts dropped."""
        return [part.strip() for part in self.get(directive).split("|") if part.strip()]

    def error(self, directive: str, message: str) -> TableError:
        return TableError(self.path, self.line, self.headers.get(directive, directive), message)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


LABEL_EN, LABEL_NL = "A rdfs:label@en", "A rdfs:label@nl"
DEF_EN, DEF_NL = "A IAO:0000115@en", "A IAO:0000115@nl"

TERMS = TableKind(
    "term table",
    required=("ID", LABEL_EN, LABEL_NL, DEF_EN, DEF_NL, "SC %"),
    optional=(
        "A oboInOwl:hasExactSynonym@en",
        "A oboInOwl:hasExactSynonym@nl",
        "A oboInOwl:hasRelatedSynonym@en",
        "A oboInOwl:hasRelatedSynonym@nl",
        "A skos:exactMatch",
        "A skos:closeMatch",
        "A skos:broadMatch",
        "A skos:narrowMatch",
        "EC OSTEOKG:0009003 some %",
    ),
    non_empty=("ID", LABEL_EN, LABEL_NL, DEF_EN, DEF_NL, "SC %"),
)
RELATIONS = TableKind(
    "relation table",
    required=("SUBJECT", "PREDICATE", "OBJECT", ">A dcterms:source", ">A okg:quote"),
    non_empty=("SUBJECT", "PREDICATE", "OBJECT", ">A dcterms:source", ">A okg:quote"),
)
_STATEMENT_COMMON = ("ID", LABEL_EN, LABEL_NL, DEF_EN, DEF_NL, "A okg:about", "A dcterms:source", "A okg:quote")
STATEMENTS = TableKind(
    "statement table",
    required=_STATEMENT_COMMON + ("A okg:statementKind", "A okg:unit"),
    optional=(
        "A okg:outcome",
        "A okg:outcomeText@en",
        "A okg:outcomeText@nl",
        "A okg:populationText@en",
        "A okg:populationText@nl",
        "A okg:populationCondition",
        "A okg:sex",
        "A okg:ageMin",
        "A okg:ageMax",
        "A okg:value",
        "A okg:minValue",
        "A okg:maxValue",
        "A okg:timeFrameText@en",
        "A okg:timeFrameText@nl",
        "A okg:timeFrame",
        "A okg:comparator",
        "A okg:comparatorText@en",
        "A okg:comparatorText@nl",
        "A okg:comparison",
    ),
    non_empty=_STATEMENT_COMMON + ("A okg:statementKind",),
)
NOTES = TableKind("note table", required=_STATEMENT_COMMON, non_empty=_STATEMENT_COMMON)


def read_table(path: Path, kind: TableKind) -> list[Row]:
    """Read ``path`` as a table of ``kind``; raise :class:`TableError` on any structural problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TableError(path, None, None, f"not UTF-8 text ({exc.reason})") from exc
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.startswith("#")]
    if len(lines) < 2:
        raise TableError(path, None, None, "needs a header row and a directive row")
    (_, header_line), (directive_number, directive_line) = lines[0], lines[1]
    headers = next(csv.reader([header_line], delimiter="\t", quoting=csv.QUOTE_NONE))
    raw_directives = next(csv.reader([directive_line], delimiter="\t", quoting=csv.QUOTE_NONE))
    if len(raw_directives) != len(headers):
        raise TableError(path, directive_number, None,
                         f"the directive row has {len(raw_directives)} columns but the header has {len(headers)}")
    allowed = set(kind.required) | set(kind.optional)
    directives: list[str] = []
    for header, raw in zip(headers, raw_directives):
        directive = raw.strip()
        if directive.endswith(SPLIT):
            directive = directive[: -len(SPLIT)]
        if directive not in allowed:
            raise TableError(path, directive_number, header,
                             f"unknown directive '{raw}' for a {kind.name}; expected one of: {', '.join(sorted(allowed))}")
        if directive in directives:
            raise TableError(path, directive_number, header, f"directive '{raw}' appears twice")
        directives.append(directive)
    missing = [d for d in kind.required if d not in directives]
    if missing:
        raise TableError(path, directive_number, None, f"missing required directive(s): {', '.join(missing)}")
    by_directive = dict(zip(directives, headers))
    rows: list[Row] = []
    for number, line in lines[2:]:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(cells) > len(headers):
            raise TableError(path, number, None,
                             f"has {len(cells)} cells but the header has {len(headers)} columns (a stray tab?)")
        cells += [""] * (len(headers) - len(cells))
        row = Row(path, number, dict(zip(directives, cells)), by_directive)
        for directive in kind.non_empty:
            if not row.get(directive):
                raise row.error(directive, "must not be empty")
        rows.append(row)
    return rows
