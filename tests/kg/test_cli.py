"""The osteokg command: exit codes and what it prints."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import EXIT_ERROR, EXIT_INVALID, EXIT_OK, main


def test_build_prints_progress_and_the_paths_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build"
    assert main(["build", "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "HermiT: consistent" in printed and "SHACL: conforms" in printed
    for name in ("osteokg.ttl", "osteokg.nt", "osteokg.jsonld", "osteokg.owl", "manifest.json"):
        assert f"wrote {out.resolve() / name}" in printed
    assert "asserted edges 68" in printed and "inferred edges by rule (definition 10" in printed
    assert main(["validate", "--graph", str(out / "osteokg.ttl")]) == EXIT_OK


def test_validate_exits_0_on_the_real_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == EXIT_OK
    assert "conforms" in capsys.readouterr().out


def test_validate_reports_a_nonconforming_statement_and_exits_1(ontology_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = ontology_copy / "statements.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("\t0.3333\t", "\t3.5\t", 1), encoding="utf-8")
    assert main(["validate", "--ontology", str(ontology_copy)]) == EXIT_INVALID
    report = capsys.readouterr().out
    assert "OSTEOKG:0007000" in report  # the statement's ID
    assert "1 in 3 women over 50" in report  # its label
    assert "statements.tsv:4" in report  # where an editor fixes it
    assert "3.5" in report


def test_a_bad_row_names_file_line_and_column(ontology_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (ontology_copy / "relations.tsv").open("a", encoding="utf-8") as handle:
        # subject, relation, object, strength, seven qualifier columns, source — and no quote
        handle.write("osteoporosis\ttreats\tbone\tcan" + "\t" * 7 + "\tOSTEOKG:0008001\n")
    assert main(["build", "--ontology", str(ontology_copy), "--out", str(ontology_copy / "out")]) == EXIT_ERROR
    error = capsys.readouterr().err
    assert "relations.tsv, line 75, column 'quote': must not be empty" in error
    assert not (ontology_copy / "out").exists()


def test_the_installed_command_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "kg.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "build" in result.stdout and "validate" in result.stdout
    result = subprocess.run([sys.executable, "-m", "kg.cli", "frobnicate"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_serve_builds_first_only_when_build_is_missing_or_stale(tmp_path: Path, ontology_copy: Path) -> None:
    import os
    import time

    from kg.cli import _stale
    from kg.releases import SERVING, serving_formats

    out = tmp_path / "build"
    assert _stale(ontology_copy, out)  # missing
    out.mkdir()
    (out / "osteokg.nt").write_text("", encoding="utf-8")
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    future = time.time() + 60
    os.utime(out / "manifest.json", (future, future))
    assert _stale(ontology_copy, out)  # built before the documents, the search index and the on-disk store
    for name in SERVING:
        (out / name).write_text("", encoding="utf-8")
    assert _stale(ontology_copy, out)  # a manifest that does not say its serving files' formats: an older build
    (out / "manifest.json").write_text(json.dumps({"serving_formats": "documents 1; search osteokg-search/1"}),
                                       encoding="utf-8")
    os.utime(out / "manifest.json", (future, future))
    assert _stale(ontology_copy, out)  # files of another format than this code reads
    (out / "manifest.json").write_text(json.dumps({"serving_formats": serving_formats()}), encoding="utf-8")
    os.utime(out / "manifest.json", (future, future))
    assert not _stale(ontology_copy, out)
    touched = ontology_copy / "relations.tsv"
    os.utime(touched, (future + 60, future + 60))
    assert _stale(ontology_copy, out)  # a source is newer than the build


def test_report_prints_a_table_writes_tsv_and_fails_on_errors(ontology_copy: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "qc.tsv"
    assert main(["report", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "0 errors" in printed and out.read_text(encoding="utf-8").startswith("level\t")
    schema = ontology_copy / "osteokg-schema.ttl"
    schema.write_text(schema.read_text(encoding="utf-8") + "\nOSTEOKG:0000011 owl:deprecated true .\n", encoding="utf-8")
    assert main(["report", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_INVALID
    printed = capsys.readouterr().out
    assert "deprecated-without-replacement" in printed and "OSTEOKG:0000011" in printed


def test_review_reads_a_built_file_and_counts_its_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.kg.test_review import FIXTURE

    graph = tmp_path / "fixture.ttl"
    graph.write_text(FIXTURE, encoding="utf-8")
    (tmp_path / "ontology").mkdir()  # no tables: nothing rejected
    out = tmp_path / "out"
    assert main(["review", "--graph", str(graph), "--ontology", str(tmp_path / "ontology"), "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "review: 11 rows: 5 asserted, 3 inferred (definition 1, inverse 1, subclass 1), 2 statements, 1 notes, 0 rejected" in printed
    assert len((out / "review.tsv").read_text(encoding="utf-8").splitlines()) == 12


@pytest.mark.parametrize("problem", ["missing graph", "unparsable graph", "missing ontology"])
def test_review_says_what_is_wrong_with_its_input_and_exits_2(problem: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    graph, ontology = tmp_path / "osteokg.nt", tmp_path / "ontology"
    ontology.mkdir()
    if problem == "unparsable graph":
        graph.write_text("this is not N-Triples\n", encoding="utf-8")
    if problem == "missing ontology":
        graph.write_text("", encoding="utf-8")
        ontology.rmdir()
    out = tmp_path / "out"
    assert main(["review", "--graph", str(graph), "--ontology", str(ontology), "--out", str(out)]) == EXIT_ERROR
    error = capsys.readouterr().err
    expected = {"missing graph": f"{graph}: no such file", "unparsable graph": f"{graph}: cannot parse",
                "missing ontology": f"{ontology}: no such folder"}[problem]
    assert error.startswith(f"osteokg: error: {expected}") and "Traceback" not in error
    assert not out.exists()


def test_review_writes_the_sheet_from_the_sources(tmp_path: Path) -> None:
    out = tmp_path / "sheet"
    result = subprocess.run([sys.executable, "-m", "kg.cli", "review", "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert (out / "review.tsv").read_text(encoding="utf-8").startswith("row_id\tkind\tentity\t")
    assert (out / "review.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {out / 'review.html'}" in result.stdout and " asserted, " in result.stdout
    assert " rejected" in result.stdout


def test_an_iri_with_a_space_exits_2_with_file_and_line(ontology_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = ontology_copy / "osteokg-schema.ttl"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text + "<https://example.org/a b> a owl:Class .\n", encoding="utf-8")
    out = ontology_copy / "out"
    assert main(["build", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_ERROR
    error = capsys.readouterr().err
    assert f"osteokg: error: {schema}, line {len(text.splitlines()) + 1}: the IRI <https://example.org/a b>" in error
    assert "Traceback" not in error and not out.exists()


class FakeGranian:
    """Stands in for granian's server: records that serving started, and serves nothing."""

    started: list[str] = []

    def __init__(self, target: str, **options) -> None:
        self.target = target

    def serve(self) -> None:
        FakeGranian.started.append(self.target)


def fake_build(folder: Path, triples: list[str]) -> None:
    """A build folder with ``triples`` as its graph and a manifest with their hash, newer than any source."""
    import json
    import os
    import time

    from kg.build import graph_hash

    from kg.releases import SERVING, serving_formats

    folder.mkdir()
    graph = folder / "osteokg.nt"
    graph.write_text("".join(triples), encoding="utf-8")
    for name in SERVING:  # present, so that serve does not rebuild (granian is not started here: nothing reads them)
        (folder / name).write_text("", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"graph_sha256": graph_hash(graph), "serving_formats": serving_formats()}), encoding="utf-8")
    future = time.time() + 3600
    os.utime(folder / "manifest.json", (future, future))


TRIPLES = ["<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n",
           "<https://example.org/a> <https://example.org/b> \"a literal long enough to cut\" .\n"]


@pytest.fixture
def granian(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import granian as granian_module

    FakeGranian.started = []
    monkeypatch.setattr(granian_module, "Granian", FakeGranian)
    monkeypatch.setenv("OSTEOKG_BUILD_DIR", "")  # serve sets it; monkeypatch puts it back as it was
    return FakeGranian.started


def test_serve_refuses_a_truncated_graph_with_a_fresh_manifest(tmp_path: Path, ontology_copy: Path, granian: list[str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build"
    fake_build(out, TRIPLES)
    with (out / "osteokg.nt").open("r+", encoding="utf-8") as handle:
        handle.truncate(len(TRIPLES[0]) + 40)
    assert main(["serve", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_ERROR
    error = capsys.readouterr().err
    assert error.startswith(f"osteokg: error: {out / 'osteokg.nt'}: damaged or changed since it was built")
    assert granian == []


def test_serve_serves_a_build_that_matches_its_manifest(tmp_path: Path, ontology_copy: Path, granian: list[str]) -> None:
    out = tmp_path / "build"
    fake_build(out, TRIPLES)
    assert main(["serve", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_OK
    assert granian == ["api.wsgi:app"]


@pytest.mark.parametrize("damaged", [False, True])
def test_serve_after_a_failed_rebuild_serves_the_previous_build_only_when_it_is_intact(
        damaged: bool, tmp_path: Path, ontology_copy: Path, granian: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    import time

    out = tmp_path / "build"
    fake_build(out, TRIPLES)
    if damaged:
        (out / "osteokg.nt").write_text(TRIPLES[0], encoding="utf-8")
    relations = ontology_copy / "relations.tsv"
    relations.write_text(relations.read_text(encoding="utf-8") + "osteoporsis\ttreats\tbone\n", encoding="utf-8")
    future = time.time() + 7200  # newer than the build: serve rebuilds first, and the rebuild fails
    os.utime(relations, (future, future))
    code = main(["serve", "--ontology", str(ontology_copy), "--out", str(out)])
    captured = capsys.readouterr()
    assert "relations.tsv, line 75" in captured.err
    if damaged:
        assert code == EXIT_ERROR and granian == [] and f"{out / 'osteokg.nt'}: damaged" in captured.err
    else:
        assert code == EXIT_OK and granian == ["api.wsgi:app"]
        assert "serving the previous build" in captured.out


def test_a_bad_setting_is_one_message_naming_it_and_exit_2(monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OSTEOKG_PORT", "eighty")
    assert main(["releases"]) == EXIT_ERROR
    assert "OSTEOKG_PORT" in capsys.readouterr().err


def test_build_outside_a_checkout_names_the_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--ontology", str(tmp_path / "ontology"), "--out", str(tmp_path / "build")]) == EXIT_ERROR
    error = capsys.readouterr().err
    assert f"{tmp_path / 'ontology'}: no such folder" in error and "checkout" in error
    assert not (tmp_path / "build").exists()


def test_releases_lists_them_and_use_switches_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two fake releases (a graph and a manifest each) are enough: listing and switching read only those."""
    import json

    from kg.releases import CURRENT, RELEASES, graph_hash, release_dir

    root = tmp_path / "build"
    for day, name in enumerate(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"], 1):
        folder = root / RELEASES / name
        folder.mkdir(parents=True)
        (folder / "osteokg.nt").write_text(f'<http://e/{name}> <http://e/p> "{name}" .\n', encoding="utf-8")
        (folder / "manifest.json").write_text(json.dumps({
            "release": name, "built_at": f"2026-12-0{day}T00:00:00+00:00", "graph_sha256": graph_hash(folder / "osteokg.nt"),
            "counts": {"triples": 1}}), encoding="utf-8")
    (root / CURRENT).symlink_to(Path(RELEASES) / "bbbbbbbbbbbbbbbb")
    assert main(["releases", "--out", str(root)]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("bbbbbbbbbbbbbbbb") and "(current)" in lines[0] and lines[1].startswith("aaaaaaaaaaaaaaaa")
    assert main(["releases", "--out", str(root), "--use", "aaaaaaaaaaaaaaaa"]) == EXIT_OK
    assert release_dir(root).name == "aaaaaaaaaaaaaaaa" and (root / "osteokg.nt").read_text().startswith("<http://e/a")
    assert main(["releases", "--out", str(root), "--use", "cccccccccccccccc"]) == EXIT_ERROR
    assert release_dir(root).name == "aaaaaaaaaaaaaaaa"


def test_serve_checks_the_cds_settings_before_it_starts_workers(tmp_path: Path, ontology_copy: Path, granian: list[str],
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad OSTEOKG_CDS_ISSUERS file is one message and exit 2, not a crash loop of workers; the token check
    switched off is said once, loudly, and the server still starts."""
    out = tmp_path / "build"
    fake_build(out, TRIPLES)
    issuers = tmp_path / "issuers.json"
    issuers.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("OSTEOKG_CDS_ISSUERS", str(issuers))
    assert main(["serve", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_ERROR
    assert "OSTEOKG_CDS_ISSUERS" in capsys.readouterr().err and granian == []
    monkeypatch.delenv("OSTEOKG_CDS_ISSUERS")
    monkeypatch.setenv("OSTEOKG_CDS_AUTH", "off")
    assert main(["serve", "--ontology", str(ontology_copy), "--out", str(out)]) == EXIT_OK
    assert "WARNING: OSTEOKG_CDS_AUTH=off" in capsys.readouterr().out and granian == ["api.wsgi:app"]
