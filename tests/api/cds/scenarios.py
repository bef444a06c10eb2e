"""The clinical scenarios and the spec's example request, as CDS Hooks request bodies (shared by the
service-level tests in tests/kg/test_cds.py and the HTTP tests beside this file)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).parent
SNOMED, ICD10, ICD10CM, ICD11 = ("http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10",
                                 "http://hl7.org/fhir/sid/icd-10-cm", "http://id.who.int/icd/release/11/mms")

#: the spec's example patient-view request (CDS Hooks 2.0, "Calling a CDS Service", Example), verbatim
SPEC_PATIENT_VIEW = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {"access_token": "some-opaque-fhir-access-token", "token_type": "Bearer", "expires_in": 300,
                          "scope": "user/Patient.read user/Observation.read", "subject": "cds-service4"},
    "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
    "prefetch": {"patientToGreet": {"resourceType": "Patient", "gender": "male", "birthDate": "1925-12-23",
                                    "id": "1288992", "active": True}},
}


#: the spec's example order-sign request (the order-sign hook's "Example (R4)", HL7/cds-hooks
#: old-docs/hooks/order-sign.md at fb10ca7): its context verbatim, with the hook and a hookInstance
SPEC_ORDER_SIGN = {"hook": "order-sign", "hookInstance": "2ac2b3c2-1b1e-4f8e-9c3e-6d5b1c0e7a41",
                   **json.loads((HERE / "spec-order-sign-context.json").read_text(encoding="utf-8"))}


def spec_order_sign_ordering(text: str, coding: dict | None = None) -> dict:
    """The spec's example order-sign request with its MedicationRequest ordering ``text`` instead."""
    body = copy.deepcopy(SPEC_ORDER_SIGN)
    order = body["context"]["draftOrders"]["entry"][1]["resource"]
    order["medicationCodeableConcept"] = {"text": text, **({"coding": [coding]} if coding else {})}
    del order["text"]
    return body


def schema(name: str) -> dict:
    return json.loads((HERE / f"{name}.schema.json").read_text(encoding="utf-8"))


def condition(id: str, system: str, code: str, display: str | None = None, status: str | None = None) -> dict:
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    resource = {"resourceType": "Condition", "id": id, "subject": {"reference": "Patient/1288992"},
                "code": {"coding": [coding]}}
    if status:
        resource["verificationStatus"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
    return resource


def medication(id: str, text: str, coding: dict | None = None, status: str = "active") -> dict:
    concept: dict = {"text": text, **({"coding": [coding]} if coding else {})}
    return {"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
            "subject": {"reference": "Patient/1288992"}, "medicationCodeableConcept": concept}


def bundle(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def patient_view(conditions: list[dict], medications: list[dict] = ()) -> dict:  # type: ignore[assignment]
    body = copy.deepcopy(SPEC_PATIENT_VIEW)
    del body["fhirServer"], body["fhirAuthorization"]
    body["prefetch"] = {"conditions": bundle(*conditions), "medications": bundle(*medications)}
    return body


def order_sign(*orders: dict) -> dict:
    return {"hook": "order-sign", "hookInstance": "8d1f1a8c-3bd5-4f4e-b2f5-0c6f2a3b9e10",
            "context": {"userId": "Practitioner/example", "patientId": "1288992",
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": {**o, "status": "draft"}} for o in orders]}}}


def order_select(selected: list[str], *orders: dict) -> dict:
    body = order_sign(*orders)
    body["hook"] = "order-select"
    body["context"]["selections"] = selected
    return body


#: (name, service, request, the rules whose cards must come, in order) — [] must give no card
SCENARIOS: list[tuple[str, str, dict, list[str]]] = [
    ("hip fracture ICD-10-CM S72.001A, untreated", "osteokg-patient-view",
     patient_view([condition("c1", ICD10CM, "S72.001A", "Fracture of unspecified part of neck of right femur")]),
     ["refracture-risk"]),
    ("wrist fracture ICD-10 S52.5, untreated", "osteokg-patient-view",
     patient_view([condition("c1", ICD10, "S52.5")]), ["refracture-risk"]),
    ("wrist fracture ICD-11 NC32.5, untreated", "osteokg-patient-view",
     patient_view([condition("c1", ICD11, "NC32.5")]), ["refracture-risk"]),
    ("hip fracture already on prednisone only (not a treatment)", "osteokg-patient-view",
     patient_view([condition("c1", ICD10CM, "S72.001A")], [medication("m1", "Prednisone 5 mg tablet")]),
     ["refracture-risk"]),
    ("hip fracture treated with osteoporosis medication (by name)", "osteokg-patient-view",
     patient_view([condition("c1", ICD10CM, "S72.001A")], [medication("m1", "IV bisphosphonate infusion")]), []),
    ("refuted hip fracture", "osteokg-patient-view",
     patient_view([condition("c1", ICD10CM, "S72.001A", status="refuted")]), []),
    ("osteoporosis ICD-11 FB83.1", "osteokg-patient-view",
     patient_view([condition("c1", ICD11, "FB83.1")]), ["osteoporosis-treatment"]),
    ("osteonecrosis ICD-10 M87", "osteokg-patient-view",
     patient_view([condition("c1", ICD10, "M87")]), ["osteonecrosis-causes"]),
    ("osteoporosis with a fracture and osteonecrosis", "osteokg-patient-view",
     patient_view([condition("c1", ICD10CM, "M81.0"), condition("c2", ICD10CM, "M80.08XA"),
                   condition("c3", ICD10CM, "M87.180")]),
     ["refracture-risk", "osteoporosis-treatment", "osteonecrosis-causes"]),
    ("unrelated condition (SNOMED CT 38341003, hypertension)", "osteokg-patient-view",
     patient_view([condition("c1", SNOMED, "38341003")]), []),
    ("unknown code system", "osteokg-patient-view",
     patient_view([condition("c1", "http://example.org/codes", "S72")]), []),
    ("no conditions", "osteokg-patient-view", patient_view([]), []),
    ("order prednisone (SNOMED CT code the graph maps)", "osteokg-order-sign",
     order_sign(medication("o1", "prednisone", {"system": SNOMED, "code": "116602009"})), ["order-osteonecrosis"]),
    ("order prednison by its Dutch name", "osteokg-order-sign",
     order_sign(medication("o1", "Prednison 30 mg")), ["order-osteonecrosis"]),
    ("order an intravenous bisphosphonate", "osteokg-order-sign",
     order_sign(medication("o1", "intravenous bisphosphonate")), ["order-osteonecrosis"]),
    ("order paracetamol", "osteokg-order-sign", order_sign(medication("o1", "Paracetamol 500 mg")), []),
    # a member substance of the bisphosphonates: no source calls it an osteoporosis medicine, so it inherits none of
    # that medication's claims, and gives no card (the graph says nothing of it that a card could quote)
    ("order alendronic acid (a member substance of the bisphosphonates): no claim, no card", "osteokg-order-sign",
     order_sign(medication("o1", "Alendronic acid 70 mg tablet")), []),
    ("order zoledroninezuur by its Dutch name: no claim, no card", "osteokg-order-sign",
     order_sign(medication("o1", "zoledroninezuur 5 mg infuus")), []),
    ("hip fracture on alendronic acid: not an osteoporosis treatment the graph knows", "osteokg-patient-view",
     patient_view([condition("c1", ICD10CM, "S72.001A")], [medication("m1", "alendronic acid 70 mg")]),
     ["refracture-risk"]),
    ("two orders signed: prednisone and an intravenous bisphosphonate", "osteokg-order-sign",
     order_sign(medication("o1", "prednisone"), medication("o2", "IV bisphosphonate")),
     ["order-osteonecrosis", "order-osteonecrosis"]),
    ("order-select: the selected bisphosphonate", "osteokg-order-select",
     order_select(["MedicationRequest/o2"], medication("o1", "Paracetamol 500 mg"), medication("o2", "IV bisphosphonate")),
     ["order-osteonecrosis"]),
    ("order-select: paracetamol selected, prednisone only drafted", "osteokg-order-select",
     order_select(["MedicationRequest/o1"], medication("o1", "Paracetamol 500 mg"), medication("o2", "prednisone")), []),
    ("the spec's example order-sign (a pureed diet, amoxicillin/clavulanate)", "osteokg-order-sign", SPEC_ORDER_SIGN, []),
    ("the spec's example order-sign ordering prednisone instead", "osteokg-order-sign",
     spec_order_sign_ordering("Prednisone 20 mg oral tablet", {"system": SNOMED, "code": "116602009"}),
     ["order-osteonecrosis"]),
]
