"""Competency questions from the two texts, in Dutch and English, answered by SPARQL over the built graph.

The questions live as named query files in kg/queries/competency/ (each opens with the question in
both languages and the columns a person sees, with their headings in both); a query that filters labels or
texts by language takes the language as ``?_lang``, bound as ``kg.queries.bind`` binds every parameter. The
expected answers are what the texts say.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib.plugins.sparql import prepareQuery

from kg import queries
from kg.service.values import LANGUAGES, is_ask, question_of
from kg.vocab import shorten

QUERIES = Path(__file__).resolve().parents[2] / "kg" / "queries" / "competency"


def ask(built, name: str, lang: str = "en"):
    """The question ``name`` answered over the built graph in ``lang`` (its ``?_lang`` bound, when it has one)."""
    query = f"competency/{name}"
    terms = {"lang": queries.literal(lang)} if "lang" in queries.parameters(query) else {}
    return built.graph.query(queries.bind(query, **terms))


def ids(result, column: int = 0) -> set[str]:
    return {shorten(str(row[column])) for row in result}


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.stem)
def test_every_question_parses_and_states_itself_in_both_languages(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    prepareQuery(text)
    assert "# question-en: " in text and "# question-nl: " in text
    assert queries.parameters(f"competency/{path.stem}") <= {"lang"}  # a language is the only parameter


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.stem)
def test_every_question_names_its_shown_columns_in_both_languages(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    question = question_of(path.stem, text)
    if is_ask(text):  # a yes or no: no columns to show
        assert question.columns == {}
        return
    assert sorted(question.columns) == sorted(LANGUAGES)
    projected = prepareQuery(text).algebra["PV"]
    for lang in LANGUAGES:
        assert question.columns[lang] and all(heading for _, heading in question.columns[lang])
        assert {var for var, _ in question.columns[lang]} <= {str(v) for v in projected}, lang
    # the same values in both languages, but for the translation of a quote, which only English readers need
    english = [var for var, _ in question.columns["en"] if var != "translation"]
    assert english == [var for var, _ in question.columns["nl"]]


def test_a_label_filter_answers_in_either_language(built) -> None:
    assert {str(r[1]) for r in ask(built, "how-is-osteoporosis-diagnosed", "en")} == {"dual-energy X-ray absorptiometry"}
    english = {shorten(str(r[0])): str(r[1]) for r in ask(built, "causes-of-osteonecrosis", "en")}
    dutch = {shorten(str(r[0])): str(r[1]) for r in ask(built, "causes-of-osteonecrosis", "nl")}
    assert english.keys() == dutch.keys() and english["OSTEOKG:0002001"] == "prednisone" and dutch["OSTEOKG:0002001"] == "prednison"


def test_welke_botten_worden_het_meest_aangetast(built) -> None:
    sites = ids(ask(built, "bones-affected-by-osteonecrosis"))
    named = {"OSTEOKG:0001002", "OSTEOKG:0001003", "OSTEOKG:0001004", "OSTEOKG:0001005",  # femur, femoral head, jaw, knee
             "OSTEOKG:0001006", "OSTEOKG:0001009", "OSTEOKG:0001011"}  # humeral head, small bones of wrist and foot
    assert sites == named  # what the source lists as most affected, and nothing it does not


def test_which_osteoporosis_treatment_can_itself_cause_osteonecrosis(built) -> None:
    # the medication the texts name, and what inherits both edges from it as "can": the intravenous bisphosphonates;
    # not bisphosphonate nor its member substances (OSTEOKG:0005014-0005020), which no source calls osteoporosis
    # medication
    assert ids(ask(built, "osteoporosis-treatment-causing-osteonecrosis")) == {"OSTEOKG:0005002", "OSTEOKG:0005003"}


def test_wat_kan_botnecrose_veroorzaken(built) -> None:
    causes = ids(ask(built, "causes-of-osteonecrosis"))
    assert {"OSTEOKG:0002000", "OSTEOKG:0000011", "OSTEOKG:0000102", "OSTEOKG:0002001", "OSTEOKG:0005002",
            "OSTEOKG:0005003"} <= causes  # blood supply, fractures, hip fracture, prednisone, the drugs
    assert "OSTEOKG:0000100" not in causes  # the texts never say osteoporosis itself causes osteonecrosis


def test_which_osteoporosis_treatment_carries_a_jaw_risk(built) -> None:
    rows = list(ask(built, "jaw-risk-of-osteoporosis-treatment"))
    # the intravenous bisphosphonates (the CBG notice's title): a raised risk, not a stated side effect
    assert {(shorten(str(r[0])), shorten(str(r[2]))) for r in rows} == {("OSTEOKG:0005003", "OSTEOKG:0000108")}


def test_what_follows_a_hip_fracture(built) -> None:
    consequences = ids(ask(built, "what-follows-a-hip-fracture"))
    assert {"OSTEOKG:0003020", "OSTEOKG:0003021", "OSTEOKG:0003022", "OSTEOKG:0003023",
            "OSTEOKG:0000106", "OSTEOKG:0000107"} <= consequences
    assert "OSTEOKG:0000105" not in consequences  # the cascade follows a missed diagnosis, not every fracture


def test_hoe_wordt_osteoporose_opgespoord(built) -> None:
    assert [str(r[1]) for r in ask(built, "how-is-osteoporosis-diagnosed", "nl")] == ["dubbele energie X-stralen absorptiemeting"]


def test_what_each_examination_finds(built) -> None:
    found = {(str(r[0]), str(r[1])) for r in ask(built, "what-do-examinations-find")}
    assert ("MRI scan", "early bone changes") in found
    assert ("dual-energy X-ray absorptiometry", "osteoporosis") in found
    assert ("dual-energy X-ray absorptiometry", "low bone mineral density") not in found  # no quote says so
    assert ("vertebral fracture assessment", "unrecognised vertebral fracture") in found
    assert {("X-ray", "osteonecrosis"), ("bone scan", "osteonecrosis"), ("bone biopsy", "osteonecrosis")} <= found


def test_hoe_verloopt_de_pijn_bij_botnecrose(built) -> None:
    rows = {(str(r[1]), str(r[3])) for r in ask(built, "course-of-osteonecrosis-pain", "nl")}
    assert rows == {("pijn bij activiteit en belasting", "pijn in rust")}


def test_treatments_of_osteonecrosis_with_and_without_operation(built) -> None:
    rows = {(shorten(str(r[0])), shorten(str(r[2]))) for r in ask(built, "treatments-of-osteonecrosis")}
    non_operative = {t for t, kind in rows if kind == "OSTEOKG:0000065"}
    operative = {t for t, kind in rows if kind == "OSTEOKG:0000064"}
    assert non_operative == {"OSTEOKG:0005005", "OSTEOKG:0005006", "OSTEOKG:0005007"}
    assert operative >= {"OSTEOKG:0005008", "OSTEOKG:0005009", "OSTEOKG:0005010", "OSTEOKG:0005011",
                         "OSTEOKG:0005012", "OSTEOKG:0005013"}


def test_wanneer_wordt_osteoporosemedicatie_terugbetaald(built) -> None:
    assert ids(ask(built, "reimbursement-of-osteoporosis-medication")) == {
        "OSTEOKG:0000102", "OSTEOKG:0000103", "OSTEOKG:0003008"}


def test_next_fracture_risk_up_to_five_then_twice(built) -> None:
    rows = {str(r[3]): (r[1] and r[1].toPython(), r[2] and r[2].toPython()) for r in ask(built, "next-fracture-risk")}
    assert rows == {"P1Y": (None, Decimal(5)), "P10Y": (Decimal(2), None)}


def test_one_in_three_women_one_in_five_men(built) -> None:
    rows = {str(r[0]): (int(r[1]), r[2].toPython()) for r in ask(built, "lifetime-fracture-risk-by-sex")}
    assert rows == {"female": (50, Decimal("0.3333")), "male": (50, Decimal("0.2"))}


def test_the_source_says_it_verbatim(built) -> None:
    rows = list(ask(built, "evidence-for-an-edge"))
    assert len(rows) == 1
    assert "prednison" in str(rows[0][0]) and str(rows[0][1]) == "Botnecrose"


def test_lay_word_finds_the_term(built) -> None:
    assert ids(ask(built, "find-term-by-lay-word")) == {"OSTEOKG:0000100"}


def test_a_disorder_of_the_femoral_head_is_a_disorder_of_the_femur(built) -> None:
    assert [str(r[0]) for r in ask(built, "femoral-head-is-part-of-femur")] == ["part-of"]
    from kg.vocab import OSTEOKG
    assert (OSTEOKG["0000107"], __import__("rdflib").RDFS.subClassOf, OSTEOKG["0000109"]) in built.graph  # HermiT


def test_fracture_liaison_service_prevents_and_doubles(built) -> None:
    rows = list(ask(built, "fracture-liaison-service"))
    # "botbreuken en fragiliteitsbreuken na een eerdere botbreuk te voorkomen"
    assert {shorten(str(r[0])) for r in rows} == {"OSTEOKG:0000101", "OSTEOKG:0000011"}
    assert {r[1].toPython() for r in rows} == {Decimal(2)}


def test_two_in_three_vertebral_fractures_unnoticed_and_found_by_vfa(built) -> None:
    rows = list(ask(built, "unnoticed-vertebral-fractures"))
    assert {r[0].toPython() for r in rows} == {Decimal("0.6667")}
    assert {shorten(str(r[1])) for r in rows} == {"OSTEOKG:0004001"}
    assert "OSTEOKG:0001014" in {shorten(str(r[2])) for r in rows}  # in the vertebral column, by part-of


def test_osteonecrosis_most_common_between_20_and_50(built) -> None:
    assert [(r[0].toPython(), r[1].toPython(), str(r[2])) for r in ask(built, "age-of-osteonecrosis")] == [
        (Decimal(20), Decimal(50), "a")]


def test_more_admissions_than_diabetes_heart_attacks_breast_cancer(built) -> None:
    assert [str(r[1]) for r in ask(built, "hospital-admissions-compared", "nl")] == ["borstkanker", "diabetes", "hartaanval"]


def test_what_leads_to_a_fracture_cascade(built) -> None:
    # the missed diagnosis (often), and a first fracture (by definition: a succession of fractures after it)
    assert ids(ask(built, "fracture-cascade")) == {"OSTEOKG:0002002", "OSTEOKG:0000011"}


def test_welke_klachten_geeft_een_wervelfractuur(built) -> None:
    # back pain, breathing problems, reduced appetite (complaints), and the slow collapse (a course, not a complaint)
    assert ids(ask(built, "symptoms-of-vertebral-fracture")) == {
        "OSTEOKG:0003004", "OSTEOKG:0003005", "OSTEOKG:0003006", "OSTEOKG:0003007"}


def test_hip_fracture_can_lead_to_femoral_head_osteonecrosis(built) -> None:
    assert ask(built, "hip-fracture-and-femoral-head-osteonecrosis").askAnswer is True


def test_welke_botten_kan_botnecrose_treffen(built) -> None:
    """Every site osteonecrosis can be in, with how firmly the text says so: always in bone and bone tissue
    ("het afsterven van botweefsel", "in een enkel bot of in meerdere botten"), most often in the bones it lists
    ("De botten die het meest worden aangetast"), and only can in what those are part of (the build's part-of)."""
    rows = {shorten(str(r[0])): (shorten(str(r[1])), r[2].toPython()) for r in ask(built, "bones-osteonecrosis-can-affect")}
    always, most, can = ("okg:defining", False), ("okg:most", False), ("okg:can", True)
    assert rows == {
        "OSTEOKG:0001000": always, "OSTEOKG:0001001": always,  # bone, bone tissue
        "OSTEOKG:0001002": most, "OSTEOKG:0001003": most, "OSTEOKG:0001004": most,  # femur, femoral head, jaw
        "OSTEOKG:0001005": most, "OSTEOKG:0001006": most,  # knees, humeral head
        "OSTEOKG:0001009": most, "OSTEOKG:0001011": most,  # the small bones of the wrist and of the foot
        "OSTEOKG:0001007": can, "OSTEOKG:0001008": can, "OSTEOKG:0001010": can,  # humerus, wrist, foot (part-of)
    }
    dutch = [(str(r[3]), str(r[4])) for r in ask(built, "bones-osteonecrosis-can-affect", "nl")]
    assert dutch[0][1] == "altijd" and ("kaak", "het vaakst") in dutch and dutch[-1][1] == "kan"  # strongest first
    assert len(dutch) == len(rows)
