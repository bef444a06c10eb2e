"""The precomputed documents (kg/service/documents.py): for every entity of the real graph, in both languages,
the answer read from the documents is byte for byte the answer the service computes from the store."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from kg.releases import release_id
from kg.service import BadValue, NotFound, Service, open_release
from kg.service.documents import (
    FILE,
    Documents,
    DocumentsError,
    dumps,
    envelope,
    pack,
    unpack,
    write_serving_files,
)
from kg.service.values import Resolved, curie_of
from kg.vocab import LANGUAGES
from tests.kg.conftest import write_release_folder

OSTEONECROSIS = "OSTEOKG:0000106"


@pytest.fixture(scope="module")
def folder(built, tmp_path_factory) -> Path:
    """The real graph as a release folder, with its documents written as the build writes them."""
    folder = write_release_folder(built, tmp_path_factory.mktemp("documents"),
                                  version_iri="https://w3id.org/osteokg/test", release="0123456789abcdef")
    assert write_serving_files(folder) == [folder / "oxigraph", folder / "search.sqlite", folder / FILE]
    return folder


@pytest.fixture(scope="module")
def both(folder: Path) -> tuple[Service, Service]:
    """(the service answering from the documents, the service computing from the store) over one release."""
    release = open_release(folder)
    assert release.documents is not None
    return Service(release), Service(open_release(folder, documents=False))


def every_entity(service: Service) -> list[Resolved]:
    return [Resolved(iri, curie_of(iri), "entity") for iri in service.release.entries]


def test_every_entity_answers_the_same_bytes_from_its_documents(both) -> None:
    documents, computed = both
    entities = every_entity(computed)
    assert len(entities) > 200 and [e.iri for e in every_entity(documents)] == [e.iri for e in entities]
    for entity in entities:
        for lang in LANGUAGES:
            assert documents.entity_json(entity, lang) == computed.entity_json(entity, lang), (entity.id, lang)
            assert documents.relations_json(entity, lang) == computed.relations_json(entity, lang), (entity.id, lang)
            for walk in ("parents", "children", "ancestors", "descendants"):
                assert (documents.hierarchy_json(entity, walk, lang, 50, 0)
                        == computed.hierarchy_json(entity, walk, lang, 50, 0)), (entity.id, walk, lang)
            assert documents.entity_page(entity, lang) == computed.entity_page(entity, lang), (entity.id, lang)


def test_the_same_bytes_as_the_rest_route_would_write(both) -> None:
    """What the routes send is Flask's compact jsonify of the computed answer; the documents hold those bytes."""
    documents, computed = both
    body = computed.entity(OSTEONECROSIS, "nl")
    assert documents.entity_json(OSTEONECROSIS, "nl") == json.dumps(body, ensure_ascii=False,
                                                                   separators=(",", ":")).encode()
    assert "é" in dumps("é") and dumps({"a": [1, None]}) == '{"a":[1,null]}'


@pytest.mark.parametrize("filters", [
    {"direction": "out"}, {"direction": "in"}, {"inferred": True}, {"inferred": False}, {"strength": "can"},
    {"strength": "defining"}, {"predicate": "OSTEOKG:0009003"}, {"direction": "out", "inferred": False},
    {"limit": 3, "offset": 2}, {"limit": 1, "offset": 10_000}, {"limit": 0},
])
def test_filters_and_pages_of_the_edges_match(both, filters) -> None:
    documents, computed = both
    checked = 0
    for entity in every_entity(computed):
        try:
            expected = computed.relations_json(entity, "en", **filters)
        except BadValue:  # a predicate that is not a relation: both refuse (checked below)
            continue
        assert documents.relations_json(entity, "en", **filters) == expected, (entity.id, filters)
        checked += json.loads(expected)["total"]
    assert checked > 0 or filters.get("limit") == 0 or filters.get("offset"), "a filter that keeps nothing tests nothing"


def test_release_wide_listings_match(both) -> None:
    documents, computed = both
    for lang in LANGUAGES:
        assert documents.categories(lang) == computed.categories(lang)
        for kind in ("quantitative", "note", "any"):
            assert documents.statements_json(lang, kind) == computed.statements_json(lang, kind)
            assert (documents.statements_json(lang, kind, OSTEONECROSIS, 2, 1)
                    == computed.statements_json(lang, kind, OSTEONECROSIS, 2, 1))
    assert documents.relation_list() == computed.relation_list()


def test_the_index_read_from_the_documents_is_the_one_built_from_the_store(both) -> None:
    documents, computed = both
    d, c = documents.release, computed.release
    assert list(d.entries) == list(c.entries) and len(d.entries) == len(c.entries)
    assert [vars(e) for e in d.entries.values()] == [vars(c.entries[iri]) for iri in c.entries]
    assert {code: d.by_code[code] for code in c.by_code} == dict(c.by_code) and len(d.by_code) == len(c.by_code)
    assert d.relations == c.relations and d.strength_orders == c.strength_orders
    assert d.categories == c.categories and d.triples == c.triples
    assert "https://example.org/nothing" not in d.entries and d.entries.get("https://example.org/x") is None
    for code in list(c.by_code)[:20]:
        assert documents.xrefs(curie_of(code)) == computed.xrefs(curie_of(code))


def test_errors_are_the_same_with_documents(both) -> None:
    documents, computed = both
    for service in (documents, computed):
        with pytest.raises(NotFound):
            service.entity("OSTEOKG:9999999")
        with pytest.raises(BadValue):
            service.relations_json(OSTEONECROSIS, predicate="OSTEOKG:0000106")
        with pytest.raises(BadValue):
            service.relations_json(OSTEONECROSIS, direction="sideways")
        with pytest.raises(BadValue):
            service.hierarchy_json(OSTEONECROSIS, "parents", limit=-1)


def test_a_release_with_documents_does_not_scan_the_graph_to_open(folder: Path, monkeypatch) -> None:
    import kg.service.release as module

    def refuse(*_):
        raise AssertionError("scanned the graph")

    monkeypatch.setattr(module, "_index", refuse)
    monkeypatch.setattr(module, "_relations", refuse)
    release = open_release(folder)
    assert release.documents is not None and len(release.entries) > 200
    assert Service(release).entity(OSTEONECROSIS)["id"] == OSTEONECROSIS
    release.close()


def test_reads_from_many_threads_at_once(folder: Path) -> None:
    documents = Documents(folder / FILE)
    expected = documents.get(documents.entries.__iter__().__next__(), "en", "entity")
    seen, errors = [], []

    def read() -> None:
        try:
            for iri in list(documents.entries)[:50]:
                assert documents.get(iri, "nl", "edges") is not None
            seen.append(documents.get(next(iter(documents.entries)), "en", "entity"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and seen == [expected] * 8
    documents.close()


def test_list_documents_and_envelopes_round_trip() -> None:
    items = [(["out", "x:p", True, None], dumps({"a": "line\nbreak"}).encode()), ([], b"[]")]
    assert unpack(pack(items)) == items and unpack(pack([])) == []
    page = {"items": [{"a": 1}, {"b": "é"}], "total": 7, "limit": 2, "offset": 4}
    assert envelope([dumps(i).encode() for i in page["items"]], 7, 2, 4) == dumps(page).encode()


def test_a_file_that_is_not_documents_is_refused_with_its_cause(tmp_path: Path) -> None:
    from kg.service.documents import _open_env

    with pytest.raises(DocumentsError, match="missing"):
        Documents(tmp_path / FILE)
    (tmp_path / FILE).write_text("not a documents file at all", encoding="utf-8")
    with pytest.raises(DocumentsError, match="not a documents file"):
        Documents(tmp_path / FILE)
    other = tmp_path / "other.lmdb"
    env = _open_env(other, write=True)
    tables = {name: env.open_db(name.encode()) for name in ("meta", "entries", "order", "codes", "docs")}
    with env.begin(write=True) as txn:
        txn.put(b"format", b"99", db=tables["meta"])
    env.close()
    with pytest.raises(DocumentsError, match="format 99"):
        Documents(other)


def test_documents_do_not_count_in_the_release_id(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("osteokg.nt", "manifest.json"):
        (copy / name).write_bytes((folder / name).read_bytes())
    assert release_id(copy) == release_id(folder)
