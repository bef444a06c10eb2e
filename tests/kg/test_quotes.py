"""kg.quotes: quotes are the source's own words, with only line-break splits undone or a documented repair."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.quotes import (REPAIRS_PATH, StaleRepairError, apply_repairs, canonical_text, find_quote, load_repairs,
                       missing_parts, quote_parts)

X_STRALEN = ("Xstralen", "X-stralen")


def test_a_word_split_over_a_line_break_is_joined() -> None:
    assert find_quote("mag worden verveelvoudigd, opgeslagen", "mag worden verveel\nvoudigd, opgeslagen")
    assert find_quote("te herkennen. Ze kunnen", "te herken\nnen. Ze kunnen")


def test_a_line_break_may_stand_for_a_space() -> None:
    text = "De medicatie wordt terugbetaald bij een \n wervel- of heupfractuur of bij lage botdensitiviteit."
    assert find_quote("De medicatie wordt terugbetaald bij een wervel- of heupfractuur", text)
    assert find_quote("niet in staat om", "niet in \n\nstaat om")  # a blank line too


def test_white_space_is_folded() -> None:
    assert find_quote("houdt. Er bestaan", "houdt.  Er\u00a0\tbestaan")
    assert find_quote("  houdt. Er  bestaan ", "houdt. Er bestaan")


def test_a_line_break_hyphen_is_dropped() -> None:
    text = "eerdere botbreuk te voorkomen: de Fractuur Liaison-\nservice (FLS)."
    assert find_quote("de Fractuur Liaisonservice (FLS).", text)
    assert find_quote("een sluipende aandoening die", "een sluipende aan- \n doening die")
    assert canonical_text("aan-\ndoening") == "aandoening"


def test_a_line_break_hyphen_is_not_kept() -> None:
    text = "eerdere botbreuk te voorkomen: de Fractuur Liaison-\nservice (FLS)."
    assert not find_quote("de Fractuur Liaison-service (FLS).", text)
    assert not find_quote("de Fractuur Liaison service (FLS).", text)


def test_a_hyphen_mid_line_must_match_the_extract() -> None:
    text = "Osteoporose opsporen met een dubbele energie Xstralen absorptiemeting (DXA)."
    assert not find_quote("dubbele energie X-stralen absorptiemeting", text)
    assert find_quote("dubbele energie Xstralen absorptiemeting", text)
    # and a hyphen the extract has cannot be left out
    assert not find_quote("een MRIscan", "Met een MRI-scan kunnen")
    assert find_quote("een MRI-scan", "Met een MRI-scan kunnen")


def test_a_documented_repair_makes_the_quote_match() -> None:
    text = "Osteoporose opsporen met een dubbele energie Xstralen absorptiemeting (DXA)."
    assert find_quote("dubbele energie X-stralen absorptiemeting", text, [X_STRALEN])
    # a repair applies to every occurrence, so the unrepaired form is no longer found
    assert not find_quote("dubbele energie Xstralen absorptiemeting", text, [X_STRALEN])


def test_a_repair_matches_across_line_breaks() -> None:
    text = "terugbetaald bij een \n wervel of\nheupfractuur of bij lage botdensitiviteit."
    repair = ("wervel of heupfractuur", "wervel- of heupfractuur")
    assert find_quote("terugbetaald bij een wervel- of heupfractuur of bij", text, [repair])
    assert not find_quote("terugbetaald bij een wervel- of heupfractuur of bij", text)


def test_a_stale_repair_is_an_error() -> None:
    with pytest.raises(StaleRepairError, match="does not apply"):
        find_quote("dubbele energie", "dubbele energie X-stralen", [X_STRALEN])
    with pytest.raises(StaleRepairError):
        apply_repairs("geen röntgenstralen hier", [X_STRALEN])


def test_ellipsis_parts_must_appear_in_order() -> None:
    text = "De botten zijn: reclame hier. De heupkop. Daarna iets anders."
    assert quote_parts("De botten zijn: […] De heupkop.") == ["De botten zijn:", "De heupkop."]
    assert find_quote("De botten zijn: […] De heupkop.", text)
    assert not find_quote("De heupkop. […] De botten zijn:", text)
    assert missing_parts("De heupkop. […] De botten zijn:", text) == ["De botten zijn:"]
    # each part is held to the same strict rules
    assert not find_quote("De botten zijn: […] De heup-kop.", text)


def test_changed_words_are_not_found() -> None:
    text = "Botnecrose komt het meest voor bij mensen tussen de 20 en 50 jaar."
    assert not find_quote("Botnecrose komt het meest voor bij mensen tussen de 20 en 60 jaar.", text)
    assert not find_quote(" […] ", text)
    assert not find_quote("", text)


def test_load_repairs_reads_the_table(tmp_path: Path) -> None:
    path = tmp_path / "quote-repairs.tsv"
    path.write_text("# a comment\nsource\textract reads\tquotes write\twhy\n"
                    "OSTEOKG:0008001\tXstralen\tX-stralen\tlost hyphen\n"
                    "OSTEOKG:0008002\tfoo bar\tfoo-bar\tlost hyphen\n"
                    "OSTEOKG:0008001\tDXAtoestel\tDXA-toestel\tlost hyphen\n", encoding="utf-8")
    assert load_repairs(path) == {"OSTEOKG:0008001": [X_STRALEN, ("DXAtoestel", "DXA-toestel")],
                                  "OSTEOKG:0008002": [("foo bar", "foo-bar")]}


@pytest.mark.parametrize("rows, problem", [
    ("source\textract\tquote\twhy\n", "header row"),
    ("source\textract reads\tquotes write\twhy\nOSTEOKG:0008001\tXstralen\tX-stralen\t\n", "four filled cells"),
    ("source\textract reads\tquotes write\twhy\n0008001\tXstralen\tX-stralen\tlost hyphen\n", "CURIE"),
    ("source\textract reads\tquotes write\twhy\nOSTEOKG:0008001\tXstralen\tXstralen\tnothing\n", "changes nothing"),
])
def test_load_repairs_refuses_a_malformed_table(tmp_path: Path, rows: str, problem: str) -> None:
    path = tmp_path / "quote-repairs.tsv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        load_repairs(path)


def test_every_documented_repair_applies_to_its_source(seed_texts) -> None:
    repairs = load_repairs(REPAIRS_PATH)
    assert set(repairs) <= set(seed_texts), f"repairs for sources without a text: {set(repairs) - set(seed_texts)}"
    assert ("Xstralen", "X-stralen") in repairs["OSTEOKG:0008001"]
    for source, pairs in repairs.items():
        for pair in pairs:  # one at a time, so a failure names the stale row
            apply_repairs(seed_texts[source], [pair])
        apply_repairs(seed_texts[source], pairs)  # and all together, in file order


def test_the_documented_repairs_fix_what_they_say(seed_texts) -> None:
    text, repairs = seed_texts["OSTEOKG:0008001"], load_repairs(REPAIRS_PATH)["OSTEOKG:0008001"]
    quote = "dubbele energie X-stralen absorptiemeting (DXA)"
    assert not find_quote(quote, text) and find_quote(quote, text, repairs)
    quote = "De medicatie wordt terugbetaald bij een wervel- of heupfractuur of bij lage botdensitiviteit."
    assert not find_quote(quote, text) and find_quote(quote, text, repairs)
    assert find_quote("de Fractuur Liaisonservice (FLS)", text, repairs)
    assert not find_quote("de Fractuur Liaison-service (FLS)", text, repairs)
