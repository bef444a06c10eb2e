"""CDS Hooks over real HTTP: a real `osteokg serve` on 127.0.0.1 (two workers, trusting a CDS client whose
keys are made here), the spec's example requests and the clinical scenarios posted by urllib with a
signed bearer token each, every answer validated against the schemas written from the spec."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

import jsonschema
import pytest

from tests.api.cds.fhir_server import fhir_server
from tests.api.cds.keys import BASE_URL, make_keys
from tests.api.cds.scenarios import (
    ICD10CM,
    SCENARIOS,
    SPEC_ORDER_SIGN,
    SPEC_PATIENT_VIEW,
    condition,
    schema,
)
from tests.api.conftest import start_server, stop_server

RESPONSE = jsonschema.Draft202012Validator(schema("response"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


KEYS = make_keys()


@pytest.fixture(scope="module")
def fhir():
    """The CDS client's FHIR server: a hip fracture on record for the spec's patient 1288992."""
    hip = condition("c9", ICD10CM, "S72.001A", "Fracture of neck of right femur")
    with fhir_server([hip], SPEC_PATIENT_VIEW["fhirAuthorization"]["access_token"]) as server:
        yield server


@pytest.fixture(scope="module")
def base(build_dir, tmp_path_factory, fhir):
    folder = tmp_path_factory.mktemp("cds-http")
    process, url = start_server(build_dir, {"OSTEOKG_BASE_URL": BASE_URL, "OSTEOKG_DATA_DIR": str(folder / "data"),
                                            "OSTEOKG_CDS_ISSUERS": str(KEYS.issuers_file(folder)),
                                            "OSTEOKG_CDS_FHIR_SERVERS": fhir.base}, workers=2)
    try:
        yield url
    finally:
        stop_server(process)


def post(url: str, body: bytes, lang: str = "en", bearer: str | None = "sign") -> tuple[int, Message, dict]:
    """POST ``body`` to ``url`` (on the test server) with a token for its public URL (BASE_URL + path)."""
    path = urllib.parse.urlsplit(url).path
    headers = {"Content-Type": "application/json", "Accept": "application/json", "Accept-Language": lang}
    if bearer is not None:
        headers["Authorization"] = KEYS.bearer(BASE_URL + path.lstrip("/")) if bearer == "sign" else bearer
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_discovery(base) -> None:
    with urllib.request.urlopen(f"{base}/cds-services", timeout=30) as response:
        body = json.loads(response.read())
        assert response.headers["Access-Control-Allow-Origin"]
    jsonschema.Draft202012Validator(schema("discovery")).validate(body)
    assert [s["id"] for s in body["services"]] == ["osteokg-patient-view", "osteokg-order-select", "osteokg-order-sign"]


def test_the_spec_example_request_gets_412_without_the_prefetch(base) -> None:
    """Verbatim, its fhirServer (hooks.smarthealthit.org) is not one this service may read: 412, nothing fetched."""
    status, _headers, body = post(f"{base}/cds-services/osteokg-patient-view", json.dumps(SPEC_PATIENT_VIEW).encode())
    assert status == 412 and "conditions" in body["detail"] and "fhirServer" in body["detail"]


def test_the_spec_example_request_reads_an_allowed_fhir_server(base, fhir) -> None:
    """With its fhirServer on 127.0.0.1 (allowed), the data is read with its access token: the re-fracture card."""
    request = {**SPEC_PATIENT_VIEW, "fhirServer": fhir.base}
    for lang in ("nl", "en"):
        status, _headers, answer = post(f"{base}/cds-services/osteokg-patient-view", json.dumps(request).encode(), lang)
        assert status == 200, answer
        RESPONSE.validate(answer)
        [card] = answer["cards"]
        assert "Fracture of neck of right femur" in card["detail"]
        assert "tot vijfmaal in het eerste jaar" in card["detail"]  # the source's quote, in either language


@pytest.mark.parametrize(("name", "service", "body", "want"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenarios_over_http(base, name, service, body, want) -> None:
    for lang in ("nl", "en"):
        status, _headers, answer = post(f"{base}/cds-services/{service}", json.dumps(body).encode(), lang)
        assert status == 200, answer
        RESPONSE.validate(answer)
        assert len(answer["cards"]) == len(want)


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"hook": 1}', json.dumps({**SPEC_PATIENT_VIEW, "hook": "order-sign"}).encode(),
                                  "\u00ff".encode("latin-1"),
                                  json.dumps({**SPEC_PATIENT_VIEW, "prefetch": {
                                      "conditions": {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Foo"}}]},
                                      "medications": {"resourceType": "Bundle"}}}).encode()])
def test_malformed_requests_get_400_never_500(base, body) -> None:
    status, _headers, answer = post(f"{base}/cds-services/osteokg-patient-view", body)
    assert status == 400 and answer["detail"]


def test_the_spec_example_order_sign_gets_no_card(base) -> None:
    status, _headers, answer = post(f"{base}/cds-services/osteokg-order-sign", json.dumps(SPEC_ORDER_SIGN).encode())
    assert status == 200 and answer == {"cards": []}


def test_a_token_replayed_to_either_worker_is_refused(base) -> None:
    url = f"{base}/cds-services/osteokg-order-sign"
    bearer = KEYS.bearer(f"{BASE_URL}cds-services/osteokg-order-sign")
    assert post(url, json.dumps(SPEC_ORDER_SIGN).encode(), bearer=bearer)[0] == 200
    for _ in range(6):  # two workers: some of these reach the other one; the jti store is shared
        status, headers, answer = post(url, json.dumps(SPEC_ORDER_SIGN).encode(), bearer=bearer)
        assert status == 401 and "jti" in answer["detail"] and headers["WWW-Authenticate"].startswith("Bearer")


def test_unsigned_calls_get_401(base) -> None:
    status, _headers, answer = post(f"{base}/cds-services/osteokg-order-sign", json.dumps(SPEC_ORDER_SIGN).encode(),
                                    bearer=None)
    assert status == 401 and "Bearer" in answer["detail"]


def test_feedback_over_http(base) -> None:
    status, _headers, answer = post(f"{base}/cds-services/osteokg-patient-view", json.dumps(SCENARIOS[0][2]).encode())
    card = answer["cards"][0]
    status, _headers, kept = post(f"{base}/cds-services/osteokg-patient-view/feedback", json.dumps({"feedback": [
        {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
         "outcomeTimestamp": "2026-12-01T10:05:31Z"}]}).encode())
    assert status == 200 and kept == {"stored": 1}
