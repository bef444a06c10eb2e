"""kg.service.cds over the real graph: coding resolution with its precision, the rules' cards per
scenario (nl and en), and the requests the logic must refuse."""
from __future__ import annotations

import jsonschema
import pytest

from kg.service import NotFound
from kg.service.cds import CDS, RULES, Malformed, PrefetchMissing
from tests.api.cds.scenarios import (
    ICD10,
    ICD10CM,
    ICD11,
    SCENARIOS,
    SPEC_PATIENT_VIEW,
    condition,
    medication,
    order_sign,
    patient_view,
    schema,
)

RESPONSE = jsonschema.Draft202012Validator(schema("response"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
REQUEST = jsonschema.Draft202012Validator(schema("request"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_an_icd_subcode_reaches_the_entity_through_its_parent_block_and_says_so(cds: CDS) -> None:
    matches = cds.resolve_coding(ICD10CM, "S72.001A")
    assert [(m.entity, m.code, m.precision, m.parent) for m in matches] == [
        ("OSTEOKG:0000102", "ICD10CM:S72", "broad", True)]
    exact = cds.resolve_coding("http://hl7.org/fhir/sid/icd-10", "M87")
    assert ("OSTEOKG:0000106", "exact", False) in [(m.entity, m.precision, m.parent) for m in exact]
    assert ("OSTEOKG:0000108", "broad", False) in [(m.entity, m.precision, m.parent) for m in exact]


def test_unknown_systems_and_codes_reach_nothing(cds: CDS) -> None:
    assert cds.resolve_coding("http://example.org/x", "M87") == []
    assert cds.resolve_coding(ICD10CM, "Z99.9") == []
    assert cds.resolve_coding(None, None) == []


def test_rules_name_entities_the_graph_has(cds: CDS) -> None:
    for rule in RULES:
        for curie in (*rule.triggers, *rule.suggest, *rule.objects, *([rule.statement] if rule.statement else [])):
            assert cds.service.resolve(curie).kind == "entity", (rule.id, curie)
        for subject, relation in rule.edges:
            assert cds.service.resolve(relation).kind == "entity"


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize(("name", "service", "body", "want"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenarios_give_the_cards_of_their_rules(cds: CDS, name, service, body, want, lang) -> None:
    REQUEST.validate(body)
    response = cds.call(service, body, lang)
    RESPONSE.validate(response)
    topics = {rule.id: rule.triggers for rule in RULES}
    assert len(response["cards"]) == len(want), [c["summary"] for c in response["cards"]]
    for card, rule in zip(response["cards"], want):
        assert card["source"]["url"].startswith("https://w3id.org/osteokg/OSTEOKG_")
        assert card["source"]["topic"]["code"] in {c for t in topics[rule] for c in
                                                   {t, *(i["id"] for i in cds.service.descendants(t, limit=None).items)}}
        assert "“" in card["detail"]  # a quote from the graph


def test_the_refracture_card_quotes_the_statement_and_suggests_fls_and_dxa(cds: CDS) -> None:
    body = patient_view([condition("c1", ICD10CM, "S72.001A")])
    card, = cds.call("osteokg-patient-view", body, "nl")["cards"]
    statement = next(s for s in cds.service.statements("nl", "any", limit=None).items if s["id"] == "OSTEOKG:0007010")
    assert card["summary"] == statement["label"]
    assert "tot vijfmaal in het eerste jaar" in card["detail"]
    assert "ICD10CM:S72" in card["detail"] and "skos:broadMatch" in card["detail"]
    labels = [s["label"] for s in card["suggestions"]]
    assert labels[:2] == [cds.service.ref(cds.service.resolve(c).iri, "nl")["label"]
                          for c in ("OSTEOKG:0006000", "OSTEOKG:0004000")]
    assert card["selectionBehavior"] == "any"
    english, = cds.call("osteokg-patient-view", body, "en")["cards"]
    assert english["summary"] != card["summary"]  # the request's language


def test_the_iv_bisphosphonate_order_warns_of_jaw_osteonecrosis_with_the_cbg_notice(cds: CDS) -> None:
    from tests.api.cds.scenarios import medication
    card, = cds.call("osteokg-order-sign", order_sign(medication("o1", "intravenous bisphosphonate")), "en")["cards"]
    assert card["indicator"] == "warning"
    assert "osteonecrosis of the jaw" in card["detail"]
    assert "College ter Beoordeling van Geneesmiddelen" in card["detail"]
    assert "by the name" in card["detail"]


def test_a_member_substance_inherits_no_claim_of_the_osteoporosis_medication(cds: CDS) -> None:
    """Alendronic acid is a bisphosphonate (ChEBI), but no source says every bisphosphonate is a medicine against
    osteoporosis: the order gets no card, where the intravenous bisphosphonate the CBG notice names gets its warning."""
    from tests.api.cds.scenarios import medication
    assert cds.call("osteokg-order-sign", order_sign(medication("o1", "alendronic acid")), "en")["cards"] == []
    card, = cds.call("osteokg-order-sign", order_sign(medication("o1", "intravenous bisphosphonate")), "en")["cards"]
    assert card["source"]["topic"]["display"] == "intravenous bisphosphonate"


def test_a_claim_is_shown_once_and_the_summary_says_how_firmly(cds: CDS) -> None:
    """The osteonecrosis card: 'fracture can cause osteonecrosis' once, its conclusions for each kind of
    fracture on one 'also by the same claim' line (not as claims of their own, and not in the summary);
    claims on different objects from one sentence (vitamin D, calcium) stay apart; strengths in the summary."""
    card, = cds.call("osteokg-patient-view", patient_view([condition("c1", ICD10, "M87")]), "en")["cards"]
    lines = card["detail"].splitlines()
    assert sum(line.startswith("- [fracture](") for line in lines) == 1
    also = [line for line in lines if line.strip().startswith("- also by the same claim:")]
    assert any("[hip fracture](" in line for line in also)
    assert not any(line.startswith("- [hip fracture](") for line in lines)
    assert card["summary"].startswith("osteonecrosis: caused by fracture (can),") and ", hip fracture (can)" not in card["summary"]
    assert "inferred from the claim" not in card["detail"]  # each conclusion here is its claim read the other way
    treatment, = cds.call("osteokg-patient-view", patient_view([condition("c1", ICD11, "FB83.1")]), "nl")["cards"]
    assert "vitamine D-supplement (kan), calciumsupplement (kan)" in treatment["summary"]
    order, = cds.call("osteokg-order-sign", order_sign(medication("o1", "prednisone")), "nl")["cards"]
    assert order["summary"] == "prednison: heeft als bijwerking botnecrose (kan)"


def test_the_spec_example_lacks_the_prefetch_and_gets_412(cds: CDS) -> None:
    REQUEST.validate(SPEC_PATIENT_VIEW)
    with pytest.raises(PrefetchMissing, match="conditions"):
        cds.call("osteokg-patient-view", SPEC_PATIENT_VIEW, "en")


@pytest.mark.parametrize("body", [
    [], {"hook": "patient-view"}, {**SPEC_PATIENT_VIEW, "hook": "order-sign"},
    {**SPEC_PATIENT_VIEW, "context": {"patientId": "1"}},
    {**patient_view([]), "prefetch": {"conditions": {"resourceType": "Condition", "code": "not a concept"},
                                      "medications": {"resourceType": "Bundle", "type": "searchset"}}},
    {**patient_view([]), "prefetch": {"conditions": "Condition?patient=1", "medications": None}},
    {**patient_view([]), "prefetch": {"conditions": {"resourceType": "Bundle", "type": "searchset",
                                                     "entry": [{"resource": {"resourceType": "Foo"}}]},
                                      "medications": {"resourceType": "Bundle", "type": "searchset"}}},
    {**patient_view([]), "prefetch": {"conditions": {"resourceType": "Bundle", "entry": "x"},
                                      "medications": {"resourceType": "Bundle", "type": "searchset"}}},
])
def test_malformed_requests_are_refused_with_a_message(cds: CDS, body) -> None:
    with pytest.raises((Malformed, PrefetchMissing)):
        cds.call("osteokg-patient-view", body, "en")


def test_an_unknown_service_is_not_found(cds: CDS) -> None:
    with pytest.raises(NotFound):
        cds.call("nope", SPEC_PATIENT_VIEW, "en")


def test_discovery_matches_the_schema(cds: CDS) -> None:
    jsonschema.Draft202012Validator(schema("discovery")).validate(cds.discovery())
    assert {s["hook"] for s in cds.discovery()["services"]} == {"patient-view", "order-select", "order-sign"}


def test_order_select_needs_its_selections(cds: CDS) -> None:
    from tests.api.cds.scenarios import medication, order_select
    body = order_select(["MedicationRequest/o1"], medication("o1", "prednisone"))
    del body["context"]["selections"]
    with pytest.raises(Malformed, match="selections"):
        cds.call("osteokg-order-select", body, "en")


def test_warning_cards_carry_override_reasons_with_a_display(cds: CDS) -> None:
    from tests.api.cds.scenarios import medication
    card, = cds.call("osteokg-order-sign", order_sign(medication("o1", "prednison")), "nl")["cards"]
    assert card["overrideReasons"] and all(r["display"] for r in card["overrideReasons"])
