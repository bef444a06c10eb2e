from __future__ import annotations

from kg.quotes import find_quote, normal_form, quote_parts


def test_normal_form_repairs_split_and_hyphenated_words() -> None:
    assert normal_form("verveel\nvoudigd") == normal_form("verveelvoudigd")
    assert normal_form("dubbele energie Xstralen") == normal_form("dubbele energie X-stralen")
    assert normal_form("aan-\ndoening") == normal_form("aandoening")


def test_quote_found_across_line_breaks() -> None:
    text = "De medicatie wordt terugbetaald bij een \n wervel of heupfractuur of bij lage botdensitiviteit."
    assert find_quote("De medicatie wordt terugbetaald bij een wervel- of heupfractuur", text)


def test_ellipsis_parts_must_appear_in_order() -> None:
    text = "De botten zijn: reclame hier. De heupkop. Daarna iets anders."
    assert quote_parts("De botten zijn: […] De heupkop.") == ["De botten zijn:", "De heupkop."]
    assert find_quote("De botten zijn: […] De heupkop.", text)
    assert not find_quote("De heupkop. […] De botten zijn:", text)


def test_changed_words_are_not_found() -> None:
    text = "Botnecrose komt het meest voor bij mensen tussen de 20 en 50 jaar."
    assert not find_quote("Botnecrose komt het meest voor bij mensen tussen de 20 en 60 jaar.", text)
    assert not find_quote(" […] ", text)
