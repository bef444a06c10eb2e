"""The codes' official labels over HTTP: an entity's JSON lists each code it cross-references with the code's label
(from ontology/code-labels.tsv through the graph, kg/codes.py), in Dutch and in English, from the release's
precomputed documents as from the store."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.service import Service
from kg.vocab import TERM_RANGES, id_range, shorten

OSTEONECROSIS = "OSTEOKG:0000106"
M87 = {"id": "ICD10WHO:M87", "iri": "http://purl.bioontology.org/ontology/ICD10/M87", "match": "exactMatch",
       "label": "Osteonecrosis"}


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_osteonecrosis_lists_icd10_m87_with_its_official_label(client, lang: str) -> None:
    response = client.get(f"/entities/{OSTEONECROSIS}", query_string={"lang": lang})
    assert response.status_code == 200 and response.json["lang"] == lang
    xrefs = response.json["xrefs"]
    assert M87 in xrefs
    assert {x["id"]: x["label"] for x in xrefs}["MESH:D010020"] == "Osteonecrosis"
    assert all(x["label"] for x in xrefs if not x["id"].startswith("SNOMEDCT:")), "every named code has its label"


def test_the_precomputed_documents_carry_the_labels_the_store_gives(build_dir: Path) -> None:
    documents = Service.open(build_dir)
    try:
        assert documents.documents is not None, "the build folder has no precomputed documents: this proves nothing"
        computed = Service(documents.release, documents=False)
        terms = [shorten(iri) for iri in documents.release.entries if id_range(iri) in TERM_RANGES.values()]
        labelled = 0
        for term in terms:
            for lang in ("en", "nl"):
                xrefs = documents.entity(term, lang)["xrefs"]
                assert xrefs == computed.entity(term, lang)["xrefs"], term
                assert all(bool(x["label"]) != x["id"].startswith("SNOMEDCT:") for x in xrefs), term  # codes only
                labelled += len(xrefs)
        stated = sum(1 for mapped in documents.release.by_code.values() for entity, _ in mapped
                     if id_range(entity) in TERM_RANGES.values())
    finally:
        documents.release.close()
    assert labelled == 2 * stated >= 400  # every cross-reference of every term, in both languages
