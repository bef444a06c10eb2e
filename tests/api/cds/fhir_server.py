"""A small FHIR server on 127.0.0.1 for the CDS door's tests: it holds resources per patient and answers
the services' prefetch searches (``Condition?patient=…``, ``MedicationRequest?patient=…``) with searchset
Bundles, only to the bearer token it was given; it records each request's path and Authorization."""
from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.local_server import LocalServer, serving


class FHIRServer(LocalServer):
    def __init__(self, resources: list[dict], token: str) -> None:
        super().__init__(_Handler)
        self.resources, self.token = resources, token
        self.seen: list[tuple[str, str | None]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/fhir"


class _Handler(BaseHTTPRequestHandler):
    server: FHIRServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self._answer(401, {"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "login", "diagnostics": "a bearer token is required"}]})
            return
        url = urllib.parse.urlsplit(self.path)
        kind = url.path.removeprefix("/fhir/")
        patient = urllib.parse.parse_qs(url.query).get("patient", [""])[0]
        entries = [{"fullUrl": f"{self.server.base}/{r['resourceType']}/{r['id']}", "resource": r}
                   for r in self.server.resources if r["resourceType"] == kind
                   and r.get("subject", {}).get("reference") == f"Patient/{patient}"]
        self._answer(200, {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})


@contextmanager
def fhir_server(resources: list[dict], token: str) -> Iterator[FHIRServer]:
    """The server, running in a thread; stopped when the block ends."""
    with serving(FHIRServer(resources, token)) as server:
        yield server
