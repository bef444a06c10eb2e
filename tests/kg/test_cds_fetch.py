"""kg.service.cds_fetch: prefetch templates rendered from a hook's context, and missing prefetch read from a
real FHIR-like HTTP server on 127.0.0.1 (http.server in a daemon thread, stopped after the module) with
a Bearer token, pages followed and joined, and every way the read can fail refused with a message that
never holds the token."""
from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle

from kg.service.cds_fetch import Fetcher, FetchFailed, normalise, render
from kg.service.values import ServiceError
from tests.local_server import LocalServer, serving

TOKEN = "s3cr3t-Token_value.42"
AUTH = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "user/Condition.read",
        "subject": "osteokg"}
SMALL = 4096  # the max_bytes of the size tests


def _condition(base: str, id: str, patient: str) -> dict:
    return {"fullUrl": f"{base}/Condition/{id}", "search": {"mode": "match"},
            "resource": {"resourceType": "Condition", "id": id, "subject": {"reference": f"Patient/{patient}"},
                         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "5913000",
                                              "display": "Fracture of neck of femur"}]}}}


def _bundle(entries: list, next_url: str | None = None, total: int | None = None) -> dict:
    bundle: dict = {"resourceType": "Bundle", "type": "searchset", "entry": entries, "link": []}
    if total is not None:
        bundle["total"] = total
    if next_url:
        bundle["link"].append({"relation": "next", "url": next_url})
    return bundle


def _outcome(text: str, severity: str = "error") -> dict:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": "processing", "diagnostics": text}]}


class FHIR(BaseHTTPRequestHandler):
    """A small FHIR server under /fhir: searches for Condition and MedicationRequest, a Patient read, and
    answers that go wrong (routes named for what they do)."""

    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes | dict, kind: str = "application/fhir+json",
              headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers.items())))
        parts = urlsplit(self.path)
        route = parts.path.removeprefix("/fhir/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        base = self.server.base
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, _outcome("no or a wrong access token"))
        if route == "Condition":
            patient, page = query.get("patient", ""), int(query.get("page", "1"))
            here = f"{base}/Condition?patient={quote(patient, safe='')}"
            if patient == "p1":
                if page == 1:
                    return self._send(200, _bundle([_condition(base, "c1", "p1"), _condition(base, "c2", "p1")],
                                                   f"{here}&page=2", total=3))
                return self._send(200, _bundle([_condition(base, "c3", "p1")]))
            if patient == "elsewhere":  # the next page on another (allowed) server
                return self._send(200, _bundle([_condition(base, "c1", patient)],
                                               f"{self.server.other}/Condition?patient=elsewhere&page=2"))
            if patient == "loop":
                return self._send(200, _bundle([_condition(base, "c1", patient)], here))
            if patient == "endless":
                return self._send(200, _bundle([_condition(base, f"c{page}", patient)], f"{here}&page={page + 1}"))
            if patient == "outcome-entry":
                return self._send(200, _bundle([{"resource": _outcome("search failed half way")}]))
            if patient == "not-a-bundle-next":
                if page == 1:
                    return self._send(200, _bundle([_condition(base, "c1", patient)], f"{here}&page=2"))
                return self._send(200, {"resourceType": "Patient", "id": "x"})
            return self._send(200, _bundle([_condition(base, "c1", patient)]))
        if route == "MedicationRequest":
            return self._send(200, _bundle([{"fullUrl": f"{base}/MedicationRequest/m1", "resource": {
                "resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
                "subject": {"reference": f"Patient/{query.get('patient', '')}"},
                "medicationCodeableConcept": {"text": "alendroninezuur 70 mg"}}}]))
        if route == "Patient/p1":
            return self._send(200, {"resourceType": "Patient", "id": "p1"})
        if route == "Error":  # a server that echoes what it was sent, token included
            return self._send(500, _outcome(f"internal error handling token {TOKEN}"))
        if route == "Redirect":
            return self._send(302, b"", "text/plain", {"Location": f"{base}/Condition?patient=p1"})
        if route == "Slow":
            self.server.stop.wait(2.0)
            return self._send(200, {"resourceType": "Patient", "id": "slow"})
        if route == "Drip":  # each byte well within the socket timeout, the whole far past the deadline
            data = json.dumps({"resourceType": "Patient", "id": "drip"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for byte in data:
                if self.server.stop.wait(0.05):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            return None
        if route == "Big":
            return self._send(200, json.dumps({"resourceType": "Basic", "text": "x" * (2 * SMALL)}).encode())
        if route == "BigUnsized":  # no Content-Length: read until the connection closes
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.wfile.write(json.dumps({"resourceType": "Basic", "text": "x" * (2 * SMALL)}).encode())
            return None
        if route == "NotJson":
            return self._send(200, b"<html><body>Login</body></html>", "text/html")
        if route == "NoType":
            return self._send(200, {"hello": "world"}, "application/json")
        if route == "Outcome":
            return self._send(200, _outcome("patient not found"))
        return self._send(404, _outcome(f"no route {route}"))


class Server(LocalServer):
    def __init__(self) -> None:
        super().__init__(FHIR)
        self.seen: list[tuple[str, dict]] = []
        self.stop = threading.Event()
        self.base = f"http://127.0.0.1:{self.port}/fhir"
        self.other = ""


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Server, Server]]:
    main, other = Server(), Server()
    main.other = other.base
    with serving(main, main.stop), serving(other, other.stop):
        yield main, other


@pytest.fixture
def fhir(servers) -> Server:
    servers[0].seen.clear()
    servers[1].seen.clear()
    return servers[0]


def fetcher(servers, **bounds) -> Fetcher:
    return Fetcher((servers[0].base, servers[1].base), **{"timeout": 2.0, **bounds})


# ------------------------------------------------------------------ render


def test_render_quotes_context_values_for_a_query() -> None:
    assert render("Condition?patient={{context.patientId}}", {"patientId": "a b&c"}) == "Condition?patient=a%20b%26c"
    assert render("Patient/{{ context.patientId }}", {"patientId": "p/1?x=#"}) == "Patient/p%2F1%3Fx%3D%23"
    assert render("Condition?patient={{context.patientId}}&encounter={{context.encounterId}}",
                  {"patientId": "p1", "encounterId": "e9"}) == "Condition?patient=p1&encounter=e9"
    assert render("Observation?code=4548-4&_count=1", {}) == "Observation?code=4548-4&_count=1"


@pytest.mark.parametrize(("context", "why"), [
    ({}, "context.patientId"),
    ({"patientId": 123}, "context.patientId"),
    ({"patientId": ""}, "context.patientId"),
    ({"patientId": None}, "context.patientId"),
])
def test_render_refuses_a_missing_or_non_string_field(context, why) -> None:
    with pytest.raises(FetchFailed, match=why):
        render("Condition?patient={{context.patientId}}", context)


def test_render_fills_the_spec_user_tokens() -> None:
    context = {"userId": "PractitionerRole/r 1", "patientId": "p1"}
    assert render("PractitionerRole?_id={{userPractitionerRoleId}}", context) == "PractitionerRole?_id=r%201"
    assert render("Practitioner/{{userPractitionerId}}", {"userPractitionerId": "d7"}) == "Practitioner/d7"
    with pytest.raises(FetchFailed, match="userPractitionerId.*Practitioner"):
        render("Practitioner/{{userPractitionerId}}", context)
    with pytest.raises(FetchFailed, match="userPatientId"):
        render("Patient/{{userPatientId}}", {"patientId": "p1"})


@pytest.mark.parametrize("template", [
    "Observation?date=gt{{today() - 90 days}}",
    "Practitioner?_id={{%encounter.participant.individual.resolve().id}}",
    "Condition?_id={{context.draftOrders.entry.resource.id}}",
    "Condition?patient={{context.patientId",
    "Condition?patient=context.patientId}}",
])
def test_render_refuses_tokens_it_cannot_fill(template) -> None:
    with pytest.raises(FetchFailed, match="token"):
        render(template, {"patientId": "p1", "draftOrders": {"entry": []}})


# ------------------------------------------------------------------ the allow-list


def test_allows_compares_normalised_base_urls() -> None:
    fetch = Fetcher(("https://EHR.example.org/fhir/",))
    for same in ("https://ehr.example.org/fhir", "HTTPS://ehr.EXAMPLE.org:443/fhir/", " https://ehr.example.org/fhir "):
        assert fetch.allows(same), same
    for other in ("https://ehr.example.org/fhir2", "https://ehr.example.org/FHIR", "http://ehr.example.org/fhir",
                  "https://ehr.example.org:8443/fhir", "https://user:pw@ehr.example.org/fhir",
                  "https://ehr.example.org/fhir?x=1", "https://ehr.example.org/fhir#f",
                  "https://ehr.example.org.evil.example/fhir", "https://ehr.example.org", "ftp://ehr.example.org/fhir",
                  "https://ehr.example.org:99999/fhir", "", "ehr.example.org/fhir", 42):
        assert not fetch.allows(other), other  # type: ignore[arg-type]
    assert not Fetcher(()).allows("https://ehr.example.org/fhir")
    assert normalise("http://[::1]:8080/r4/") == "http://[::1]:8080/r4"
    assert Fetcher(("http://[::1]:8080/r4",)).allows("http://[0:0::1]:8080/r4") is False  # no address games


def test_from_settings_parses_the_space_separated_list() -> None:
    assert Fetcher.from_settings("", 5.0) == Fetcher((), 5.0)
    fetch = Fetcher.from_settings("  https://a.example/fhir \n http://127.0.0.1:8080/r4/ ", 0.5)
    assert fetch.servers == ("https://a.example/fhir", "http://127.0.0.1:8080/r4/") and fetch.timeout == 0.5
    assert fetch.allows("http://127.0.0.1:8080/r4") and fetch.allows("https://a.example:443/fhir/")
    for bad in ("ftp://a.example/fhir", "https://a.example/fhir not-a-url", "https://u@a.example/fhir",
                "https://a.example/fhir?_format=json"):
        with pytest.raises(ValueError, match="base URL"):
            Fetcher.from_settings(bad, 5.0)
    with pytest.raises(ValueError, match="timeout"):
        Fetcher.from_settings("https://a.example/fhir", 0)


# ------------------------------------------------------------------ reading


def test_read_follows_next_pages_and_joins_them_into_a_valid_bundle(servers, fhir) -> None:
    bundle = fetcher(servers).read(fhir.base, render("Condition?patient={{context.patientId}}", {"patientId": "p1"}),
                                   AUTH)
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["c1", "c2", "c3"]
    assert bundle["type"] == "searchset" and bundle["total"] == 3
    assert bundle["link"] == [{"relation": "self", "url": f"{fhir.base}/Condition?patient=p1"}]
    parsed = Bundle.model_validate(bundle)
    assert [entry.resource.get_resource_type() for entry in parsed.entry] == ["Condition"] * 3
    assert [path for path, _ in fhir.seen] == ["/fhir/Condition?patient=p1", "/fhir/Condition?patient=p1&page=2"]
    for _, headers in fhir.seen:  # the token on every page, FHIR JSON asked for
        assert headers["Authorization"] == f"Bearer {TOKEN}" and headers["Accept"] == "application/fhir+json"


def test_read_sends_quoted_ids_and_reads_single_pages_and_resources(servers, fhir) -> None:
    fetch = fetcher(servers)
    query = render("Condition?patient={{context.patientId}}", {"patientId": "a b&c"})
    bundle = fetch.read(fhir.base + "/", query, {**AUTH, "token_type": "bearer"})
    assert bundle["entry"][0]["resource"]["subject"]["reference"] == "Patient/a b&c"
    medications = fetch.read(fhir.base, "MedicationRequest?patient=p1", AUTH)
    assert Bundle.model_validate(medications).entry[0].resource.id == "m1"
    assert fetch.read(fhir.base, "Patient/p1", AUTH) == {"resourceType": "Patient", "id": "p1"}


def test_read_uses_no_proxy_from_the_environment(servers, fhir, monkeypatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: a proxied read would fail
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert fetcher(servers).read(fhir.base, "Patient/p1", AUTH)["id"] == "p1"


def test_a_next_link_to_another_server_is_not_followed(servers, fhir) -> None:
    other = servers[1]
    with pytest.raises(FetchFailed, match="'next' link .* is not under the fhirServer"):
        fetcher(servers).read(fhir.base, "Condition?patient=elsewhere", AUTH)
    assert other.seen == []  # never asked (the token would have gone with the request)


def test_pages_are_bounded_and_never_partial(servers, fhir) -> None:
    with pytest.raises(FetchFailed, match="more than 3 further pages"):
        fetcher(servers, max_pages=3).read(fhir.base, "Condition?patient=endless", AUTH)
    assert len(fhir.seen) == 4
    with pytest.raises(FetchFailed, match="already read"):
        fetcher(servers).read(fhir.base, "Condition?patient=loop", AUTH)
    with pytest.raises(FetchFailed, match="not a searchset Bundle"):
        fetcher(servers).read(fhir.base, "Condition?patient=not-a-bundle-next", AUTH)
    with pytest.raises(FetchFailed, match="reported an error: error processing: search failed half way"):
        fetcher(servers).read(fhir.base, "Condition?patient=outcome-entry", AUTH)


FAILURES = [  # (query, authorization, what the message says, status)
    ("Condition?patient=p1", None, "answered 401", 401),
    ("Condition?patient=p1", {**AUTH, "access_token": "not-the-token-9"}, "answered 401 .*wrong access token", 401),
    ("Error", AUTH, r"answered 500 \(error processing: internal error handling token \[access token\]\)", 500),
    ("Redirect", AUTH, "answered 302 \\(a redirect, not followed\\)", 302),
    ("Slow", AUTH, "no answer within 0.5 s", None),
    ("Drip", AUTH, "no answer within 0.5 s", None),
    ("Big", AUTH, f"larger than {SMALL} bytes", 200),
    ("BigUnsized", AUTH, f"larger than {SMALL} bytes", 200),
    ("NotJson", AUTH, "not JSON", 200),
    ("NoType", AUTH, "not a FHIR resource", 200),
    ("Outcome", AUTH, "answered an OperationOutcome: error processing: patient not found", 200),
    ("Nowhere", AUTH, "answered 404 .*no route Nowhere", 404),
    ("../admin", AUTH, "leaves the fhirServer", None),
    ("Condition/%2e%2e/%2E%2E/admin", AUTH, "leaves the fhirServer", None),
    ("http://evil.example/x", AUTH, "not a relative FHIR URL", None),
    ("//evil.example/x", AUTH, "not a relative FHIR URL", None),
    ("/Condition", AUTH, "not a relative FHIR URL", None),
    ("Condition?patient=a b", AUTH, "not a relative FHIR URL", None),
    ("Patient/p1", {**AUTH, "token_type": "MAC"}, "token_type", None),
    ("Patient/p1", {**AUTH, "access_token": TOKEN + "\r\nX-Evil: 1"}, "not a bearer token", None),
    ("Patient/p1", "Bearer " + TOKEN, "must be an object", None),
]


@pytest.mark.parametrize(("query", "authorization", "why", "status"), FAILURES)
def test_each_failure_says_what_failed_without_the_token(servers, fhir, query, authorization, why, status) -> None:
    with pytest.raises(FetchFailed, match=why) as raised:
        fetcher(servers, timeout=0.5, max_bytes=SMALL).read(fhir.base, query, authorization)
    error = raised.value
    assert isinstance(error, ServiceError) and error.status == status
    assert TOKEN not in str(error) and TOKEN not in repr(error.args)
    assert error.__cause__ is None and error.__context__ is None  # nothing chained that could show the token
    if status is None and "answer within" not in why:
        assert fhir.seen == []  # refused before any request
    if query == "Redirect":
        assert [path for path, _ in fhir.seen] == ["/fhir/Redirect"]  # the Location was never asked


def test_servers_that_are_not_allowed_or_not_reachable(servers, fhir) -> None:
    fetch = fetcher(servers)
    with pytest.raises(FetchFailed, match="not an http\\(s\\) URL"):
        fetch.read("ftp://127.0.0.1/fhir", "Patient/p1", AUTH)
    with pytest.raises(FetchFailed, match="not one this service may read"):
        fetch.read(fhir.base.replace("/fhir", "/other"), "Patient/p1", AUTH)
    with pytest.raises(FetchFailed, match="no FHIR server is allowed"):
        Fetcher(()).read(fhir.base, "Patient/p1", AUTH)
    with pytest.raises(FetchFailed, match="'https://127.0.0.1/fhir'"):  # the user-info is not repeated
        fetch.read("https://user:pw@127.0.0.1/fhir", "Patient/p1", AUTH)
    assert fhir.seen == []
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/fhir"
    with pytest.raises(FetchFailed, match="could not be read \\(connection refused\\)") as raised:
        Fetcher((closed,)).read(closed, "Patient/p1", AUTH)
    assert TOKEN not in str(raised.value)


def test_https_certificates_are_verified(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = Server()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    base = f"https://127.0.0.1:{server.port}/fhir"
    with serving(server, server.stop):
        with pytest.raises(FetchFailed, match="TLS: CERTIFICATE_VERIFY_FAILED"):  # self-signed: not trusted
            Fetcher((base,), timeout=2.0).read(base, "Patient/p1", AUTH)
        assert server.seen == []
