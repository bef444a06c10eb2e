"""kg.search: the release's search index — words in any order, Dutch compounds, accents and case, typos,
prefixes, codes, the category filter, paging, the ranking ladder, determinism, hostile input and threads
(issue 9), on the real graph's entries and on a small hand-made list where every level occurs."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kg.build import ROOT
from kg.search import SearchIndex, write_index
from kg.service.release import Entry, open_release

NS = "https://w3id.org/osteokg/OSTEOKG_"
ICD10CM = "http://purl.bioontology.org/ontology/ICD10CM/"
DISORDER = NS + "0000010"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def real_entries(built, tmp_path_factory) -> list[Entry]:
    """The real graph's entries, as a release opened over the session's build reads them."""
    folder = tmp_path_factory.mktemp("search-release")
    built.graph.serialize(folder / "osteokg.nt", format="nt", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"version_iri": "https://w3id.org/osteokg/test"}), encoding="utf-8")
    release = open_release(folder)
    try:
        return list(release.entries.values())
    finally:
        release.close()


@pytest.fixture(scope="module")
def real(real_entries, tmp_path_factory):
    index = SearchIndex.open(write_index(tmp_path_factory.mktemp("search-real") / "search.sqlite", real_entries))
    yield index
    index.close()


def entry(number: str, labels: dict[str, str], synonyms=(), categories=(), xrefs=(), iri: str | None = None) -> Entry:
    return Entry(iri or NS + number, dict(labels), list(synonyms), set(categories), list(xrefs))


#: every level of the ranking ladder for the query "kaas", and ties for "gelijk"
SMALL = [
    entry("0000901", {"en": "kaas"}),                                       # exact label
    entry("0000902", {"en": "cheese two"}, [("exact synonym", "nl", "kaas")]),  # exact synonym, other language
    entry("0000903", {"en": "cheese three"}, [("exact synonym", "en", "Kaas")]),  # exact synonym, in lang
    entry("0000904", {"en": "cheese four"}, [("narrow synonym", "en", "kaas")]),  # exact narrow synonym
    entry("0000905", {"en": "cheese five"}, xrefs=[("exactMatch", ICD10CM + "KAAS")]),  # exact code
    entry("0000906", {"en": "kaasschaaf"}),                                 # prefix of the text, 10 letters
    entry("0000907", {"en": "oude kaas"}),                                  # prefix of a word, 9 letters
    entry("0000908", {"en": "boerenkaas"}),                                 # words: inside a compound
    entry("0000909", {"en": "kaaz"}),                                       # fuzzy: one edit
    entry("0000910", {"en": "brood"}),                                      # no match
    entry("0000920", {"nl": "heupbreuk", "en": "broken hip"}, categories=[DISORDER]),
    entry("0000921", {"nl": "Röntgenfoto", "en": "X-ray"}),
    entry("0000922", {"de": "Straße"}),
    entry("0000923", {"nl": "botontkalking", "en": "osteoporosis"}, categories=[DISORDER],
          xrefs=[("exactMatch", ICD10CM + "M81")]),
    entry("0000924", {"nl": "rugpijn"}, categories=[DISORDER]),
    entry("0000925", {"en": "ac"}),
    entry("0000931", {"en": "gelijk"}),
    entry("0000930", {"en": "gelijk"}),
    entry("zz", {"en": "gelijk"}, iri="https://w3id.org/osteokg/vocab/zz"),
]


@pytest.fixture(scope="module")
def small_path(tmp_path_factory) -> Path:
    return write_index(tmp_path_factory.mktemp("search-small") / "search.sqlite", SMALL)


@pytest.fixture(scope="module")
def small(small_path):
    index = SearchIndex.open(small_path)
    yield index
    index.close()


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def hit(index: SearchIndex, q: str, lang: str = "en", **kw) -> dict | None:
    items = index.search(q, lang, **kw)[1]
    return items[0] if items else None


# ---------------------------------------------------------------- what matches


def test_the_ranking_ladder_exact_label_then_synonyms_then_code_then_prefix_words_fuzzy(small) -> None:
    total, items = small.search("kaas", "en")
    assert total == 9
    assert ids(items) == [f"OSTEOKG:{n}" for n in ("0000901", "0000903", "0000902", "0000904", "0000905",
                                                    "0000907", "0000906", "0000908", "0000909")]
    assert [(i["match"]["type"], i["match"]["field"], i["match"]["lang"]) for i in items] == [
        ("exact", "label", "en"), ("exact", "exact synonym", "en"), ("exact", "exact synonym", "nl"),
        ("exact", "narrow synonym", "en"), ("exact", "xref", None), ("prefix", "label", "en"),
        ("prefix", "label", "en"), ("words", "label", "en"), ("fuzzy", "label", "en")]
    assert items[4]["match"]["text"] == "KAAS" and items[2]["match"]["text"] == "kaas"


def test_the_requested_language_comes_first(small) -> None:
    items = small.search("kaas", "nl")[1]
    assert ids(items)[1:3] == ["OSTEOKG:0000902", "OSTEOKG:0000903"]


def test_equal_matches_are_ordered_by_the_shorter_iri_then_the_curie(small) -> None:
    total, items = small.search("gelijk")
    assert total == 3 and ids(items) == ["okg:zz", "OSTEOKG:0000930", "OSTEOKG:0000931"]


def test_an_item_has_the_shape_of_the_rest_answer(small) -> None:
    item = hit(small, "botontkalking", "nl")
    assert item == {"id": "OSTEOKG:0000923", "iri": NS + "0000923", "label": "botontkalking",
                    "categories": ["OSTEOKG:0000010"],
                    "match": {"type": "exact", "field": "label", "lang": "nl", "text": "botontkalking"}}
    assert hit(small, "botontkalking", "en")["label"] == "osteoporosis"
    assert hit(small, "Straße", "nl")["label"] == "Straße"  # neither lang nor English: any label


@pytest.mark.parametrize("q", ["breuk heup", "heup breuk", "HEUP  breuk"])
def test_words_in_any_order_find_a_dutch_compound(small, q: str) -> None:
    item = hit(small, q, "nl")
    assert item["id"] == "OSTEOKG:0000920"
    assert item["match"] == {"type": "words", "field": "label", "lang": "nl", "text": "heupbreuk"}


@pytest.mark.parametrize("q", ["RÖNTGEN", "rontgen", "Röntgen", "röntgenfoto", "RONTGENFOTO"])
def test_accents_and_case_do_not_matter(small, q: str) -> None:
    item = hit(small, q, "nl")
    assert item["id"] == "OSTEOKG:0000921" and item["match"]["text"] == "Röntgenfoto"
    assert item["match"]["type"] == ("exact" if len(q) > 7 else "prefix")


def test_folding_is_casefold_like_the_service(small) -> None:
    assert hit(small, "STRASSE")["match"] == {"type": "exact", "field": "label", "lang": "de", "text": "Straße"}


@pytest.mark.parametrize("q, found", [
    ("botontklaking", True),     # two letters swapped: one edit
    ("botontkalkng", True),      # one letter left out
    ("bxtxntkalking", True),     # two edits, a word of 13 letters
    ("bxtxnxkalking", False),    # three edits
    ("rugpixn", True),           # one edit, a word of 7 letters
    ("rxgpixn", False),          # two edits are too many under 8 letters
    ("ab", False),               # a word of two letters is not fuzzed ("ac")
    ("M80", False),              # a code one digit off is another code
])
def test_typos_of_one_or_two_edits(small, q: str, found: bool) -> None:
    items = small.search(q, "nl")[1]
    fuzzy = [i for i in items if i["match"]["type"] == "fuzzy"]
    assert bool(fuzzy) == found
    if found:
        assert fuzzy[0]["id"] in ("OSTEOKG:0000923", "OSTEOKG:0000924")


def test_fuzzy_can_be_left_out(small) -> None:
    assert small.search("kaas", fuzzy=False)[0] == 8
    assert small.search("botontklaking", fuzzy=False) == (0, [])


def test_codes_by_curie_and_by_local_part(small) -> None:
    for q in ("ICD10CM:M81", "icd10cm:m81", "M81", "m81"):
        item = hit(small, q)
        assert item["id"] == "OSTEOKG:0000923" and item["match"]["type"] == "exact", q
        assert item["match"]["field"] == "xref" and item["match"]["lang"] is None
    assert hit(small, "M81")["match"]["text"] == "M81"
    assert hit(small, "ICD10CM:M81")["match"]["text"] == "ICD10CM:M81"


def test_category_filter(small) -> None:
    total, items = small.search("u", category=DISORDER)
    assert total == 2 and set(ids(items)) == {"OSTEOKG:0000920", "OSTEOKG:0000924"}
    assert small.search("kaas", category=DISORDER) == (0, [])
    assert small.search("kaas", category=NS + "0000099")[0] == 0


def test_suggest_is_prefix_only(small) -> None:
    items = small.suggest("kaa", "en")
    assert {i["match"]["type"] for i in items} == {"prefix"} and len(items) == 8
    assert ids(small.suggest("kaas", "en", limit=2)) == ["OSTEOKG:0000901", "OSTEOKG:0000903"]
    assert small.suggest("aas") == []  # inside a word: a search finds it, a suggestion does not
    assert small.search("aas")[0] > 0


# ---------------------------------------------------------------- the real graph


@pytest.fixture(scope="module")
def real_stored(real_entries, tmp_path_factory):
    """The real graph's index with the suggestions of every short prefix stored (the default stores the large
    ranges' only, which the real graph hardly has)."""
    path = write_index(tmp_path_factory.mktemp("search-stored") / "search.sqlite", real_entries, stored=1)
    index = SearchIndex.open(path)
    yield index
    index.close()


@pytest.mark.parametrize("q", ["o", "bo", "bot", "oste", "hip fr", "m8", "m87", "fractuur", "zzz"])
@pytest.mark.parametrize("lang", ["en", "nl", "de"])
def test_suggestions_are_the_searchs_exact_and_prefix_hits_in_its_order(real, real_stored, q: str, lang: str) -> None:
    """Stored (up to three letters, at most 50), read from the range (longer, or more than were stored): alike."""
    _, everything = real.search(q, lang, limit=None, fuzzy=False)
    expected = [item for item in everything if item["match"]["type"] in ("exact", "prefix")]
    for limit in (1, 10, 60, 500):
        assert real.suggest(q, lang, limit=limit) == expected[:limit]
        assert real_stored.suggest(q, lang, limit=limit) == expected[:limit]
    if len(q) <= 3 and expected:  # the stored list is what answered
        with real_stored._held() as db:
            stored = db.execute("SELECT count(*) FROM suggestions WHERE prefix = ?", (q,)).fetchone()[0]
        assert stored > 0


@pytest.mark.parametrize("q, lang, expected, kind, text", [
    ("botontkalking", "nl", "OSTEOKG:0000100", "exact", "botontkalking"),
    ("breuk heup", "nl", "OSTEOKG:0000102", "words", "heupbreuk"),
    ("fracture hip", "en", "OSTEOKG:0000102", "words", "hip fracture"),
    ("hip fr", "en", "OSTEOKG:0000102", "prefix", "hip fracture"),
    ("femurkopnecrose", "nl", "OSTEOKG:0000107", "exact", "femurkopnecrose"),
    ("vertebral fracture", "en", "OSTEOKG:0000103", "exact", "vertebral fracture"),
    ("osteonekrose", "nl", "OSTEOKG:0000106", "fuzzy", "osteonecrose"),
    ("osteoporsis", "en", "OSTEOKG:0000100", "fuzzy", "osteoporosis"),
    ("rontgen", "nl", "OSTEOKG:0004002", "prefix", "röntgenfoto"),
    ("botnec", "nl", "OSTEOKG:0000106", "prefix", "botnecrose"),
    ("ICD10CM:M81", "en", "OSTEOKG:0000100", "exact", "ICD10CM:M81"),
    ("M87.180", "en", "OSTEOKG:0000108", "exact", "M87.180"),
])
def test_the_real_graph(real, q: str, lang: str, expected: str, kind: str, text: str) -> None:
    item = hit(real, q, lang)
    assert (item["id"], item["match"]["type"], item["match"]["text"]) == (expected, kind, text)


def test_the_real_graph_category_filter(real) -> None:
    everything, _ = real.search("fractuur", "nl", limit=None)
    total, items = real.search("fractuur", "nl", category=DISORDER, limit=None)
    assert 0 < total < everything and len(items) == total
    assert all("OSTEOKG:0000010" in item["categories"] for item in items)


@pytest.mark.parametrize("q", ["o", "bot", "breuk", "fracture"])
def test_pages_share_one_total_and_never_overlap(real, q: str) -> None:
    total, everything = real.search(q, "nl", limit=None)
    assert total == len(everything) > 10
    pages = []
    for offset in range(0, total + 7, 7):
        page_total, page = real.search(q, "nl", limit=7, offset=offset)
        assert page_total == total
        pages += page
    assert pages == everything and len(set(ids(pages))) == total
    assert real.search(q, "nl", limit=0, offset=0) == (total, [])
    assert real.search(q, "nl", offset=total + 100) == (total, [])


# ---------------------------------------------------------------- determinism


def test_the_same_answer_twice_and_after_reopening(real, real_entries, tmp_path: Path) -> None:
    queries = ["bot", "breuk heup", "osteoporsis", "M87"]
    first = [real.search(q, "nl") for q in queries]
    assert first == [real.search(q, "nl") for q in queries]
    again = write_index(tmp_path / "again.sqlite", list(reversed(real_entries)))
    with SearchIndex.open(again) as reopened:
        assert first == [reopened.search(q, "nl") for q in queries]
    assert digest(again) == digest(real.path)  # the same entries, in any order: the same bytes


def test_another_process_writes_the_same_bytes(small_path: Path, tmp_path: Path) -> None:
    """Whatever the process's string hashing (set and dict orders): the same entries, the same file."""
    script = ("import sys; from pathlib import Path; from kg.search import write_index; "
              "from tests.kg.test_search import SMALL; write_index(Path(sys.argv[1]), SMALL)")
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / f"{seed}.sqlite")], cwd=ROOT, check=True,
                       timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        assert digest(tmp_path / f"{seed}.sqlite") == digest(small_path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_processes_get_the_same_answer(real) -> None:
    script = ("import json, sys; from kg.search import SearchIndex; ix = SearchIndex.open(sys.argv[1]); "
              "print(json.dumps([ix.search(q, 'nl') for q in ('bot', 'breuk heup', 'osteonekrose')]))")
    processes = [subprocess.Popen([sys.executable, "-c", script, str(real.path)], cwd=ROOT, stdout=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes)
    expected = json.loads(json.dumps([real.search(q, "nl") for q in ("bot", "breuk heup", "osteonekrose")]))
    assert [json.loads(o) for o in outputs] == [expected, expected]


def test_two_threads_read_at_once(real) -> None:
    queries = ["bot", "fracture hip", "osteoporsis", "wer", "M81"]
    expected = [real.search(q, "en") for q in queries]
    barrier = threading.Barrier(2)

    def work() -> list[list]:
        barrier.wait(timeout=30)  # both threads start together, each on its own connection
        return [[real.search(q, "en") for q in queries] for _ in range(20)]

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(work) for _ in range(2)]
        answers = [future.result(timeout=120) for future in futures]  # a thread's error is raised here
    assert all(len(slot) == 20 and all(answer == expected for answer in slot) for slot in answers)


def test_searching_never_writes_the_file(small_path: Path) -> None:
    before = (digest(small_path), small_path.stat().st_mtime_ns)
    with SearchIndex.open(small_path) as index:
        index.search("kaas")
        index.suggest("ka")
    assert (digest(small_path), small_path.stat().st_mtime_ns) == before


def test_a_missing_or_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SearchIndex.open(tmp_path / "none.sqlite")
    (tmp_path / "other.sqlite").write_text("not a database", encoding="utf-8")
    with pytest.raises(ValueError):
        SearchIndex.open(tmp_path / "other.sqlite")


def test_a_closed_index_says_so(small_path: Path) -> None:
    index = SearchIndex.open(small_path)
    index.close()
    with pytest.raises(ValueError, match="closed"):
        index.search("kaas")


# ---------------------------------------------------------------- hostile input


HOSTILE = ['"', '""', "'", "*", "kaas*", "NEAR(kaas", "NEAR(", "kaas AND brood", "AND", "OR", "NOT", "-", "-kaas",
           ":", "ICD10CM:", ":M81", "^kaas", "kaas'; DROP TABLE texts; --", '"kaas" OR "brood"', "(", ")", "{}",
           "%", "_", "%_%", "\\", "\x00", "kaas\x00", "🦴", "🦴 kaas", "…", "!!!", "·", "ÿ" * 200, "a " * 100,
           "ⅸ", "ﬁ", "İ", "日本語", "\u200b", "\ud800", "e\u0301", "9" * 200, "kaas " * 40,
           " ".join(f"x{i}" for i in range(66)), " ".join(chr(97 + i % 26) * (1 + i // 26) for i in range(60)),
           " ".join(["osteo", "necrose", "kaak", "bot", "van", "de"] * 6)]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_never_raises(small, real, q: str) -> None:
    for index in (small, real):
        total, items = index.search(q)
        assert total >= len(items) >= 0
        index.suggest(q)
        index.search(q, "nl", category=DISORDER, limit=3, offset=2)


def test_only_punctuation_finds_nothing(real) -> None:
    for q in ("!!!", "-", "🦴", '"', "*"):
        assert real.search(q) == (0, []) and real.suggest(q) == []


def test_connections_are_pooled_not_one_per_thread(real) -> None:
    """As many connections as searches run at once: 40 threads one after another use the same one."""
    import threading

    before = len(real._connections)
    for _ in range(40):
        thread = threading.Thread(target=real.search, args=("heupbreuk",))
        thread.start()
        thread.join(timeout=30)
    assert len(real._connections) <= before + 1

