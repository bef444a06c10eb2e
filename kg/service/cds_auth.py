"""The CDS Hooks 2.0 bearer-token check ("Trusting CDS Clients"), which api/cds.py calls on every service call.

A CDS client signs a JWT per call: header ``alg`` ES384 or RS384 (the spec's two) and ``kid`` (REQUIRED:
the key of the issuer's JWKS); claims ``iss`` (an issuer this service trusts), ``aud`` (exactly the URL
of the endpoint called), ``exp``, ``iat`` and ``jti`` (never seen before from that issuer). :func:`check`
does all of it with PyJWT and raises :class:`Unauthorized` with a message naming the failed part.

The trusted issuers and their public keys come out of band (``OSTEOKG_CDS_ISSUERS``: a JSON file of
``{iss: JWKS}``, read by :func:`issuers_file`); a token's ``jku`` is not followed (no outbound call).
Whether the check runs at all is ``OSTEOKG_CDS_AUTH`` (on unless set off, for local use).
``jti``s are remembered by a :class:`ReplayStore`: :class:`Replays` in this process (tests), or
:class:`kg.service.cds_store.CDSStore`, shared by every worker process, which is what the door uses.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jwt

from kg.service.values import ServiceError
from kg.settings import SettingError

ALGORITHMS = ("ES384", "RS384")
REQUIRED = ("iss", "aud", "exp", "iat", "jti")
#: a key for a ``kid`` (None when the header names none), or KeyError
KeyFor = Callable[[str | None], Any]


class Unauthorized(ServiceError):
    """A missing, malformed, untrusted, expired, mis-addressed or replayed token (401)."""


class ReplayStore(Protocol):
    def first(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        """True the first time ``(issuer, jti)`` is seen; it is remembered until ``expires``."""
        ...


class IssuersError(SettingError):
    """An ``OSTEOKG_CDS_ISSUERS`` file that cannot be read as ``{iss: JWKS}`` (stops the API at start)."""


def issuers_file(path: Path | str) -> dict[str, KeyFor]:
    """iss → key lookup from a JSON file ``{"https://ehr.example": {"keys": [JWK, ...]}, ...}``."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IssuersError(f"OSTEOKG_CDS_ISSUERS={path}: cannot be read as JSON ({error})") from None
    if not isinstance(document, dict) or not document:
        raise IssuersError(f"OSTEOKG_CDS_ISSUERS={path}: must be a non-empty object {{iss: JWKS}}")
    issuers = {}
    for issuer, jwks in document.items():
        try:
            issuers[issuer] = jwks_keys(jwks)
        except (jwt.PyJWTError, TypeError, ValueError, AttributeError) as error:
            raise IssuersError(f"OSTEOKG_CDS_ISSUERS={path}: the JWKS of {issuer!r} is not usable ({error})") from None
    return issuers


def jwks_keys(jwks: Mapping[str, Any]) -> KeyFor:
    """The key lookup of a JWKS document (``{"keys": [...]}``): by ``kid``, or the only key when no kid is named."""
    keys = jwt.PyJWKSet.from_dict(dict(jwks))

    def key_for(kid: str | None) -> Any:
        if kid is None:
            raise KeyError("the token names no kid")
        return keys[kid].key

    return key_for


@dataclass
class Replays:
    """The ``jti``s seen per issuer, each forgotten once its token has expired."""

    seen: dict[tuple[str, str], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        with self.lock:
            for key in [k for k, until in self.seen.items() if until < now]:
                del self.seen[key]
            if (issuer, jti) in self.seen:
                return False
            self.seen[(issuer, jti)] = expires
            return True


def check(authorization: str | None, audience: str, issuers: Mapping[str, KeyFor], replays: ReplayStore,
          leeway: float = 0) -> dict:
    """The verified claims of the ``Authorization: Bearer <jwt>`` header, or :class:`Unauthorized`."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("an 'Authorization: Bearer <JWT>' header is required")
    token = authorization[len("Bearer "):].strip()
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthorized("the bearer token is not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise Unauthorized(f"the token's alg must be one of {', '.join(ALGORITHMS)}")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise Unauthorized("the token's header must name its key (kid)")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or issuer not in issuers:
        raise Unauthorized("the token's issuer (iss) is not trusted by this service")
    try:
        key = issuers[issuer](header.get("kid"))
    except (KeyError, jwt.PyJWKError):
        raise Unauthorized("the issuer has no key with the token's kid") from None
    try:
        claims = jwt.decode(token, key, algorithms=list(ALGORITHMS), audience=audience, issuer=issuer,
                            leeway=leeway, options={"require": list(REQUIRED), "verify_iat": False})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired (exp)") from None
    except jwt.InvalidAudienceError:
        raise Unauthorized("the token's audience (aud) is not this service's URL") from None
    except jwt.MissingRequiredClaimError as error:
        raise Unauthorized(f"the token lacks the claim '{error.claim}'") from None
    except jwt.PyJWTError:
        raise Unauthorized("the token's signature or claims do not verify") from None
    if not replays.first(issuer, str(claims["jti"]), float(claims["exp"]) + leeway, time.time()):
        raise Unauthorized("the token's jti was already used (a replayed token)")
    return claims
