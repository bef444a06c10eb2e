"""The English renderings of the quotes (ontology/quote-translations.tsv): one per distinct Dutch quote, every row
used, and each saying what its quote says — its numbers, its omissions and its hedges ("kan", "vaak", "meestal")."""
from __future__ import annotations

import re

import pytest

from kg.build import ONTOLOGY_DIR
from kg.tables import (
    NOTES,
    QUOTE,
    QUOTE_TRANSLATION,
    QUOTE_TRANSLATIONS,
    RELATIONS,
    STATEMENTS,
    read_table,
)
from kg.vocab import OKG

ROWS = read_table(ONTOLOGY_DIR / "quote-translations.tsv", QUOTE_TRANSLATIONS)
TRANSLATIONS = {row.get(QUOTE): row.get(QUOTE_TRANSLATION) for row in ROWS}
#: Dutch words that say how firmly or how often, and what their rendering must say
HEDGES = {r"\bkan\b|\bkunnen\b|\bkunt\b": r"\bcan\b", r"\bvaak\b": r"\boften\b", r"\bmeestal\b": r"\busually\b",
          r"(?<![\w-])(niet|geen)(?![\w-])": r"\bnot\b|\bno\b|\bwithout\b|\bunable\b"}  # not "niet-operatief"


def test_one_row_per_quote_and_every_dutch_quote_of_the_tables_translated() -> None:
    assert len(ROWS) == len(TRANSLATIONS) == 74
    quoted = set()
    for name, kind, directive in (("relations.tsv", RELATIONS, ">A okg:quote"), ("statements.tsv", STATEMENTS, "A okg:quote"),
                                  ("notes.tsv", NOTES, "A okg:quote")):
        source = ">A dcterms:source" if name == "relations.tsv" else "A dcterms:source"
        quoted |= {row.get(directive) for row in read_table(ONTOLOGY_DIR / name, kind) if row.get(source) != "OSTEOKG:0008005"}
    assert quoted == set(TRANSLATIONS)  # Uberon (OSTEOKG:0008005) is quoted in English: nothing to translate


def test_the_built_graph_has_each_translation_where_its_quote_is(built) -> None:
    graph = built.graph
    used = {str(quote) for node, quote in graph.subject_objects(OKG.quote)
            if quote.language == "nl" and str(graph.value(node, OKG.quoteTranslation)) == TRANSLATIONS.get(str(quote))}
    assert used == set(TRANSLATIONS)  # no row unused, none attached to the wrong quote


@pytest.mark.parametrize("quote", sorted(TRANSLATIONS), ids=lambda q: q[:40])
def test_a_translation_says_what_its_quote_says(quote: str) -> None:
    english = TRANSLATIONS[quote]
    assert english != quote and english.strip() == english
    assert re.findall(r"\d+", english) == re.findall(r"\d+", quote)  # the same numbers, in the same order
    assert english.count("[…]") == quote.count("[…]") and english.count("…") == quote.count("…")  # the same omissions
    assert english[-1:] in ".:" if quote[-1:] in ".:" else english[-1:] not in "."  # a fragment stays a fragment
    for dutch, rendering in HEDGES.items():
        if re.search(dutch, quote, re.IGNORECASE):
            assert re.search(rendering, english, re.IGNORECASE), (dutch, english)
