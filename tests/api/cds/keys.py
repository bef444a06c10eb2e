"""A CDS client's signing keys (ES384 and RS384, made here by cryptography), its JWKS, and bearer tokens
signed with PyJWT as CDS Hooks 2.0 "Trusting CDS Clients" says: for the token check's tests and for the
door's, which sign every call."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://ehr.example"
#: the public address the door's tests give the API (OSTEOKG_BASE_URL): a token's aud is under it
BASE_URL = "https://osteokg.example/"


@dataclass
class Keys:
    ES384: tuple[Any, str]
    RS384: tuple[Any, str]
    jwks: dict

    def bearer(self, aud: str, alg: str = "ES384", **claims: Any) -> str:
        """``Bearer <JWT>`` for ``aud``; a claim given as None is left out."""
        key, kid = getattr(self, alg)
        now = int(time.time())
        body = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return "Bearer " + jwt.encode(body, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})

    def issuers_file(self, folder: Path) -> Path:
        """An OSTEOKG_CDS_ISSUERS file trusting this client."""
        path = folder / "issuers.json"
        path.write_text(json.dumps({ISSUER: self.jwks}), encoding="utf-8")
        return path


def make_keys() -> Keys:
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": [{**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key())), "kid": "ec-1", "alg": "ES384"},
                     {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "rsa-1", "alg": "RS384"}]}
    return Keys((ec_key, "ec-1"), (rsa_key, "rsa-1"), jwks)
