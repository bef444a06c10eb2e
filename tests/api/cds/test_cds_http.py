"""CDS Hooks over real HTTP: a real `osteokg serve` on 127.0.0.1, the spec's example request and the
clinical scenarios posted by urllib, each answer validated against the schemas written from the spec."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import jsonschema
import pytest

from tests.api.cds.scenarios import SCENARIOS, SPEC_PATIENT_VIEW, schema
from tests.api.conftest import start_server, stop_server

RESPONSE = jsonschema.Draft202012Validator(schema("response"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def base(build_dir):
    process, url = start_server(build_dir)
    try:
        yield url
    finally:
        stop_server(process)


def post(url: str, body: bytes, lang: str = "en") -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json", "Accept-Language": lang})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_discovery(base) -> None:
    with urllib.request.urlopen(f"{base}/cds-services", timeout=30) as response:
        body = json.loads(response.read())
        assert response.headers["Access-Control-Allow-Origin"]
    jsonschema.Draft202012Validator(schema("discovery")).validate(body)
    assert [s["id"] for s in body["services"]] == ["osteokg-patient-view", "osteokg-order-select", "osteokg-order-sign"]


def test_the_spec_example_request_gets_412_without_the_prefetch(base) -> None:
    status, _headers, body = post(f"{base}/cds-services/osteokg-patient-view", json.dumps(SPEC_PATIENT_VIEW).encode())
    assert status == 412 and "conditions" in body["detail"]


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
