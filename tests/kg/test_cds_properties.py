"""kg.service.cds under generated FHIR: what must hold for any request, not only the scenarios of test_cds.py.

The fuzz suite (tests/api/test_fuzz.py) generates bodies from the OpenAPI document, which rarely make a FHIR R4
Bundle with the service's own hook, so it seldom reaches the rules (docs/fuzzing.md). Here Hypothesis builds the
requests from FHIR resources instead: Conditions coded with the codes the graph maps (SNOMED CT, ICD-10, ICD-10-CM,
ICD-11: the release's own code index), with subcodes and codes it does not know; medication requests named with the
names of the medications the rules read (Dutch and English labels and exact synonyms) or coded, with noise around
them; verification and request statuses of every kind. Derandomized, no database: the same cases every run.

For each, whatever it holds:
- the answer is a CDS Hooks response by the spec's schema, in both languages, with the same cards in each;
- every card comes from a rule of the service's hook, once per patient (patient-view) or per order;
- nothing the graph does not map gives a card, and neither does a refuted or entered-in-error condition, a
  cancelled or entered-in-error medication, or an order that was not selected (order-select);
- the re-fracture card never comes while the record holds an active anti-osteoporosis medication the graph
  names.
"""
from __future__ import annotations

import collections
import functools
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.service.cds import (
    CDS,
    HIERARCHICAL,
    ORDER_HOOKS,
    OSTEOPOROSIS_TREATMENT,
    RULES,
    SERVICES,
    SYSTEMS,
)
from kg.vocab import PREFIXES
from tests.api.cds.scenarios import bundle, order_select, order_sign, patient_view
from tests.kg.test_cds import RESPONSE

CASES = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CONDITION_STATUS = [None, "confirmed", "provisional", "unconfirmed", "refuted", "entered-in-error"]
REQUEST_STATUS = ["active", "completed", "on-hold", "stopped", "cancelled", "entered-in-error", "unknown"]
#: the rules whose cards the generated requests gave (test_the_generated_requests_reach_every_rule reads it)
FIRED: collections.Counter = collections.Counter()
NOISE = st.text(alphabet=string.ascii_letters + string.digits + " .,-/()éü", max_size=16)


@functools.cache
def _codes(cds: CDS, triggering: bool = False) -> tuple[tuple[str, str], ...]:
    """(FHIR system, code) of every code the release maps, for the systems the service reads; ``triggering``: only
    those that reach a patient-view rule's trigger (so that the rules are reached often, not by luck)."""
    found = []
    for system, prefix in SYSTEMS.items():
        namespace = PREFIXES[prefix]
        for iri, mapped in cds.service.release.by_code.items():
            if iri.startswith(namespace) and (not triggering or reaches_a_rule(
                    cds, "patient-view", {cds.service.ref(entity, "en")["id"] for entity, _match in mapped})):
                found.append((system, iri[len(namespace):]))
    assert len(found) > (3 if triggering else 20), "the release maps few codes: the conditions would reach nothing"
    return tuple(sorted(found))


@functools.cache
def _names(cds: CDS, within: str | None = None) -> tuple[str, ...]:
    """The labels and exact synonyms (nl, en) of the medications the rules read (or of those within ``within``)."""
    entities = cds._within(within) if within else cds._medication_entities()
    names = set()
    for curie in entities:
        entry = cds.service.release.entries.get(cds.service.resolve(curie).iri)
        if entry is not None:
            names |= {*entry.labels.values(), *(text for field, _lang, text in entry.synonyms if "exact" in field)}
    assert names
    return tuple(sorted(names))


def coding(cds: CDS) -> st.SearchStrategy[dict]:
    known = st.one_of(st.sampled_from(_codes(cds, triggering=True)), st.sampled_from(_codes(cds))).flatmap(
        lambda pair: st.one_of(
        st.just(pair),  # the code itself
        st.just(pair) if SYSTEMS[pair[0]] not in HIERARCHICAL else  # a subcode, which reaches its parent
        st.text(alphabet=string.digits + "AXZ", min_size=1, max_size=3).map(
            lambda tail: (pair[0], pair[1] + ("" if "." in pair[1] else ".") + tail))))
    unknown = st.tuples(st.sampled_from(sorted(SYSTEMS) + ["http://loinc.org", "urn:oid:1.2.3"]),
                        st.text(alphabet=string.ascii_uppercase + string.digits + ".", min_size=1, max_size=8))
    return st.one_of(known, unknown).flatmap(lambda pair: st.fixed_dictionaries(
        {"system": st.just(pair[0]), "code": st.just(pair[1])}, optional={"display": NOISE.filter(bool)}))


def condition(cds: CDS, index: int) -> st.SearchStrategy[dict]:
    def made(codings: list[dict], status: str | None) -> dict:
        resource = {"resourceType": "Condition", "id": f"c{index}", "subject": {"reference": "Patient/1288992"},
                    "code": {"coding": codings}}
        if status:
            resource["verificationStatus"] = {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
        return resource

    return st.builds(made, st.lists(coding(cds), min_size=1, max_size=2), st.sampled_from(CONDITION_STATUS))


def concept(cds: CDS) -> st.SearchStrategy[dict]:
    """A medicationCodeableConcept: a medication's name (the rules'), with noise around it, or noise alone."""
    named = st.tuples(NOISE, st.sampled_from(_names(cds)), NOISE).map(lambda p: " ".join(x for x in p if x))
    text = st.one_of(named, named.map(str.upper), NOISE.filter(str.strip))
    return st.fixed_dictionaries({"text": text}, optional={"coding": st.lists(coding(cds), max_size=1)})


def medication(cds: CDS, index: int, kind: str = "MedicationRequest", status=None) -> st.SearchStrategy[dict]:
    return st.builds(lambda concept, status: {
        "resourceType": kind, "id": f"m{index}", "status": status, "intent": "order",
        "subject": {"reference": "Patient/1288992"}, "medicationCodeableConcept": concept},
        concept(cds), status if status is not None else st.sampled_from(REQUEST_STATUS))


def many(make, cds: CDS, most: int) -> st.SearchStrategy[list[dict]]:
    return st.integers(0, most).flatmap(lambda n: st.tuples(*(make(cds, i) for i in range(n))).map(list))


def answered(cds: CDS, service_id: str, body: dict) -> list[dict]:
    """The cards, checked against the spec's response schema, alike in Dutch and English (same rules, same order)."""
    cards = {}
    for lang in ("en", "nl"):
        answer = cds.call(service_id, body, lang)
        errors = sorted(RESPONSE.iter_errors(answer), key=str)
        assert not errors, f"not a CDS Hooks response: {errors[0].message}"
        cards[lang] = answer["cards"]
    assert [c["indicator"] for c in cards["en"]] == [c["indicator"] for c in cards["nl"]]
    assert [c["source"]["topic"]["code"] for c in cards["en"]] == [c["source"]["topic"]["code"] for c in cards["nl"]]
    return cards["en"]


def rules_of(cds: CDS, service_id: str, body: dict) -> list[str]:
    rules = [rule for rule, _card in cds.answer(service_id, body, "en")]
    FIRED.update(rules)
    return rules


def reaches_a_rule(cds: CDS, hook: str, entities: set[str]) -> bool:
    triggers = {t for r in RULES if hook in r.hooks for t in r.triggers}
    return any(cds._upward(entity) & triggers for entity in entities)


@CASES
@given(data=st.data())
def test_patient_view_under_any_record(cds: CDS, data) -> None:
    conditions = data.draw(many(condition, cds, 4), "conditions")
    medications = data.draw(many(medication, cds, 3), "medications")
    body = patient_view(conditions, medications)
    cards = answered(cds, "osteokg-patient-view", body)
    rules = rules_of(cds, "osteokg-patient-view", body)
    assert len(rules) == len(cards) == len(set(rules)), "a rule gives one card per patient"
    assert set(rules) <= {r.id for r in RULES if "patient-view" in r.hooks}
    counted = [c for c in conditions if not any(
        x["code"] in {"refuted", "entered-in-error"} for x in c.get("verificationStatus", {}).get("coding", []))]
    reached = {m.entity for c in counted for x in c["code"]["coding"] for m in cds.resolve_coding(x["system"], x["code"])}
    if not reaches_a_rule(cds, "patient-view", reached):
        assert rules == [], f"no counted condition reaches a rule's trigger, yet cards came: {rules}"
    treatment = set(_names(cds, OSTEOPOROSIS_TREATMENT))
    treated = any(m["status"] not in {"cancelled", "entered-in-error"} and "coding" not in m["medicationCodeableConcept"]
                  and m["medicationCodeableConcept"]["text"] in treatment for m in medications)  # named alone
    if treated:
        assert "refracture-risk" not in rules, "an active anti-osteoporosis medication on record, and the card came"


@CASES
@given(data=st.data())
def test_a_named_treatment_on_record_holds_back_the_refracture_card(cds: CDS, data) -> None:
    """The same record with and without an active anti-osteoporosis medication named by the graph: with it, never
    the re-fracture card; without it, the card whenever a counted condition reaches a fracture."""
    conditions = data.draw(many(condition, cds, 3), "conditions")
    name = data.draw(st.sampled_from(_names(cds, OSTEOPOROSIS_TREATMENT)), "treatment")
    on_record = {"resourceType": "MedicationStatement", "id": "t1", "status": "active",
                 "subject": {"reference": "Patient/1288992"}, "medicationCodeableConcept": {"text": name}}
    body = patient_view(conditions, [])
    body["prefetch"]["medications"] = bundle(on_record)
    assert "refracture-risk" not in rules_of(cds, "osteokg-patient-view", body)
    answered(cds, "osteokg-patient-view", body)


@pytest.mark.parametrize("service_id", [s for s, d in SERVICES.items() if d["hook"] in ORDER_HOOKS])
@CASES
@given(data=st.data())
def test_orders_under_any_draft(cds: CDS, service_id: str, data) -> None:
    hook = SERVICES[service_id]["hook"]
    orders = data.draw(many(lambda c, i: medication(c, i, status=st.just("draft")), cds, 3)
                       .filter(lambda found: found or hook != "order-select"), "orders")
    if hook == "order-select":  # the hook's selections: one or more of the drafts (CDS Hooks, order-select)
        chosen = data.draw(st.lists(st.sampled_from([f"MedicationRequest/{o['id']}" for o in orders]), min_size=1,
                                    unique=True), "selections")
        body = order_select(chosen, *orders)
    else:
        chosen = [f"MedicationRequest/{o['id']}" for o in orders]
        body = order_sign(*orders)
    cards = answered(cds, service_id, body)
    rules = rules_of(cds, service_id, body)
    assert len(rules) == len(cards) and set(rules) <= {r.id for r in RULES if hook in r.hooks}
    looked_at = [o for o in orders if f"MedicationRequest/{o['id']}" in chosen]
    assert len(rules) <= len(looked_at) * len([r for r in RULES if hook in r.hooks]), "a card per rule and order at most"
    medications = cds._medication_entities()
    reached = set()
    for order in looked_at:
        concept = order["medicationCodeableConcept"]
        matches = [m for x in concept.get("coding", []) for m in cds.resolve_coding(x["system"], x["code"])]
        matches += cds.resolve_name(concept["text"], medications)
        reached |= {m.entity for m in matches if m.entity in medications}
    if not reaches_a_rule(cds, hook, reached):
        assert rules == [], f"no looked-at order reaches a rule's trigger, yet cards came: {rules}"


def test_the_generated_requests_reach_every_rule() -> None:
    """Else the properties above would hold of requests that never get a card."""
    if not FIRED:
        pytest.skip("only part of this file ran")
    print(f"cds properties: cards by rule {dict(sorted(FIRED.items()))}")
    assert set(FIRED) == {r.id for r in RULES}, f"rules no generated request reached: {FIRED}"
