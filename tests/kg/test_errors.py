"""One error hierarchy: every kg error is a KgError, importable where it always was, and the CLI maps each
to its exit code in one place (0 ok, 1 does not conform or QC errors, 2 a source or release problem)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import kg.build
import kg.compose
import kg.reason
import kg.tables
from kg import errors
from kg.cli import EXIT_ERROR, EXIT_INVALID, EXIT_OK, exit_code, main


def test_the_old_homes_hold_the_same_classes() -> None:
    assert kg.compose.SourceError is errors.SourceError
    assert kg.tables.TableError is errors.TableError
    assert kg.reason.ReasoningError is errors.ReasoningError
    assert kg.build.ValidationFailed is errors.ValidationFailed and kg.build.QCFailed is errors.QCFailed
    assert kg.build.ReleaseError is errors.ReleaseError


@pytest.mark.parametrize("cls, builtin", [
    (errors.SourceError, ValueError), (errors.TableError, ValueError), (errors.ReasoningError, RuntimeError),
    (errors.ValidationFailed, RuntimeError), (errors.QCFailed, RuntimeError), (errors.ReleaseError, OSError),
])
def test_every_error_is_a_kg_error_and_keeps_its_builtin_base(cls: type, builtin: type) -> None:
    assert issubclass(cls, errors.KgError) and issubclass(cls, builtin)


def test_a_table_error_is_a_source_error_with_its_location() -> None:
    error = errors.TableError("ontology/relations.tsv", 12, "quote", "must not be empty")
    assert isinstance(error, errors.SourceError)
    assert str(error) == "ontology/relations.tsv, line 12, column 'quote': must not be empty"
    assert (error.path, error.line, error.column, error.message) == ("ontology/relations.tsv", 12, "quote", "must not be empty")


def test_a_release_error_names_its_file() -> None:
    error = errors.ReleaseError(Path("build/osteokg.nt"), "cannot write: No space left on device")
    assert str(error) == "build/osteokg.nt: cannot write: No space left on device" and error.path == "build/osteokg.nt"


REPORT = SimpleNamespace(errors=2)
#: each error, the exit code it maps to, and where its message goes (a report on stdout, else stderr)
MAPPINGS = [
    (errors.ValidationFailed(REPORT), EXIT_INVALID, "out"),
    (errors.QCFailed(REPORT), EXIT_INVALID, "out"),
    (errors.SourceError("ontology/osteokg-schema.ttl, line 3: Turtle syntax error"), EXIT_ERROR, "err"),
    (errors.TableError("ontology/relations.tsv", 5, "subject", "unknown term 'osteoporsis'"), EXIT_ERROR, "err"),
    (errors.ReasoningError("HermiT: unsatisfiable classes: femur"), EXIT_ERROR, "err"),
    (errors.ReleaseError("build/osteokg.nt", "cannot write: No space left on device"), EXIT_ERROR, "err"),
    (errors.KgError("anything else kg refuses"), EXIT_ERROR, "err"),
    (FileNotFoundError(2, "No such file or directory", "shapes"), EXIT_ERROR, "err"),
]


@pytest.mark.parametrize("error, code, stream", MAPPINGS, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None)
def test_each_error_maps_to_its_exit_code(error: Exception, code: int, stream: str) -> None:
    assert exit_code(error) == code


@pytest.mark.parametrize("error, code, stream", MAPPINGS, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None)
def test_the_build_command_exits_with_the_mapped_code(error: Exception, code: int, stream: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(kg.build, "build", fail)
    monkeypatch.setattr("kg.validate.format_report", lambda report: "THE SHACL REPORT")
    monkeypatch.setattr("kg.report.format_table", lambda report: "THE QC TABLE")
    out = tmp_path / "build"
    assert main(["build", "--out", str(out)]) == code
    captured = capsys.readouterr()
    assert "build failed" in captured.out and "left as it was" in captured.out
    if stream == "out":
        assert ("THE SHACL REPORT" if isinstance(error, errors.ValidationFailed) else "THE QC TABLE") in captured.out
    else:
        assert captured.err == f"osteokg: error: {error}\n"
    assert not out.exists()


def test_a_bug_is_not_mapped() -> None:
    with pytest.raises(TypeError, match="no exit code for KeyError"):
        exit_code(KeyError("a bug keeps its traceback"))


def test_ok_is_0() -> None:
    assert (EXIT_OK, EXIT_INVALID, EXIT_ERROR) == (0, 1, 2)
