"""The CDS Hooks 2.0 door: discovery, the services, their feedback and the owner's view of it.

- ``GET /cds-services``: discovery (no token needed: it says only what the services are).
- ``POST /cds-services/{id}``: a service call. The bearer token is checked first (:mod:`kg.service.cds_auth`,
  ``aud`` the URL called, under ``OSTEOKG_BASE_URL``), then :mod:`kg.service.cds` answers; the cards it
  gives are remembered (:mod:`kg.service.cds_store`) so that feedback can be checked against them.
- ``POST /cds-services/{id}/feedback``: accepted / overridden outcomes, checked whole and kept in one
  transaction (the same token check).
- ``GET /cds-services/{id}/feedback``: the service owner's view (``Authorization: Bearer
  <OSTEOKG_CDS_OWNER_TOKEN>``; off while that setting is unset), never cached.

A thin layer: this module reads the body, the language (``Accept-Language``, nl or en; ``?lang=``) and
the token, and maps the logic's errors to the spec's status codes as problem+json — 400 malformed, 401
token, 404 unknown service, 412 prefetch missing and not readable, 503 the data folder not writable —
never a 500. ``OSTEOKG_CDS_AUTH=off`` skips the token check, for local use only; it is logged as a
warning when the app starts. CORS comes from api/http.py (Authorization among the allowed headers).
"""
from __future__ import annotations

import hmac
import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from api import graph
from api.errors import problem
from api.params import OFFSET_MAX, language, only, paging
from kg import settings
from kg.service import cds_store
from kg.service.cds import CDS, SERVICES, Malformed, PrefetchMissing, service
from kg.service.cds_auth import KeyFor, Unauthorized, check, issuers_file
from kg.service.cds_fetch import Fetcher
from kg.service.cds_store import FILE, BadFeedback, CDSStore, StoreFailed
from kg.settings import SettingError

bp = Blueprint("cds", __name__)
EXTENSION = "osteokg_cds"
log = logging.getLogger("osteokg.cds")


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


_ID = [{"name": "service_id", "in": "path", "required": True, "description": "One of the services of /cds-services.",
        "schema": {"type": "string", "enum": list(SERVICES)}}]
_TEXT = {"type": "string", "minLength": 1, "maxLength": cds_store.MAX_TEXT}
_SOME_TEXT = {"type": ["string", "null"], "maxLength": cds_store.MAX_TEXT}
#: a feedback request as kg.service.cds_store checks it (the spec's Feedback table); what the document cannot say:
#: each card (and suggestion, and override reason) must be one this door issued (400 otherwise)
_FEEDBACK = {"type": "object", "required": ["feedback"], "properties": {"feedback": {
    "type": "array", "minItems": 1, "maxItems": cds_store.MAX_ITEMS, "items": {
        "type": "object", "required": ["card", "outcome", "outcomeTimestamp"],
        "properties": {
            "card": _TEXT, "outcome": {"enum": sorted(cds_store.OUTCOMES)},
            "outcomeTimestamp": {"type": "string", "format": "date-time", "maxLength": cds_store.MAX_TEXT,
                                 "description": "RFC 3339, with its offset (2021-12-11T10:05:31Z)."},
            "acceptedSuggestions": {"type": ["array", "null"], "items": {
                "type": "object", "required": ["id"], "properties": {"id": _TEXT}}},
            "overrideReason": {"type": ["object", "null"], "properties": {
                "userComment": _SOME_TEXT,
                "reason": {"type": ["object", "null"], "required": ["system", "code"],
                           "properties": {"system": _TEXT, "code": _TEXT, "display": _SOME_TEXT}}}}},
        "if": {"properties": {"outcome": {"const": "accepted"}}},
        "then": {"required": ["acceptedSuggestions"], "properties": {
            "acceptedSuggestions": {"type": "array", "minItems": 1}, "overrideReason": {"type": "null"}}},
        "else": {"properties": {"acceptedSuggestions": {"type": "null"}, "overrideReason": {
            "anyOf": [{"type": "null"},
                      {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "object"}}},
                      {"type": "object", "required": ["userComment"],
                       "properties": {"userComment": {"type": "string"}}}]}}}}}}}
#: a CDS Hooks 2.0 request as kg.service.cds checks it (the spec's table): what the document can say of it. What it
#: cannot: the hook must be the service's own (see /cds-services), order-select and order-sign also need
#: context.draftOrders (and order-select context.selections), and the resources are FHIR R4 (400 otherwise)
_REQUEST = {"type": "object", "required": ["hook", "hookInstance", "context"],
            "properties": {"hook": {"type": "string", "enum": sorted({s["hook"] for s in SERVICES.values()})},
                           "hookInstance": {"type": "string"},
                           "context": {"type": "object", "required": ["userId", "patientId"], "properties": {
                               "userId": {"type": "string"}, "patientId": {"type": "string"},
                               "draftOrders": {
                                   "type": "object", "required": ["resourceType"],
                                   "description": "A FHIR R4 Bundle (order-select, order-sign): each entry's resource "
                                                  "a FHIR R4 resource (400 otherwise).",
                                   "properties": {"resourceType": {"const": "Bundle"}, "entry": {
                                       "type": ["array", "null"], "items": {"type": "object", "properties": {
                                           "resource": {"type": ["object", "null"],
                                                        "properties": {"resourceType": {"type": "string"}},
                                                        "required": ["resourceType"]}}}}}},
                               "selections": {"type": "array", "minItems": 1, "items": {"type": "string"},
                                              "description": "order-select: references such as MedicationRequest/123."}}},
                           "prefetch": {"type": ["object", "null"]}, "fhirServer": {"type": "string"},
                           "fhirAuthorization": {"type": "object"}},
            "dependentRequired": {"fhirAuthorization": ["fhirServer"]}}
_BEARER: list[dict[str, list[str]]] = [{"cdsClient": []}]
#: these routes' OpenAPI paths, for api/openapi.py's document to include (``**cds.OPENAPI_PATHS``)
OPENAPI_PATHS: dict = {
    "/cds-services": {"get": {
        "summary": "CDS Hooks 2.0 discovery: the services, their hooks and prefetch templates.", "tags": ["cds-hooks"],
        "responses": {"200": {"description": "The services (docs/cds-hooks.md).",
                              "content": {"application/json": {"schema": {"type": "object", "required": ["services"]}}}}}}},
    "/cds-services/{service_id}": {"post": {
        "summary": "Call a CDS service (patient-view, order-select, order-sign) with a CDS Hooks request.",
        "tags": ["cds-hooks"], "parameters": _ID, "security": _BEARER,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST}}},
        "responses": {"200": {"description": "The cards (an empty list when nothing applies).",
                              "content": {"application/json": {"schema": {"type": "object", "required": ["cards"]}}}},
                      "400": _problem("The request is malformed (the detail names the field): against the schema, or a hook that is not the service's own (see /cds-services), order-select or order-sign without context.draftOrders, order-select without context.selections, or a resource that is not FHIR R4."),
                      "401": _problem("The bearer token is missing or does not verify; the detail says which part."),
                      "404": _problem("No such service."),
                      "412": _problem("Required prefetch is missing and the service cannot read it from the fhirServer."),
                      "503": _problem("The data folder cannot be written (cards are remembered for feedback).")}}},
    "/cds-services/{service_id}/feedback": {
        "post": {
            "summary": "Feedback on cards: accepted (with the suggestions) or overridden (with a reason).",
            "tags": ["cds-hooks"], "parameters": _ID, "security": _BEARER,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _FEEDBACK}}},
            "responses": {"200": {"description": "All items kept (``stored``: their number).",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "required": ["stored"],
                                      "properties": {"stored": {"type": "integer"}}}}}},
                          "400": _problem("An item is malformed or names a card or suggestion this service did not "
                                          "issue; nothing was kept."),
                          "401": _problem("The bearer token is missing or does not verify."),
                          "404": _problem("No such service."),
                          "503": _problem("The data folder cannot be written; nothing was kept.")}},
        "get": {
            "summary": "The service owner's view of the feedback: counts per rule and outcome, the newest items.",
            "tags": ["cds-hooks"], "security": [{"owner": []}],
            "parameters": [*_ID,
                           {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                       "maximum": settings.default("PAGE_MAX")}},
                           {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                                        "maximum": OFFSET_MAX}}],
            "responses": {"200": {"description": "The feedback (never cached).",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "required": ["service", "total", "rules", "feedback"]}}}},
                          "400": _problem("A parameter is not valid."),
                          "401": _problem("The owner's bearer token is missing or wrong."),
                          "403": _problem("The owner's view is off (OSTEOKG_CDS_OWNER_TOKEN is not set)."),
                          "404": _problem("No such service."),
                          "503": _problem("The data folder cannot be read.")}}},
}
#: the security schemes the paths above name
OPENAPI_SECURITY: dict = {
    "cdsClient": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                  "description": "CDS Hooks 2.0: a JWT signed by a trusted CDS client (ES384/RS384; "
                                 "OSTEOKG_CDS_ISSUERS), aud the URL called."},
    "owner": {"type": "http", "scheme": "bearer", "description": "OSTEOKG_CDS_OWNER_TOKEN."},
}


@dataclass
class Door:
    """What the CDS door holds for the app's life: the token check's settings, the store, the FHIR reader."""

    auth: bool
    issuers: dict[str, KeyFor]
    store: CDSStore
    fetcher: Fetcher
    owner_token: str | None


def door_of(config: Mapping[str, Any]) -> Door:
    """The door's parts from the settings (a Flask config, or kg.settings' values: ``osteokg serve`` checks
    them so before it starts its workers); a bad issuers file or FHIR server list is a SettingError naming it."""
    issuers = issuers_file(config["CDS_ISSUERS"]) if config.get("CDS_ISSUERS") else {}
    try:
        fetcher = Fetcher.from_settings(str(config.get("CDS_FHIR_SERVERS") or ""), float(config["CDS_FHIR_TIMEOUT"]))
    except ValueError as error:
        raise SettingError(f"OSTEOKG_CDS_FHIR_SERVERS: {error}") from None
    return Door(auth=bool(config["CDS_AUTH"]), issuers=issuers, fetcher=fetcher,
                store=CDSStore(Path(config["DATA_DIR"]) / FILE, int(config["CDS_CARD_DAYS"])),
                owner_token=config.get("CDS_OWNER_TOKEN") or None)


def warning(door: Door) -> str | None:
    """What an operator must hear at start: the token check off, or on with no client trusted."""
    if not door.auth:
        return ("OSTEOKG_CDS_AUTH=off: the CDS Hooks services accept calls WITHOUT a bearer token. For local "
                "use only; never expose this server so.")
    if not door.issuers:
        return ("OSTEOKG_CDS_ISSUERS is not set: every CDS service call will be refused (401) until the "
                "trusted CDS clients are configured (docs/cds-hooks.md).")
    return None


def init_app(app: Flask) -> None:
    """Read the CDS settings (a bad one stops the app here, naming it) and say loudly when the token check
    is off or cannot pass."""
    door = door_of(app.config)
    if (said := warning(door)) is not None:
        log.warning(said)
    app.extensions[EXTENSION] = door


def _door() -> Door:
    return current_app.extensions[EXTENSION]


def _unauthorized(detail: str) -> Response:
    return problem(401, "Unauthorized", detail, {"WWW-Authenticate": 'Bearer realm="cds-services"'})


def _authenticate(door: Door) -> Response | None:
    """None when the call may go on, else the 401 answer."""
    if not door.auth:
        return None
    if not door.issuers:
        return _unauthorized("this service trusts no CDS client yet (OSTEOKG_CDS_ISSUERS is not set)")
    base = str(current_app.config["BASE_URL"])
    audience = urllib.parse.urljoin(base if base.endswith("/") else base + "/", request.path.lstrip("/"))
    try:
        check(request.headers.get("Authorization"), audience, door.issuers, door.store)
    except Unauthorized as error:
        return _unauthorized(str(error))
    return None


@bp.errorhandler(StoreFailed)
def _store_failed(error: StoreFailed) -> Response:
    """The data folder cannot be written or read (the token's jti, the cards, the feedback): 503, nothing kept."""
    return problem(503, "Service Unavailable", str(error))


def _body() -> object:
    return request.get_json(silent=True)


@bp.get("/cds-services")
def discovery() -> Response:
    return jsonify(CDS(graph.service()).discovery())


@bp.post("/cds-services/<service_id>")
def call(service_id: str) -> Response:
    door = _door()
    service(service_id)  # 404 before anything else
    refused = _authenticate(door)
    if refused is not None:
        return refused
    lang = language()
    body = _body()
    if body is None:
        return problem(400, "Bad Request", "the request body must be JSON (Content-Type: application/json)")
    try:
        answered = CDS(graph.service(), door.fetcher).answer(service_id, body, lang)
        assert isinstance(body, dict)  # answer() refuses anything else
        door.store.issued(service_id, str(body["hookInstance"]), [rule for rule, _card in answered],
                          [card for _rule, card in answered])
    except Malformed as error:
        return problem(400, "Bad Request", str(error))
    except PrefetchMissing as error:
        return problem(412, "Precondition Failed", str(error))
    return jsonify({"cards": [card for _rule, card in answered]})


@bp.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str) -> Response:
    door = _door()
    service(service_id)
    refused = _authenticate(door)
    if refused is not None:
        return refused
    body = _body()
    if body is None:
        return problem(400, "Bad Request", "the request body must be JSON (Content-Type: application/json)")
    try:
        return jsonify({"stored": door.store.record(service_id, body)})
    except BadFeedback as error:
        return problem(400, "Bad Request", f"{error}; nothing was kept")


@bp.get("/cds-services/<service_id>/feedback")
def feedback_view(service_id: str) -> Response:
    door = _door()
    service(service_id)
    only("limit", "offset")
    if door.owner_token is None:
        return problem(403, "Forbidden", "the owner's view of the feedback is off (set OSTEOKG_CDS_OWNER_TOKEN)")
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(
            given[len("Bearer "):].strip().encode("utf-8"), door.owner_token.encode("utf-8")):
        return _unauthorized("the owner's bearer token is missing or wrong")
    limit, offset = paging()
    return jsonify(door.store.view(service_id, limit, offset))
