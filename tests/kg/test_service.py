"""The service layer called directly: CURIEs and plain values in, plain data out, over the real graph."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from kg.search import TYPES, tier
from kg.service import BadValue, NotFound, Page, Relation, Release, Service, Statement
from kg.service.values import FIELD_ORDER
from kg.vocab import shorten
from tests.kg.conftest import write_release_folder

OSTEONECROSIS = "OSTEOKG:0000106"


@pytest.fixture(scope="module")
def release_dir(built, tmp_path_factory) -> Path:
    """The real graph (the session's in-memory build) written as a build folder would hold it."""
    return write_release_folder(built, tmp_path_factory.mktemp("release"), version_iri="https://w3id.org/osteokg/test",
                                graph_sha256="ab" * 32)


@pytest.fixture(scope="module")
def service(release_dir: Path) -> Service:
    return Service.open(release_dir)


def ids(page: Page) -> list[str]:
    return [item["id"] for item in page.items]


def test_the_release_is_complete_before_the_first_call(release_dir: Path) -> None:
    release = Service.open(release_dir).release  # fresh: nothing has been asked yet
    assert isinstance(release, Release) and release.triples > 9000
    assert release.id == release.etag == "ab" * 8  # a folder built before releases: its graph hash names it
    assert len(release.relations) == 26 and all(isinstance(r, Relation) for r in release.relations.values())
    assert len(release.statements) == 36 and all(isinstance(s, Statement) for s in release.statements.values())
    assert release.strength_orders["okg:defining"] == 1 and release.strength_orders["okg:can"] == 7
    assert len(release.categories) == 21 and len(release.entries) > 80 and release.by_code
    assert list(release.entries) == sorted(release.entries, key=shorten)  # search walks them in CURIE order
    with pytest.raises(dataclasses.FrozenInstanceError):
        release.relations = {}  # type: ignore[misc]
    before = {name: id(value) for name, value in vars(release).items()}
    service = Service(release)
    service.entity(OSTEONECROSIS), service.relation_list(), service.statements(kind="any"), service.search("bot")
    assert {name: id(value) for name, value in vars(release).items()} == before  # nothing filled in lazily


def test_the_service_never_imports_flask() -> None:
    code = "import sys, kg.service; assert 'flask' not in sys.modules and 'api' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_resolve_an_id_a_code_and_what_is_not_there(service: Service) -> None:
    entity = service.resolve(OSTEONECROSIS)
    assert (entity.kind, entity.id, entity.iri) == ("entity", OSTEONECROSIS, "https://w3id.org/osteokg/OSTEOKG_0000106")
    assert service.resolve(iri="https://w3id.org/osteokg/OSTEOKG_0000106") == entity
    femur = service.resolve("UBERON:0000981")
    assert (femur.kind, femur.target) == ("code", "OSTEOKG:0001002")
    broad = next(code for code, mapped in service.release.by_code.items()
                 if any(match == "broadMatch" for _, match in mapped))
    assert service.resolve(iri=broad).target is None  # imprecise: listed by xrefs, never taken for one entity
    with pytest.raises(NotFound, match="no entity OSTEOKG:9999999"):
        service.resolve("OSTEOKG:9999999")
    with pytest.raises(NotFound, match="unknown prefix 'NOPE'") as unknown:
        service.resolve("NOPE:0000000")
    assert unknown.value.id == "NOPE:0000000"
    with pytest.raises(BadValue, match="not a CURIE") as malformed:
        service.resolve("not-a-curie")
    assert malformed.value.parameter == "id"
    with pytest.raises(BadValue, match="seven digits"):
        service.resolve("OSTEOKG:12")
    with pytest.raises(BadValue, match="not a valid absolute IRI"):
        service.resolve(iri="not an iri")


def test_entity_with_labels_definitions_synonyms_codes_and_parents(service: Service) -> None:
    nl = service.entity(OSTEONECROSIS, "nl")
    assert nl["label"] == "botnecrose" and nl["labels"]["en"] == "osteonecrosis"
    assert nl["definition"] and nl["definitions"]["en"].startswith("Death of bone tissue")
    assert "osteonecrose" in {s["text"] for s in nl["synonyms"]} and {s["lang"] for s in nl["synonyms"]} == {"nl"}
    assert [c["id"] for c in nl["categories"]] == ["OSTEOKG:0000010"]
    assert nl["parents"] == [{"id": "OSTEOKG:0000010", "iri": "https://w3id.org/osteokg/OSTEOKG_0000010",
                              "label": "aandoening", "inferred": False}]
    assert nl["xrefs"] and all(set(x) == {"id", "iri", "match", "label"} for x in nl["xrefs"])
    assert nl["relations"] and "links" not in nl  # links are HTTP's business
    assert service.entity("UBERON:0000981")["id"] == "OSTEOKG:0001002"  # a precise code names its entity


def test_entity_page_and_triples(service: Service) -> None:
    page = service.entity_page(OSTEONECROSIS, "en")
    assert page.entity["id"] == OSTEONECROSIS and page.version == "https://w3id.org/osteokg/test"
    assert page.outgoing and all(edge["direction"] == "out" for edge in page.outgoing)
    assert page.incoming and not any(edge["inferred"] for edge in page.incoming)
    hip = service.entity_page("OSTEOKG:0000102", "nl")
    assert "OSTEOKG:0007008" in {s["id"] for s in hip.statements}
    rows = service.entity_triples(OSTEONECROSIS)
    assert {row["s"].value for row in rows} >= {"https://w3id.org/osteokg/OSTEOKG_0000106"}


def test_relations_with_filters_and_every_evidence_qualifier(service: Service) -> None:
    causes = service.relations(OSTEONECROSIS, "en", direction="out", predicate="OSTEOKG:0009006")
    prednisone = next(edge for edge in causes.items if edge["object"]["id"] == "OSTEOKG:0002001")
    assert prednisone["inferred"] is True and prednisone["predicate"]["labels"] == {"en": "caused by", "nl": "veroorzaakt door"}
    evidence = prednisone["evidence"][0]
    assert "prednison" in evidence["quote"] and evidence["source"]["id"] == "OSTEOKG:0008002"
    assert {"strength", "evidence_kind", "review_status", "context", "in_combination_with", "quantified_by"} <= set(evidence)
    assert evidence["rule"] and evidence["premise"]["predicate"]["id"]
    every = service.relations(OSTEONECROSIS)
    asserted = service.relations(OSTEONECROSIS, inferred=False)
    assert asserted.total and not any(edge["inferred"] for edge in asserted.items) and asserted.total < every.total
    can = service.relations(OSTEONECROSIS, strength="can")
    assert can.total == sum(edge["strength"]["id"] == "okg:can" for edge in every.items if edge["strength"])
    assert service.relations(OSTEONECROSIS, limit=3, offset=2).items == every.items[2:5]
    with pytest.raises(BadValue, match="not a relation") as error:
        service.relations(OSTEONECROSIS, predicate="OSTEOKG:0000010")
    assert error.value.parameter == "predicate"
    with pytest.raises(BadValue, match="strength"):
        service.relations(OSTEONECROSIS, strength="sometimes")
    with pytest.raises(BadValue, match="direction"):
        service.relations(OSTEONECROSIS, direction="sideways")


def test_hierarchy_walks(service: Service) -> None:
    assert "OSTEOKG:0000107" in ids(service.children(OSTEONECROSIS)) and service.children(OSTEONECROSIS).total == 7
    parents = service.parents("OSTEOKG:0000107").items
    assert {(p["id"], p["inferred"]) for p in parents} == {("OSTEOKG:0000106", False), ("OSTEOKG:0000109", True)}
    assert {"OSTEOKG:0000106", "OSTEOKG:0000109", "OSTEOKG:0000010"} <= set(ids(service.ancestors("OSTEOKG:0000107")))
    assert {"OSTEOKG:0000102", "OSTEOKG:0000114"} <= set(ids(service.descendants("OSTEOKG:0000011")))
    assert "inferred" not in service.ancestors("OSTEOKG:0000107").items[0]
    with pytest.raises(BadValue, match="walk"):
        service.hierarchy(OSTEONECROSIS, "siblings")


def test_search_finds_and_ranks(service: Service) -> None:
    top = service.search("botontkalking", "nl").items[0]
    assert top["id"] == "OSTEOKG:0000100" and top["match"]["type"] == "exact"
    assert service.search("rontgenfoto").items[0]["id"] == "OSTEOKG:0004002"  # accent-insensitive
    types = [item["match"]["type"] for item in service.search("botnecrose", limit=None).items]
    assert types == sorted(types, key=TYPES.index) and {"exact", "prefix"} <= set(types)
    scans = service.search("scan", category="OSTEOKG:0000050").items
    assert scans and all("OSTEOKG:0000050" in item["categories"] for item in scans)
    with pytest.raises(BadValue, match="not a category"):
        service.search("scan", category=OSTEONECROSIS)
    with pytest.raises(BadValue, match="give the words"):
        service.search("   ")


@pytest.mark.parametrize("words", ["o", "e", "bot", "breuk"])
def test_search_order_is_total_and_stable_across_pages_and_backends(service: Service, release_dir: Path,
                                                                     words: str) -> None:
    full = service.search(words, "nl", limit=None)
    assert full.total > 10 and full == service.search(words, "nl", limit=None)  # the same twice
    assert len(set(ids(full))) == full.total  # one hit per entity
    pages = [item for offset in range(0, full.total, 7) for item in service.search(words, "nl", limit=7, offset=offset).items]
    assert pages == full.items
    keys = [(TYPES.index(i["match"]["type"]), tier(i["match"]["field"]), i["match"]["lang"] != "nl",
             len(i["match"]["text"]), FIELD_ORDER[i["match"]["field"]], i["match"]["lang"] or "", i["match"]["text"],
             len(i["iri"]), i["id"]) for i in full.items]
    assert keys == sorted(keys)  # a total order ending in the CURIE
    assert _rdflib_service(release_dir).search(words, "nl", limit=None) == full  # the same on another engine


_RDFLIB: dict[Path, Service] = {}


def _rdflib_service(release_dir: Path) -> Service:
    if release_dir not in _RDFLIB:
        _RDFLIB[release_dir] = Service.open(release_dir, "rdflib")
    return _RDFLIB[release_dir]


def test_categories_and_their_members(service: Service) -> None:
    categories = {item["id"]: item for item in service.categories().items}
    assert len(categories) == 21 and categories["OSTEOKG:0000050"]["members"] == 6
    members = service.category_members("OSTEOKG:0000020", limit=5)
    assert members.total == 17 and len(members.items) == 5 and members.envelope()["limit"] == 5
    with pytest.raises(NotFound, match="not a category"):
        service.category_members(OSTEONECROSIS)
    with pytest.raises(NotFound, match="unknown prefix"):
        service.category_members("FOO:1")


def test_statements_with_typed_values_and_evidence(service: Service) -> None:
    about = {item["id"]: item for item in service.statements("nl", about="OSTEOKG:0000102").items}
    death = about["OSTEOKG:0007008"]
    assert (death["min_value"], death["max_value"], death["unit"]) == (10.0, 30.0, "%")
    assert death["population_text"] == "patiënten na een heupfractuur" and death["statement_kind"] == "percentage-range"
    assert death["evidence"]["quote"].startswith("Tien tot 30 procent")
    assert service.statements(kind="note").total == 22 and service.statements(kind="any").total == 36
    with pytest.raises(BadValue, match="kind"):
        service.statements(kind="all")
    with pytest.raises(BadValue, match="unknown prefix") as error:
        service.statements(about="FOO:1")
    assert error.value.parameter == "about"


def test_relation_list(service: Service) -> None:
    items = {item["id"]: item for item in service.relation_list().items}
    assert len(items) == 26 and items["OSTEOKG:0009003"]["inverse"]["id"] == "OSTEOKG:0009004"
    assert {"id": "biolink:disease_has_location", "iri": "https://w3id.org/biolink/vocab/disease_has_location",
            "label": "disease has location", "match": "exactMatch"} in items["OSTEOKG:0009003"]["mappings"]  # its name
    assert {"id": "RO:0004026", "iri": "http://purl.obolibrary.org/obo/RO_0004026", "label": None,
            "match": "exactMatch"} in items["OSTEOKG:0009003"]["mappings"]  # no package here ships RO's labels
    assert (items["OSTEOKG:0009005"]["inherited_by_subclasses"], items["OSTEOKG:0009005"]["generalizes_object"]) == (True, True)


def test_xrefs_of_a_code(service: Service) -> None:
    (femur,) = service.xrefs("UBERON:0000981").items
    assert (femur["id"], femur["match"], femur["code"]) == ("OSTEOKG:0001002", "exactMatch", {
        "id": "UBERON:0000981", "iri": "http://purl.obolibrary.org/obo/UBERON_0000981", "label": "femur"})
    with pytest.raises(NotFound, match="no osteokg entity maps to UBERON:9999999"):
        service.xrefs("UBERON:9999999")
    with pytest.raises(NotFound, match="unknown prefix"):
        service.xrefs("FOO:1")


def test_competency_questions_listed_and_answered(service: Service) -> None:
    questions = {q.name: q for q in service.competency_questions()}
    assert len(questions) == len(list((Path(__file__).parents[2] / "kg" / "queries" / "competency").glob("*.rq")))
    causes = questions["causes-of-osteonecrosis"]
    assert (causes.en, causes.nl) == ("What can cause osteonecrosis?", "Wat kan botnecrose veroorzaken?")
    assert all(q.en and q.nl for q in questions.values())
    answer = service.competency("causes-of-osteonecrosis")
    assert answer.question == causes and answer.columns == ["cause", "label"]
    assert {"https://w3id.org/osteokg/OSTEOKG_0002001", "https://w3id.org/osteokg/OSTEOKG_0005003"} <= \
        {row["cause"].value for row in answer.rows}
    with pytest.raises(NotFound, match="no competency question"):
        service.competency("../qc/error-missing-label")


def test_competency_questions_carry_their_shown_columns(service: Service) -> None:
    question = service.questions["bones-osteonecrosis-can-affect"]
    assert (question.en, question.nl) == ("Which bones can osteonecrosis affect?", "Welke botten kan botnecrose treffen?")
    assert question.columns["en"][0] == ("site", "Bone or site") and question.columns["nl"][0] == ("site", "Bot of plaats")
    assert [var for var, _ in question.columns["en"]] == ["site", "strength", "inferred"]  # not the label columns
    assert question.text("nl") == question.nl and question.text("en") == question.en


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_competency_sparql_is_the_query_bound_for_a_language_and_runs_as_it_is(service: Service, lang: str) -> None:
    import json

    text = service.competency_sparql("causes-of-osteonecrosis", lang)
    assert "?_lang" not in text and f'lang(?label) = "{lang}"' in text
    assert text.startswith("# question-en: What can cause osteonecrosis?")  # the file, its header included
    answer = service.release.store.query(text)  # what /sparql runs
    labels = {b["cause"]["value"]: b["label"]["value"] for b in json.loads(answer.body)["results"]["bindings"]}
    assert labels["https://w3id.org/osteokg/OSTEOKG_0002001"] == {"en": "prednisone", "nl": "prednison"}[lang]
    assert service.competency_sparql("hip-fracture-and-femoral-head-osteonecrosis", lang).rstrip().endswith("}")  # no language
    with pytest.raises(NotFound, match="no competency question"):
        service.competency_sparql("nope", lang)


def test_competency_answers_in_either_language(service: Service) -> None:
    english, dutch = (service.competency("how-is-osteoporosis-diagnosed", lang) for lang in ("en", "nl"))
    assert [r["label"].value for r in english.rows] == ["dual-energy X-ray absorptiometry"]
    assert [r["label"].value for r in dutch.rows] == ["dubbele energie X-stralen absorptiemeting"]
    assert service.competency("how-is-osteoporosis-diagnosed").rows == english.rows  # English by default
    with pytest.raises(BadValue, match="lang"):
        service.competency("how-is-osteoporosis-diagnosed", "fr")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_competency_table_of_which_bones_osteonecrosis_can_affect(service: Service, lang: str) -> None:
    table = service.competency_table("bones-osteonecrosis-can-affect", lang)
    assert set(table) == {"name", "question", "columns", "rows", "boolean"} and table["boolean"] is None
    assert table["question"] == {"en": "Which bones can osteonecrosis affect?", "nl": "Welke botten kan botnecrose treffen?"}
    headings = {"en": ["Bone or site", "How firmly the source says it", "Derived by the build"],
                "nl": ["Bot of plaats", "Hoe stellig de bron het zegt", "Afgeleid door de build"]}[lang]
    assert table["columns"] == [{"var": v, "heading": h} for v, h in zip(["site", "strength", "inferred"], headings)]
    rows = {row[0]["id"]: row for row in table["rows"]}
    assert len(rows) == len(table["rows"]) == 12  # one row per site
    site, strength, inferred = rows["OSTEOKG:0001004"]  # the jaw
    assert site == {"kind": "entity", "id": "OSTEOKG:0001004", "iri": "https://w3id.org/osteokg/OSTEOKG_0001004",
                    "label": {"en": "jaw", "nl": "kaak"}[lang]}
    assert strength["kind"] == "entity" and strength["id"] == "okg:most"
    assert strength["label"] == {"en": "most often", "nl": "het vaakst"}[lang]
    assert inferred == {"kind": "boolean", "value": False}
    assert rows["OSTEOKG:0001010"][1]["id"] == "okg:can" and rows["OSTEOKG:0001010"][2]["value"] is True  # the foot
    assert [row[1]["id"] for row in table["rows"]][:2] == ["okg:defining", "okg:defining"]  # strongest first


def test_competency_table_cells_of_every_kind(service: Service) -> None:
    ask = service.competency_table("hip-fracture-and-femoral-head-osteonecrosis", "nl")
    assert (ask["boolean"], ask["columns"], ask["rows"]) == (True, [], [])
    ages = service.competency_table("age-of-osteonecrosis", "en")
    assert ages["rows"] == [[{"kind": "number", "value": 20.0}, {"kind": "number", "value": 50.0}]]  # not the unit "a"
    (english,) = service.competency_table("evidence-for-an-edge", "en")["rows"]
    quote, translation, title, publisher, url = english
    assert quote["kind"] == "text" and quote["lang"] == "nl" and "prednison" in quote["text"]
    assert translation["kind"] == "text" and translation["lang"] == "en" and "prednisone" in translation["text"]
    assert title == {"kind": "text", "text": "Botnecrose", "lang": "nl"} and url["kind"] == "link"
    assert publisher["kind"] == "text" and publisher["lang"] is None  # a text without a language
    (dutch,) = service.competency_table("evidence-for-an-edge", "nl")["rows"]
    assert len(dutch) == 4 and dutch[0] == quote  # no translation column for Dutch readers
    for question in service.competency_questions():  # every question answers in both languages
        for lang in ("en", "nl"):
            table = service.competency_table(question.name, lang)
            assert table["rows"] or table["boolean"] is not None, (question.name, lang)
            assert all(len(row) == len(table["columns"]) for row in table["rows"])
    with pytest.raises(NotFound, match="no competency question"):
        service.competency_table("../qc/error-missing-label", "en")


def test_evidence_carries_the_quotes_translation_for_english_readers(service: Service) -> None:
    for lang in ("en", "nl"):
        edges = service.relations(OSTEONECROSIS, lang, direction="both").items
        evidence = [ev for edge in edges for ev in edge["evidence"]]
        assert all("translation" in ev for ev in evidence)  # always there: predictable JSON
        dutch = [ev for ev in evidence if ev["quote_lang"] == "nl"]
        assert dutch and any(ev["inferred"] for ev in dutch)  # inferred evidence carries its premise's quote and rendering
        if lang == "nl":
            assert all(ev["translation"] is None for ev in evidence)  # a Dutch reader reads the Dutch itself
        else:
            assert all(ev["translation"]["lang"] == "en" and ev["translation"]["text"] for ev in dutch)
            assert all(ev["translation"] is None for ev in evidence if ev["quote_lang"] == "en")  # a definition's words
    (jaw,) = [e for e in service.relations(OSTEONECROSIS, "en", direction="out", predicate="OSTEOKG:0009003").items
              if e["object"]["id"] == "OSTEOKG:0001004"]
    assert jaw["evidence"][0]["translation"] == {
        "text": "The bones that are affected most are: […] The jaw.", "lang": "en"}


def test_statements_carry_the_quotes_translation_for_english_readers(service: Service) -> None:
    english = {item["id"]: item for item in service.statements("en", kind="any").items}
    dutch = {item["id"]: item for item in service.statements("nl", kind="any").items}
    assert english.keys() == dutch.keys() and len(english) == 36
    assert english["OSTEOKG:0007516"]["evidence"]["translation"] == {"text": "Often an operation is necessary.", "lang": "en"}
    assert all(item["evidence"]["translation"]["lang"] == "en" for item in english.values())
    assert all(item["evidence"]["translation"] is None for item in dutch.values())
    assert all("quoteTranslation" not in item for item in english.values())  # only in the evidence


def test_a_curie_with_a_trailing_newline_is_refused() -> None:
    """The CURIE check reads the whole string: 'OSTEOKG:0000106\\n' is not an ID (``$`` let a final newline by)."""
    from kg.service.values import BadValue, split_curie

    with pytest.raises(BadValue):
        split_curie("OSTEOKG:0000106\n", "id")
    assert split_curie("OSTEOKG:0000106", "id") == ("OSTEOKG", "0000106")
