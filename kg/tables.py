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

from kg.errors import TableError

CURIE_ID = re.compile(r"^OSTEOKG:\d{7}$")
SPLIT = " SPLIT=|"


@dataclass(frozen=True)
class TableKind:
    """The directives a kind of table takes: required ones must be present, optional ones may be."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: directives whose cell must not be empty on a data row
    non_empty: tuple[str, ...] = ()
    #: directives this kind no longer takes → where that information lives now
    moved: dict[str, str] = field(default_factory=dict)


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
        "A skos:exactMatch",
        "A skos:closeMatch",
        "A skos:broadMatch",
        "A skos:narrowMatch",
        "EC OSTEOKG:0009003 some %",
    ),
    non_empty=("ID", LABEL_EN, LABEL_NL, DEF_EN, DEF_NL, "SC %"),
    #: directives of earlier versions, with what to do instead
    moved={
        **{f"A oboInOwl:has{scope}Synonym@{lang}": "synonyms live in ontology/synonyms.tsv (one row per synonym, "
           "with its scope, language, lay or clinical, and region)"
           for scope in ("Exact", "Related", "Broad", "Narrow") for lang in ("en", "nl")},
    },
)
#: the qualifier columns of ontology/relations.tsv (docs/model.md, "The editors' tables")
STRENGTH, EVIDENCE_KIND = ">A okg:strength", ">A okg:evidenceKind"
CONDITION, CONDITION_EN, CONDITION_NL = ">A okg:condition", ">A okg:conditionText@en", ">A okg:conditionText@nl"
CONTEXT, COMBINATION, QUANTIFIED_BY = ">A okg:context", ">A okg:inCombinationWith", ">A okg:quantifiedBy"
REVIEW_STATUS, REVIEW_NOTE = ">A okg:reviewStatus", ">A okg:reviewNote"
RELATIONS = TableKind(
    "relation table",
    required=("SUBJECT", "PREDICATE", "OBJECT", STRENGTH, ">A dcterms:source", ">A okg:quote"),
    optional=(EVIDENCE_KIND, CONDITION, CONDITION_EN, CONDITION_NL, CONTEXT, COMBINATION, QUANTIFIED_BY,
              REVIEW_STATUS, REVIEW_NOTE),
    non_empty=("SUBJECT", "PREDICATE", "OBJECT", STRENGTH, ">A dcterms:source", ">A okg:quote"),
)
SYNONYMS = TableKind(
    "synonym table",
    required=("SUBJECT", "SYNONYM", "LANG", "SCOPE", ">A oboInOwl:hasSynonymType"),
    optional=(">A dcterms:spatial", "NOTE"),
    non_empty=("SUBJECT", "SYNONYM", "LANG", "SCOPE", ">A oboInOwl:hasSynonymType"),
)
_STATEMENT_COMMON = ("ID", LABEL_EN, LABEL_NL, DEF_EN, DEF_NL, "A okg:about", "A dcterms:source", "A okg:quote")
_STATEMENT_REVIEW = ("A okg:reviewStatus", "A okg:reviewNote")
STATEMENTS = TableKind(
    "statement table",
    required=_STATEMENT_COMMON + ("A okg:statementKind", "A okg:unit", "A okg:timeFrameKind"),
    optional=_STATEMENT_REVIEW + (
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
    non_empty=_STATEMENT_COMMON + ("A okg:statementKind", "A okg:timeFrameKind"),
)
NOTES = TableKind("note table", required=_STATEMENT_COMMON, optional=_STATEMENT_REVIEW, non_empty=_STATEMENT_COMMON)
#: ontology/subclass-evidence.tsv: a parent a term's row names, and the source that says the term is a kind of it (with
#: its words): the member substances of the drug classes, cited to the ChEBI release (docs/model.md)
SUBCLASS_EVIDENCE = TableKind("subclass evidence table", required=("SUBJECT", "SC %", ">A dcterms:source", ">A okg:quote"),
                              non_empty=("SUBJECT", "SC %", ">A dcterms:source", ">A okg:quote"))
#: ontology/quote-translations.tsv: a Dutch quote of the other tables, exactly as they write it, and its English rendering
QUOTE, QUOTE_TRANSLATION = "QUOTE", "A okg:quoteTranslation@en"
QUOTE_TRANSLATIONS = TableKind("quote translation table", required=(QUOTE, QUOTE_TRANSLATION),
                               non_empty=(QUOTE, QUOTE_TRANSLATION))


def read_table(path: Path, kind: TableKind) -> list[Row]:
    """Read ``path`` as a table of ``kind``; raise :class:`TableError` on any structural problem."""
    text = _decode(path)
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
        if directive in kind.moved:
            raise TableError(path, directive_number, header, f"'{raw}' is no longer a column of a {kind.name}: "
                             f"{kind.moved[directive]} (see docs/model.md)")
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
    seen: dict[tuple[str, ...], int] = {}
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
        # an exact copy of a row would add its edge, synonym or statement a second time (a relation
        # may be stated on several rows, but each with its own evidence: some cell differs)
        key = tuple(cell.strip() for cell in cells)
        if key in seen:
            raise TableError(path, number, None, f"repeats line {seen[key]} exactly (the same row twice); "
                             f"delete one of lines {seen[key]} and {number}")
        seen[key] = number
        rows.append(row)
    return rows


def _decode(path: Path) -> str:
    """The table's text; bytes that are not UTF-8 are a :class:`TableError` naming line, column and position."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        number = data.count(b"\n", 0, exc.start) + 1
        before = data[line_start:exc.start]
        column = _column_name(data, before.count(b"\t"))
        position = len(before.decode("utf-8", "replace")) + 1
        raise TableError(path, number, column, f"not UTF-8 text: byte 0x{data[exc.start]:02x} at character {position} "
                         f"of the line ({exc.reason}); save the file as UTF-8") from exc


def _column_name(data: bytes, index: int) -> str | None:
    """The header of column ``index`` (0-based), when the header row can be read."""
    for raw in data.split(b"\n"):
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if line.strip() and not line.startswith("#"):
            headers = line.split("\t")
            return headers[index] if index < len(headers) and "\ufffd" not in headers[index] else None
    return None
