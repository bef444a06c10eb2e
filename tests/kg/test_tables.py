from __future__ import annotations

from pathlib import Path

import pytest

from kg.tables import RELATIONS, TERMS, TableError, read_table

HEADER = "ID\tlabel (en)\tlabel (nl)\tdefinition (en)\tdefinition (nl)\tparents\n"
DIRECTIVES = "ID\tA rdfs:label@en\tA rdfs:label@nl\tA IAO:0000115@en\tA IAO:0000115@nl\tSC % SPLIT=|\n"
ROW = "OSTEOKG:0000150\tbone cyst\tbotcyste\tA cyst in a bone.\tEen cyste in een bot.\tdisorder\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "disorders.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_rows_with_line_numbers_and_skips_comments(tmp_path: Path) -> None:
    rows = read_table(write(tmp_path, "# a comment\n" + HEADER + DIRECTIVES + ROW), TERMS)
    assert len(rows) == 1
    assert rows[0].line == 4
    assert rows[0].get("A rdfs:label@nl") == "botcyste"
    assert rows[0].values("SC %") == ["disorder"]


def test_unknown_directive_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + DIRECTIVES.replace("A rdfs:label@nl", "A rdfs:lable@nl") + ROW)
    with pytest.raises(TableError) as caught:
        read_table(path, TERMS)
    assert caught.value.line == 2 and caught.value.column == "label (nl)"
    assert "unknown directive 'A rdfs:lable@nl'" in str(caught.value) and str(path) in str(caught.value)


def test_missing_required_directive(tmp_path: Path) -> None:
    header = "ID\tlabel (en)\n"
    with pytest.raises(TableError, match="missing required directive"):
        read_table(write(tmp_path, header + "ID\tA rdfs:label@en\nOSTEOKG:0000150\tx\n"), TERMS)


def test_empty_required_cell_names_the_column(tmp_path: Path) -> None:
    row = ROW.replace("Een cyste in een bot.", "")
    with pytest.raises(TableError) as caught:
        read_table(write(tmp_path, HEADER + DIRECTIVES + row), TERMS)
    assert (caught.value.line, caught.value.column) == (3, "definition (nl)")
    assert "must not be empty" in caught.value.message


def test_stray_tab_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="stray tab") as caught:
        read_table(write(tmp_path, HEADER + DIRECTIVES + ROW.rstrip("\n") + "\textra\n"), TERMS)
    assert caught.value.line == 3


def test_directive_row_column_count_must_match(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="directive row has 2 columns"):
        read_table(write(tmp_path, HEADER + "ID\tA rdfs:label@en\n"), TERMS)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "relations.tsv"
    path.write_bytes(b"subject\n\xff\xfe\n")
    with pytest.raises(TableError, match="not UTF-8"):
        read_table(path, RELATIONS)


def test_not_utf8_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "disorders.tsv"
    path.write_bytes((HEADER + DIRECTIVES).encode("utf-8") + ROW.replace("botcyste", "botcyst\xe9").encode("latin-1"))
    with pytest.raises(TableError) as caught:
        read_table(path, TERMS)
    assert (caught.value.line, caught.value.column) == (3, "label (nl)")
    assert "byte 0xe9 at character 34 of the line" in caught.value.message and str(path) in str(caught.value)


def test_an_exact_duplicate_row_names_both_lines(tmp_path: Path) -> None:
    with pytest.raises(TableError) as caught:
        read_table(write(tmp_path, HEADER + DIRECTIVES + ROW + "# a comment\n" + ROW), TERMS)
    assert caught.value.line == 5 and "repeats line 3 exactly" in caught.value.message
    assert "lines 3 and 5" in caught.value.message


def test_rows_that_differ_only_in_spaces_around_a_cell_are_duplicates(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="repeats line 3"):
        read_table(write(tmp_path, HEADER + DIRECTIVES + ROW + ROW.replace("\tbotcyste\t", "\tbotcyste \t")), TERMS)


def test_the_same_relation_with_other_evidence_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "relations.tsv"
    header = "subject\trelation\tobject\tstrength\tsource\tquote\n"
    directives = "SUBJECT\tPREDICATE\tOBJECT\t>A okg:strength\t>A dcterms:source\t>A okg:quote\n"
    row = "osteoporosis\tcauses\tfracture\tcan\tOSTEOKG:0008001\tEen eerste citaat uit de bron\n"
    path.write_text(header + directives + row + row.replace("eerste", "tweede"), encoding="utf-8")
    assert [r.line for r in read_table(path, RELATIONS)] == [3, 4]
