from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from kg.compose import SourceError, compose
from kg.tables import TableError
from kg.vocab import DEFINITION, OKG, OSTEOKG


def append(path: Path, line: str) -> int:
    """Append a data row; return its line number."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + line + "\n", encoding="utf-8")
    return len(text.splitlines()) + 1


def term_row(id_: str, en: str, nl: str, parents: str, columns: int = 11) -> str:
    cells = [id_, en, nl, f"Definition of {en}.", f"Definitie van {nl}.", parents]
    return "\t".join(cells + [""] * (columns - len(cells)))


RELATION_COLUMNS = ("subject", "relation", "object", "strength", "evidence kind", "condition", "condition (en)",
                    "condition (nl)", "context", "in combination with", "quantified by", "source", "quote",
                    "review status", "review note")


def relation_row(subject: str, relation: str, obj: str, source: str, quote: str, strength: str = "defining",
                 **qualifiers: str) -> str:
    """A row of ontology/relations.tsv; ``qualifiers`` by header name, spaces as underscores."""
    cells = dict.fromkeys(RELATION_COLUMNS, "")
    cells.update(subject=subject, relation=relation, object=obj, source=source, quote=quote, strength=strength)
    cells.update({key.replace("_", " "): value for key, value in qualifiers.items()})
    return "\t".join(cells[c] for c in RELATION_COLUMNS)


def test_real_sources_compose(built) -> None:
    graph = built.graph
    osteoporosis = OSTEOKG["0000100"]
    assert (osteoporosis, RDF.type, OWL.Class) in graph
    assert Literal("botontkalking", lang="nl") in set(graph.objects(osteoporosis, None))
    assert {o.language for o in graph.objects(osteoporosis, DEFINITION)} == {"en", "nl"}
    assert built.locations[str(osteoporosis)].endswith("terms/disorders.tsv:4")


def test_a_new_term_and_relation_row_are_built(ontology_copy: Path) -> None:
    append(ontology_copy / "terms" / "disorders.tsv", term_row("OSTEOKG:0000150", "bone cyst", "botcyste", "disorder"))
    append(ontology_copy / "relations.tsv", relation_row(
        "bone cyst", "has location", "bone", "OSTEOKG:0008002", "Het kan ontstaan in een enkel bot of in meerdere botten"))
    graph = compose(ontology_copy).graph
    cyst = OSTEOKG["0000150"]
    assert (cyst, RDFS.subClassOf, OSTEOKG["0000010"]) in graph
    restrictions = [r for r in graph.objects(cyst, RDFS.subClassOf) if (r, RDF.type, OWL.Restriction) in graph]
    assert [(graph.value(r, OWL.onProperty), graph.value(r, OWL.someValuesFrom)) for r in restrictions] == [
        (OSTEOKG["0009003"], OSTEOKG["0001000"])]
    axiom = graph.value(predicate=OWL.annotatedTarget, object=restrictions[0])
    assert str(graph.value(axiom, OKG.quote)).startswith("Het kan ontstaan")


def test_unknown_reference_names_table_line_and_column(ontology_copy: Path) -> None:
    line = append(ontology_copy / "relations.tsv", relation_row(
        "osteoporsis", "treats", "bone", "OSTEOKG:0008001", "a quote of the text"))
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.path.endswith("relations.tsv") and caught.value.line == line
    assert caught.value.column == "subject" and "osteoporsis" in caught.value.message


def test_relation_must_be_an_object_property(ontology_copy: Path) -> None:
    append(ontology_copy / "relations.tsv", relation_row(
        "osteoporosis", "femur", "bone", "OSTEOKG:0008001", "a quote of the text"))
    with pytest.raises(TableError, match="is not a relation"):
        compose(ontology_copy)


def test_source_must_be_a_bibliographic_resource(ontology_copy: Path) -> None:
    append(ontology_copy / "relations.tsv", relation_row(
        "osteoporosis", "has location", "bone", "femur", "a quote of the text"))
    with pytest.raises(TableError, match="is not a source"):
        compose(ontology_copy)


def test_id_outside_the_tables_range(ontology_copy: Path) -> None:
    append(ontology_copy / "terms" / "anatomy.tsv", term_row("OSTEOKG:0000150", "rib", "rib", "bone"))
    with pytest.raises(TableError, match="outside this table's range"):
        compose(ontology_copy)


def test_duplicate_label_and_duplicate_id(ontology_copy: Path) -> None:
    append(ontology_copy / "terms" / "disorders.tsv", term_row("OSTEOKG:0000150", "osteoporosis", "x", "disorder"))
    with pytest.raises(TableError, match="already used"):
        compose(ontology_copy)


def test_statement_value_must_be_a_number(ontology_copy: Path) -> None:
    path = ontology_copy / "statements.tsv"
    text = path.read_text(encoding="utf-8").replace("\t0.3333\t", "\tone third\t", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TableError, match="'one third' is not a number") as caught:
        compose(ontology_copy)
    assert caught.value.column == "value"


def test_turtle_syntax_error_names_file_and_line(ontology_copy: Path) -> None:
    path = ontology_copy / "osteokg-schema.ttl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[40] = lines[40] + " this is not turtle ;;"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        compose(ontology_copy)
    assert "osteokg-schema.ttl, line 41" in str(caught.value)


def test_decimals_are_canonical(built) -> None:
    values = {str(v) for v in built.graph.objects(None, OKG.maxValue)}
    assert "65.0" in values and all(v.datatype == XSD.decimal for v in built.graph.objects(None, OKG.maxValue))


def test_only_a_defining_row_becomes_an_existential(ontology_copy: Path) -> None:
    append(ontology_copy / "relations.tsv", relation_row(
        "hip fracture", "causes", "bone loss", "OSTEOKG:0008001", "a quote of the text", "can",
        context="osteoporosis", in_combination_with="fall|prednisone"))
    append(ontology_copy / "quote-translations.tsv", "a quote of the text\tthe text's words in English")
    graph = compose(ontology_copy).graph
    hip, causes, loss = OSTEOKG["0000102"], OSTEOKG["0009005"], OSTEOKG["0002004"]
    assert (hip, causes, loss) in graph  # the direct edge: "some hip fractures cause bone loss"
    assert not [r for r in graph.objects(hip, RDFS.subClassOf)
                if graph.value(r, OWL.onProperty) == causes and graph.value(r, OWL.someValuesFrom) == loss]
    [axiom] = [a for a in graph.subjects(OWL.annotatedTarget, loss) if graph.value(a, OWL.annotatedSource) == hip]
    assert graph.value(axiom, OKG.strength) == OKG.can and graph.value(axiom, OKG.evidenceKind) == OKG.quoted
    assert graph.value(axiom, OKG.inferred) == Literal(False) and str(graph.value(axiom, OKG.reviewStatus)) == "unreviewed"
    assert set(graph.objects(axiom, OKG.inCombinationWith)) == {OSTEOKG["0002003"], OSTEOKG["0002001"]}
    assert graph.value(axiom, OKG.context) == OSTEOKG["0000100"]


@pytest.mark.parametrize("qualifiers, column, message", [
    ({"strength": "sometimes"}, "strength", "'sometimes' is not a strength; use the source's own wording: one of defining, main"),
    ({"strength": "proportion"}, "quantified by", "needs the statement with the number"),
    ({"quantified_by": "OSTEOKG:0007500"}, "quantified by", "is not a quantitative statement"),
    ({"evidence_kind": "hearsay"}, "evidence kind", "'hearsay' is not an evidence kind"),
    ({"evidence_kind": "combined-reading"}, "quote", "joined by ' […] '"),
    ({"condition": "loss of the joint"}, "condition (en)", "needs its words in en and nl"),
    ({"condition_(en)": "if lost"}, "condition (nl)", "both en and nl"),
    ({"review_status": "maybe"}, "review status", "'maybe' is not a review status"),
    ({"context": "osteoporsis"}, "context", "unknown term"),
])
def test_a_bad_qualifier_names_its_column(ontology_copy: Path, qualifiers: dict, column: str, message: str) -> None:
    strength = qualifiers.pop("strength", "can")
    line = append(ontology_copy / "relations.tsv", relation_row(
        "hip fracture", "causes", "bone loss", "OSTEOKG:0008001", "a quote of the text", strength,
        **{k.replace("_(en)", " (en)"): v for k, v in qualifiers.items()}))
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.line == line and caught.value.column == column
    assert message in caught.value.message


def test_synonyms_are_typed_rows(ontology_copy: Path) -> None:
    line = append(ontology_copy / "synonyms.tsv", "\t".join(["osteoporosis", "porous bones", "en", "similar", "lay", "", ""]))
    with pytest.raises(TableError, match="'similar' is not a synonym scope") as caught:
        compose(ontology_copy)
    assert caught.value.line == line and caught.value.column == "scope"


def test_a_synonym_column_in_a_term_table_says_where_synonyms_live(ontology_copy: Path) -> None:
    path = ontology_copy / "terms" / "care.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += "\texact synonyms (en)"
    lines[2] += "\tA oboInOwl:hasExactSynonym@en SPLIT=|"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TableError, match="synonyms live in ontology/synonyms.tsv"):
        compose(ontology_copy)


def test_an_iri_with_a_space_names_the_schema_file_and_line(ontology_copy: Path) -> None:
    path = ontology_copy / "osteokg-schema.ttl"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n<https://example.org/a b> a owl:Class .\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        compose(ontology_copy)
    line = len(text.splitlines()) + 2
    assert f"osteokg-schema.ttl, line {line}: the IRI <https://example.org/a b> contains ' '" in str(caught.value)


def test_a_cross_reference_with_a_space_names_its_row(ontology_copy: Path) -> None:
    line = append(ontology_copy / "terms" / "disorders.tsv",
                  term_row("OSTEOKG:0000150", "bone cyst", "botcyste", "disorder").replace("\t\t\t\t\t", "\tMESH:D0 1\t\t\t\t", 1))
    with pytest.raises(TableError, match="'MESH:D0 1' contains ' '") as caught:
        compose(ontology_copy)
    assert caught.value.line == line and caught.value.column == "exact matches"


def test_a_duplicated_relation_row_is_refused_with_both_lines(ontology_copy: Path) -> None:
    path = ontology_copy / "relations.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(number for number, line in enumerate(lines, start=1) if line.startswith("osteoporosis\tcauses\tfracture\t"))
    line = append(path, lines[first - 1])
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.path.endswith("relations.tsv") and caught.value.line == line
    assert f"repeats line {first} exactly" in caught.value.message


# ---------------------------------------------------------------- the quotes' translations


def test_every_dutch_quote_gets_its_one_translation(built) -> None:
    graph = built.graph
    quoted = [(node, quote) for node, quote in graph.subject_objects(OKG.quote) if quote.language == "nl"]
    assert quoted
    for node, quote in quoted:  # asserted and inferred evidence, statements and notes alike
        translations = list(graph.objects(node, OKG.quoteTranslation))
        assert len(translations) == 1 and translations[0].language == "en", (node, quote)
    for node, quote in graph.subject_objects(OKG.quote):
        if quote.language != "nl":  # Uberon's English words and the definitions the build quotes need none
            assert not list(graph.objects(node, OKG.quoteTranslation)), quote
    # one place: the same quote reads the same in English wherever it is quoted
    english: dict[str, set[str]] = {}
    for node, quote in quoted:
        english.setdefault(str(quote), set()).update(str(t) for t in graph.objects(node, OKG.quoteTranslation))
    assert all(len(renderings) == 1 for renderings in english.values())


def test_a_translation_row_whose_quote_is_quoted_nowhere_fails_naming_the_row(ontology_copy: Path) -> None:
    line = append(ontology_copy / "quote-translations.tsv", "Een citaat dat niemand citeert.\tA quote nobody quotes.")
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.path.endswith("quote-translations.tsv") and caught.value.line == line
    assert caught.value.column == "quote (nl)" and "no row of relations.tsv, statements.tsv or notes.tsv quotes" in caught.value.message


def test_a_changed_quote_leaves_its_translation_unused(ontology_copy: Path) -> None:
    """A quote corrected in relations.tsv but not in quote-translations.tsv: the old row is named, not silently lost."""
    path = ontology_copy / "notes.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("Vaak is een operatie noodzakelijk.\t",
                                                             "Vaak is een operatie nodig.\t"), encoding="utf-8")
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.path.endswith("quote-translations.tsv") and caught.value.column == "quote (nl)"
    assert "quotes 'Vaak is een operatie noodzakelijk.'" in caught.value.message


def test_a_dutch_quote_without_translation_fails_naming_its_row(ontology_copy: Path) -> None:
    line = append(ontology_copy / "relations.tsv", relation_row(
        "hip fracture", "causes", "bone loss", "OSTEOKG:0008001", "een citaat zonder vertaling", "can"))
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.path.endswith("relations.tsv") and caught.value.line == line and caught.value.column == "quote"
    assert "has no English translation" in caught.value.message and "quote-translations.tsv" in caught.value.message


def test_a_quote_translated_twice_fails_naming_both_lines(ontology_copy: Path) -> None:
    path = ontology_copy / "quote-translations.tsv"
    first = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if text.startswith("Vaak is een operatie noodzakelijk.\t"))
    line = append(path, "Vaak is een operatie noodzakelijk.\tAn operation is often needed.")
    with pytest.raises(TableError) as caught:
        compose(ontology_copy)
    assert caught.value.line == line and f"translated twice: here and on line {first}" in caught.value.message


def test_a_cited_parent_carries_its_source_and_quote(ontology_copy: Path) -> None:
    append(ontology_copy / "terms" / "treatments.tsv",
           term_row("OSTEOKG:0005900", "clodronic acid", "clodroninezuur", "bisphosphonate"))
    append(ontology_copy / "subclass-evidence.tsv", "clodronic acid\tbisphosphonate\tOSTEOKG:0008006\t"
           "clodronic acid (CHEBI:110423) is_a 1,1-bis(phosphonic acid) (CHEBI:77383)")
    graph = compose(ontology_copy).graph
    member, parent = OSTEOKG["0005900"], OSTEOKG["0005014"]
    [axiom] = [a for a in graph.subjects(OWL.annotatedSource, member) if graph.value(a, OWL.annotatedTarget) == parent]
    assert graph.value(axiom, OWL.annotatedProperty) == RDFS.subClassOf and (axiom, RDF.type, OWL.Axiom) in graph
    assert graph.value(axiom, DCTERMS.source) == OSTEOKG["0008006"]
    assert graph.value(axiom, OKG.quote) == Literal(
        "clodronic acid (CHEBI:110423) is_a 1,1-bis(phosphonic acid) (CHEBI:77383)", lang="en")  # ChEBI is English


def test_a_cited_parent_the_term_does_not_have_names_its_row(ontology_copy: Path) -> None:
    line = append(ontology_copy / "subclass-evidence.tsv", "prednisolone\tbisphosphonate\tOSTEOKG:0008006\t"
                  "prednisolone (CHEBI:8378) is_a 1,1-bis(phosphonic acid) (CHEBI:77383)")
    with pytest.raises(TableError, match="is not a parent of prednisolone") as caught:
        compose(ontology_copy)
    assert caught.value.line == line and caught.value.column == "parent"
    assert str(caught.value.path).endswith("subclass-evidence.tsv")
