"""The CDS Hooks 2.0 bearer-token check ("Trusting CDS Clients"), ready for the door to call.

A CDS client signs a JWT per call: header ``alg`` ES384 or RS384 (the spec's two), ``kid`` naming a
key of the issuer's JWKS; claims ``iss`` (an issuer this service trusts), ``aud`` (exactly the
service's URL), ``exp``, ``iat`` and ``jti`` (never seen before from that issuer). :func:`check` does
all of it with PyJWT and raises :class:`Unauthorized` with a message naming the failed part.

Not wired into api/cds.py yet: that needs settings (whether the check is on — off only by an explicit
a ``CDS_AUTH`` setting set to ``off`` — and the trusted issuers with their JWKS) in kg/settings.py's table, which is
another change. :class:`Replays` remembers ``jti``s in this process only; several server workers need
a shared store (the feedback slice's SQLite) to refuse a token replayed to another worker.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from kg.service.values import ServiceError

ALGORITHMS = ("ES384", "RS384")
REQUIRED = ("iss", "aud", "exp", "iat", "jti")
#: a key for a ``kid`` (None when the header names none), or KeyError
KeyFor = Callable[[str | None], Any]


class Unauthorized(ServiceError):
    """A missing, malformed, untrusted, expired, mis-addressed or replayed token (401)."""


def jwks_keys(jwks: Mapping[str, Any]) -> KeyFor:
    """The key lookup of a JWKS document (``{"keys": [...]}``): by ``kid``, or the only key when no kid is named."""
    keys = jwt.PyJWKSet.from_dict(dict(jwks))

    def key_for(kid: str | None) -> Any:
        if kid is None:
            if len(keys.keys) != 1:
                raise KeyError("the token names no kid and the issuer has several keys")
            return keys.keys[0].key
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


def check(authorization: str | None, audience: str, issuers: Mapping[str, KeyFor], replays: Replays,
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
