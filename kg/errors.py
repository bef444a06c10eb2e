"""The errors kg raises, in one hierarchy, so a door (the CLI, the API) can map them in one place.

Every error says what is wrong and where: the file (and line and column, where known) an editor or
an operator has to look at. Each class also keeps the built-in base it had before this module
existed (``ValueError``, ``RuntimeError``, ``OSError``), so code that caught those still does.

- :class:`KgError` — anything kg refuses, with a message that points at the cause.
  - :class:`SourceError` — an editors' source cannot be read (a file, a Turtle syntax error, …).
    - :class:`TableError` — a problem in a row of a table, located by file, line and column.
  - :class:`ReasoningError` — HermiT finds the ontology inconsistent or a class unsatisfiable.
  - :class:`ValidationFailed` — the built graph does not conform to the SHACL shapes.
  - :class:`QCFailed` — the QC report has error-level rows.
  - :class:`ReleaseError` — a build's artefacts cannot be written, or a written build is damaged.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


class KgError(Exception):
    """Something kg refuses to do, with a message that names the cause."""


class SourceError(KgError, ValueError):
    """A source file that cannot be read: names the file and, where known, the line."""


class TableError(SourceError):
    """A problem in an editors' table, located by file, line and column."""

    def __init__(self, path: Path | str, line: int | None, column: str | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = self.path + (f", line {line}" if line else "") + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")


class ReasoningError(KgError, RuntimeError):
    """The ontology is inconsistent or has unsatisfiable classes (named in the message)."""


class ValidationFailed(KgError, RuntimeError):
    """The built graph does not conform to the shapes; ``report`` says where and why."""

    def __init__(self, report: Any) -> None:
        self.report = report
        super().__init__("the graph does not conform to the SHACL shapes")


class QCFailed(KgError, RuntimeError):
    """The QC report has error-level rows; ``report`` lists them."""

    def __init__(self, report: Any) -> None:
        self.report = report
        super().__init__(f"the QC report has {report.errors} error(s)")


class ReleaseError(KgError, OSError):
    """A build folder that cannot be written or that is damaged; ``path`` is the file concerned."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{path}: {message}")

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


__all__ = ["KgError", "QCFailed", "ReasoningError", "ReleaseError", "SourceError", "TableError", "ValidationFailed"]
