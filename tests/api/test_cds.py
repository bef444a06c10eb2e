"""api/cds.py through the Flask app: the bearer-token check on every service call and feedback, the
feedback kept whole or not at all and checked against the cards issued, the owner's view, CORS for a
browser-based CDS client, and the 4xx/503 answers (never a 500). Tokens are signed here (tests/api/cds/keys.py);
the scenarios over a real server are in tests/api/cds/test_cds_http.py."""
from __future__ import annotations

import copy
import json
import sqlite3

import jsonschema
import pytest

from api import create_app
from tests.api.cds.fhir_server import fhir_server
from tests.api.cds.keys import BASE_URL, make_keys
from tests.api.cds.scenarios import (
    SCENARIOS,
    SPEC_ORDER_SIGN,
    SPEC_PATIENT_VIEW,
    condition,
    patient_view,
    schema,
)

PATIENT_VIEW = f"{BASE_URL}cds-services/osteokg-patient-view"
FEEDBACK = f"{PATIENT_VIEW}/feedback"
HIP = patient_view([condition("c1", "http://hl7.org/fhir/sid/icd-10-cm", "S72.001A")])
OWNER = "an owner token of enough length"


@pytest.fixture(scope="module")
def keys():
    return make_keys()


@pytest.fixture
def door(build_dir, keys, tmp_path):
    """An app that trusts the test client's keys, with its own data folder."""
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                      "DATA_DIR": str(tmp_path / "data"), "CDS_ISSUERS": str(keys.issuers_file(tmp_path)),
                      "CDS_OWNER_TOKEN": OWNER})
    return app


def post(client, keys, path: str, body, aud: str | None = None, **headers):
    url = path.removeprefix(BASE_URL.rstrip("/"))
    auth = {"Authorization": keys.bearer(aud or path)} if keys is not None else {}
    return client.post(url, data=json.dumps(body), content_type="application/json", headers={**auth, **headers})


def cards_for(client, keys, body=HIP) -> list[dict]:
    answer = post(client, keys, PATIENT_VIEW, body)
    assert answer.status_code == 200, answer.json
    return answer.json["cards"]


def stored(door) -> int:
    with sqlite3.connect(f"{door.config['DATA_DIR']}/cds.sqlite") as connection:
        return connection.execute("SELECT count(*) FROM feedback").fetchone()[0]


# ---------------------------------------------------------------- the token

def test_a_signed_call_is_answered_and_the_token_cannot_be_replayed(door, keys) -> None:
    client = door.test_client()
    bearer = keys.bearer(PATIENT_VIEW)
    first = client.post("/cds-services/osteokg-patient-view", json=HIP, headers={"Authorization": bearer})
    assert first.status_code == 200 and first.json["cards"]
    again = client.post("/cds-services/osteokg-patient-view", json=HIP, headers={"Authorization": bearer})
    assert again.status_code == 401 and "jti" in again.json["detail"]
    assert again.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("headers", "aud", "says"), [
    ({}, None, "Authorization: Bearer"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, None, "Authorization: Bearer"),
    (None, f"{BASE_URL}cds-services/osteokg-order-sign", "aud"),  # a token for another service
    (None, "http://127.0.0.1:8000/cds-services/osteokg-patient-view", "aud"),  # not the public URL
])
def test_calls_without_a_valid_token_get_401(door, keys, headers, aud, says) -> None:
    client = door.test_client()
    if headers is None:
        headers = {"Authorization": keys.bearer(aud)}
    answer = client.post("/cds-services/osteokg-patient-view", json=HIP, headers=headers)
    assert answer.status_code == 401 and says in answer.json["detail"]
    assert answer.mimetype == "application/problem+json"


def test_an_expired_token_and_an_untrusted_issuer(door, keys) -> None:
    client = door.test_client()
    for bearer, says in ((keys.bearer(PATIENT_VIEW, exp=1), "expired"),
                         (keys.bearer(PATIENT_VIEW, iss="https://other.example"), "iss")):
        answer = client.post("/cds-services/osteokg-patient-view", json=HIP, headers={"Authorization": bearer})
        assert answer.status_code == 401 and says in answer.json["detail"]


def test_no_trusted_issuer_configured_refuses_every_call(build_dir, keys, tmp_path, caplog) -> None:
    with caplog.at_level("WARNING", logger="osteokg.cds"):
        app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                          "DATA_DIR": str(tmp_path), "CDS_ISSUERS": None})
    assert "OSTEOKG_CDS_ISSUERS is not set" in caplog.text
    answer = post(app.test_client(), keys, PATIENT_VIEW, HIP)
    assert answer.status_code == 401 and "OSTEOKG_CDS_ISSUERS" in answer.json["detail"]


def test_auth_off_is_explicit_and_logged(build_dir, tmp_path, caplog) -> None:
    with caplog.at_level("WARNING", logger="osteokg.cds"):
        app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "DATA_DIR": str(tmp_path), "CDS_AUTH": False})
    assert "OSTEOKG_CDS_AUTH=off" in caplog.text and "WITHOUT a bearer token" in caplog.text
    answer = app.test_client().post("/cds-services/osteokg-patient-view", json=HIP)
    assert answer.status_code == 200 and answer.json["cards"]


def test_a_bad_issuers_file_stops_the_app_naming_it(build_dir, tmp_path) -> None:
    from kg.service.cds_auth import IssuersError

    path = tmp_path / "issuers.json"
    path.write_text("{not json")
    with pytest.raises(IssuersError, match="OSTEOKG_CDS_ISSUERS"):
        create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "CDS_ISSUERS": str(path)})


def test_discovery_needs_no_token_and_says_its_versions(door) -> None:
    services = door.test_client().get("/cds-services").json["services"]
    jsonschema.Draft202012Validator(schema("discovery")).validate({"services": services})
    assert {(s["version"], s["hookVersion"]) for s in services} == {("2.0.1", "1.0")}


def test_unknown_service_is_404_before_the_token(door, keys) -> None:
    answer = door.test_client().post("/cds-services/nope", json=HIP)
    assert answer.status_code == 404


def test_cors_preflight_allows_the_bearer_header(door) -> None:
    answer = door.test_client().options("/cds-services/osteokg-patient-view", headers={
        "Origin": "https://ehr.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert answer.status_code in (200, 204)
    allowed = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert answer.headers["Access-Control-Allow-Origin"]


# ---------------------------------------------------------------- feedback

def test_feedback_accepted_and_overridden_are_kept_and_shown_to_the_owner(door, keys) -> None:
    client = door.test_client()
    card = cards_for(client, keys)[0]
    reason = card["overrideReasons"][0]
    body = {"feedback": [
        {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
         "outcomeTimestamp": "2026-12-01T10:05:31Z"},
        {"card": card["uuid"], "outcome": "overridden", "overrideReason": {"reason": reason, "userComment": "seen"},
         "outcomeTimestamp": "2026-12-01T10:06:00.52+01:00"}]}
    answer = post(client, keys, FEEDBACK, body)
    assert answer.status_code == 200 and answer.json == {"stored": 2}
    view = client.get("/cds-services/osteokg-patient-view/feedback", headers={"Authorization": f"Bearer {OWNER}"})
    assert view.status_code == 200 and view.headers["Cache-Control"] == "no-store" and "ETag" not in view.headers
    shown = view.json
    assert shown["total"] == 2 and shown["rules"]["refracture-risk"]["issued"] == 1
    assert shown["rules"]["refracture-risk"]["accepted"] == 1 and shown["rules"]["refracture-risk"]["overridden"] == 1
    assert [r["code"] for r in shown["rules"]["refracture-risk"]["reasons"].values()] == [reason["code"]]
    newest = shown["feedback"][0]
    assert newest["outcome"] == "overridden" and newest["overrideReason"]["userComment"] == "seen"
    assert newest["summary"] == card["summary"] and newest["card"] == card["uuid"]
    assert shown["feedback"][1]["acceptedSuggestions"] == [{"id": card["suggestions"][0]["uuid"]}]
    # the spec's overridden-without-a-reason outcome
    bare = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:07:00Z"}]}
    assert post(client, keys, FEEDBACK, bare).json == {"stored": 1}


@pytest.mark.parametrize(("item", "says"), [
    ({"outcome": "overridden", "card": None}, "card"),
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": "accepted", "acceptedSuggestions": []}, "acceptedSuggestions is required"),
    ({"outcome": "accepted", "acceptedSuggestions": [{"id": "not-a-suggestion-of-it"}]}, "not a suggestion"),
    ({"outcome": "overridden", "overrideReason": {"reason": {"system": "https://x.example", "code": "y"}}},
     "not one of the card's overrideReasons"),
    ({"outcome": "overridden", "overrideReason": {}}, "reason or a userComment"),
    ({"outcome": "overridden", "outcomeTimestamp": "yesterday"}, "RFC 3339"),
    ({"outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00"}, "RFC 3339"),  # no offset
    ({"outcome": "overridden", "card": "00000000-0000-0000-0000-000000000000"}, "no card"),
])
def test_bad_feedback_is_400_and_nothing_of_the_request_is_kept(door, keys, item, says) -> None:
    client = door.test_client()
    card = cards_for(client, keys)[0]
    good = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z"}
    bad = {k: v for k, v in {"card": card["uuid"], "outcomeTimestamp": "2026-12-01T10:00:00Z", **item}.items()
           if v is not None}
    answer = post(client, keys, FEEDBACK, {"feedback": [good, bad]})
    assert answer.status_code == 400 and says in answer.json["detail"] and "nothing was kept" in answer.json["detail"]
    assert stored(door) == 0


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"feedback": {}}', b'{"feedback": []}', b'{"feedback": [1]}'])
def test_malformed_feedback_bodies(door, keys, body) -> None:
    answer = door.test_client().post("/cds-services/osteokg-patient-view/feedback", data=body,
                                     content_type="application/json", headers={"Authorization": keys.bearer(FEEDBACK)})
    assert answer.status_code == 400 and answer.json["detail"]


def test_feedback_on_another_services_card_is_refused(door, keys) -> None:
    client = door.test_client()
    card = cards_for(client, keys)[0]
    sign = f"{BASE_URL}cds-services/osteokg-order-sign/feedback"
    answer = post(client, keys, sign, {"feedback": [
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z"}]})
    assert answer.status_code == 400 and "osteokg-order-sign" in answer.json["detail"]


def test_feedback_needs_the_token_for_its_own_url(door, keys) -> None:
    client = door.test_client()
    card = cards_for(client, keys)[0]
    body = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z"}]}
    assert post(client, keys, FEEDBACK, body, aud=PATIENT_VIEW).status_code == 401  # the service's URL, not feedback's
    assert post(client, None, FEEDBACK, body).status_code == 401
    assert stored(door) == 0


def test_the_owner_view_is_guarded(build_dir, door, keys, tmp_path) -> None:
    client = door.test_client()
    path = "/cds-services/osteokg-patient-view/feedback"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(f"{path}?limit=0", headers={"Authorization": f"Bearer {OWNER}"}).status_code == 400
    assert client.get(f"{path}?colour=red", headers={"Authorization": f"Bearer {OWNER}"}).status_code == 400
    off = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "DATA_DIR": str(tmp_path / "off")})
    answer = off.test_client().get(path, headers={"Authorization": f"Bearer {OWNER}"})
    assert answer.status_code == 403 and "OSTEOKG_CDS_OWNER_TOKEN" in answer.json["detail"]


def test_an_unwritable_data_folder_is_503_not_500(build_dir, keys, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                      "DATA_DIR": str(blocker / "data"), "CDS_ISSUERS": str(keys.issuers_file(tmp_path))})
    answer = post(app.test_client(), keys, PATIENT_VIEW, HIP)
    assert answer.status_code == 503 and "nothing was kept" in answer.json["detail"]


def test_every_scenario_card_can_receive_feedback(door, keys) -> None:
    """Each card of every scenario (and the spec's order-sign example) is remembered under its service."""
    client = door.test_client()
    for _name, service, body, want in [*SCENARIOS, ("spec", "osteokg-order-sign", SPEC_ORDER_SIGN, [])]:
        url = f"{BASE_URL}cds-services/{service}"
        answer = post(client, keys, url, body)
        assert answer.status_code == 200 and len(answer.json["cards"]) == len(want)
        for card in answer.json["cards"]:
            given = post(client, keys, f"{url}/feedback", {"feedback": [
                {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z"}]})
            assert given.status_code == 200, given.json


# ---------------------------------------------------------------- prefetch read from the client's FHIR server

def test_the_spec_example_patient_view_reads_its_data_from_an_allowed_fhir_server(build_dir, keys, tmp_path) -> None:
    """The spec's example request (no conditions in its prefetch) with its fhirServer on 127.0.0.1, holding a
    hip fracture for patient 1288992: the service reads both searches with the request's access token."""
    hip = condition("c9", "http://hl7.org/fhir/sid/icd-10-cm", "S72.001A", "Fracture of neck of right femur")
    with fhir_server([hip], SPEC_PATIENT_VIEW["fhirAuthorization"]["access_token"]) as fhir:
        body = {**copy.deepcopy(SPEC_PATIENT_VIEW), "fhirServer": fhir.base}
        allowed = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                              "DATA_DIR": str(tmp_path / "data"), "CDS_ISSUERS": str(keys.issuers_file(tmp_path)),
                              "CDS_FHIR_SERVERS": f"https://fhir.other.example {fhir.base}/"})
        answer = post(allowed.test_client(), keys, PATIENT_VIEW, body)
        assert answer.status_code == 200, answer.json
        [card] = answer.json["cards"]
        assert "Fracture of neck of right femur" in card["detail"] and card["summary"]
        assert sorted(path.split("?")[0] for path, _auth in fhir.seen) == ["/fhir/Condition", "/fhir/MedicationRequest"]
        assert {auth for _path, auth in fhir.seen} == {"Bearer some-opaque-fhir-access-token"}
        # the same request to an app that may not read that server: 412, and the server is not asked
        fhir.seen.clear()
        closed = post(create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                                  "DATA_DIR": str(tmp_path / "data"),
                                  "CDS_ISSUERS": str(keys.issuers_file(tmp_path))}).test_client(), keys, PATIENT_VIEW, body)
        assert closed.status_code == 412 and "OSTEOKG_CDS_FHIR_SERVERS" in closed.json["detail"] and not fhir.seen
        # a wrong access token: the FHIR server's 401 becomes the service's 412, naming what failed
        wrong = {**body, "fhirAuthorization": {**body["fhirAuthorization"], "access_token": "not-it"}}
        refused = post(allowed.test_client(), keys, PATIENT_VIEW, wrong)
        assert refused.status_code == 412 and "401" in refused.json["detail"] and "not-it" not in refused.json["detail"]


def test_the_example_in_the_docs_is_what_the_service_answers(build_dir, tmp_path) -> None:
    """docs/cds-hooks.md's example call (its curl body) gives the card shown there (abridged fields aside)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cds-hooks.md").read_text(encoding="utf-8")
    body = json.loads(re.search(r"-d '(\{.*?\})'\n", text, re.S).group(1))
    shown = json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))["cards"][0]
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "DATA_DIR": str(tmp_path), "CDS_AUTH": False})
    [card] = app.test_client().post("/cds-services/osteokg-order-sign", json=body,
                                    headers={"Accept-Language": "en"}).json["cards"]
    for field in ("summary", "indicator", "detail", "source"):
        assert card[field] == shown[field], field
    assert shown["overrideReasons"][0] in card["overrideReasons"]


def test_a_bad_fhir_server_setting_stops_the_app_naming_it(build_dir) -> None:
    from kg.settings import SettingError

    with pytest.raises(SettingError, match="OSTEOKG_CDS_FHIR_SERVERS"):
        create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "CDS_FHIR_SERVERS": "ftp://fhir.example"})
