"""The editors' workflow of CONTRIBUTING.md, end to end: a new condition added from the tables alone
is built, validated and served; a malformed row fails the build naming table, line and column."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import build
from kg.tables import TableError

NEW_TERM = ("OSTEOKG:0000150", "multifocal osteonecrosis", "multifocale botnecrose",
            "Osteonecrosis in several bones, at the same time or at different times.",
            "Botnecrose in meerdere botten, tegelijkertijd of op verschillende tijdstippen.",
            "osteonecrosis")
NEW_SYNONYM = ("multifocal osteonecrosis", "botnecrose in meerdere botten", "nl", "exact", "lay")
# subject, relation, object, strength, evidence kind, condition (term, en, nl), context, in combination with,
# quantified by, source, quote
NEW_RELATION = ("multifocal osteonecrosis", "has location", "bone", "defining", "", "", "", "", "", "", "",
                "OSTEOKG:0008002",
                "Het kan ontstaan in een enkel bot of in meerdere botten, en tegelijkertijd of op verschillende tijdstippen.")


def add_row(table: Path, cells: tuple[str, ...]) -> int:
    columns = len(next(line for line in table.read_text(encoding="utf-8").splitlines() if not line.startswith("#")).split("\t"))
    text = table.read_text(encoding="utf-8")
    table.write_text(text + "\t".join(cells + ("",) * (columns - len(cells))) + "\n", encoding="utf-8")
    return len(text.splitlines()) + 1


def test_a_new_condition_from_the_tables_is_built_validated_and_served(ontology_copy: Path, tmp_path: Path) -> None:
    add_row(ontology_copy / "terms" / "disorders.tsv", NEW_TERM)
    add_row(ontology_copy / "synonyms.tsv", NEW_SYNONYM)
    add_row(ontology_copy / "relations.tsv", NEW_RELATION)
    out = tmp_path / "build"
    built, _ = build(ontology_copy, out)  # raises if HermiT or the shapes object
    assert built.counts["terms"] == 92  # the 91 terms of the tables and the new one

    from api import create_app

    client = create_app({"TESTING": True, "BUILD_DIR": str(out)}).test_client()
    body = client.get("/entities/OSTEOKG:0000150?lang=nl").json
    assert body["label"] == "multifocale botnecrose"
    assert body["parents"][0]["id"] == "OSTEOKG:0000106"
    relations = client.get("/entities/OSTEOKG:0000150/relations", query_string={"direction": "out"}).json["items"]
    asserted = [r for r in relations if not r["inferred"]]
    assert [(r["predicate"]["id"], r["object"]["id"]) for r in asserted] == [("OSTEOKG:0009003", "OSTEOKG:0001000")]
    assert asserted[0]["evidence"][0]["quote"].startswith("Het kan ontstaan")
    inherited = {(r["predicate"]["id"], r["object"]["id"]) for r in relations if r["inferred"]}
    assert ("OSTEOKG:0009006", "OSTEOKG:0002000") in inherited  # caused by interrupted blood supply: every osteonecrosis
    assert ("OSTEOKG:0009009", "OSTEOKG:0003000") not in inherited  # the main symptom of osteonecrosis is not said of it
    assert client.get("/search", query_string={"q": "multifocale"}).json["items"][0]["id"] == "OSTEOKG:0000150"
    assert client.get("/search", query_string={"q": "botnecrose in meerdere"}).json["items"][0]["id"] == "OSTEOKG:0000150"


def test_a_malformed_row_fails_the_build_naming_table_line_and_column(ontology_copy: Path, tmp_path: Path) -> None:
    line = add_row(ontology_copy / "terms" / "disorders.tsv", NEW_TERM[:5] + ("osteonecrose",))  # a Dutch label as parent
    with pytest.raises(TableError) as caught:
        build(ontology_copy, tmp_path / "build")
    assert caught.value.path.endswith("terms/disorders.tsv")
    assert caught.value.line == line and caught.value.column == "parents"
    assert "unknown term" in caught.value.message and "osteonecrose" in caught.value.message
    assert not (tmp_path / "build").exists()
