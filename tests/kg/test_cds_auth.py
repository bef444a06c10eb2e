"""kg.service.cds_auth: JWTs signed here with PyJWT (ES384 and RS384 keys made by cryptography) are
accepted or refused as the CDS Hooks 2.0 security section says."""
from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kg.service.cds_auth import Replays, Unauthorized, check, jwks_keys

AUDIENCE = "https://osteokg.example/cds-services/osteokg-patient-view"
ISSUER = "https://ehr.example"


@pytest.fixture(scope="module")
def keys():
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": [{**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key())), "kid": "ec-1", "alg": "ES384"},
                     {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "rsa-1", "alg": "RS384"}]}
    return {"ES384": (ec_key, "ec-1"), "RS384": (rsa_key, "rsa-1"), "jwks": jwks}


def token(keys, alg: str = "ES384", **claims) -> str:
    key, kid = keys[alg]
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **claims}
    body = {k: v for k, v in body.items() if v is not None}
    return "Bearer " + jwt.encode(body, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def trusted(keys):
    return {ISSUER: jwks_keys(keys["jwks"])}


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_well_signed_token_passes_once(keys, alg) -> None:
    replays = Replays()
    bearer = token(keys, alg)
    assert check(bearer, AUDIENCE, trusted(keys), replays)["iss"] == ISSUER
    with pytest.raises(Unauthorized, match="jti"):
        check(bearer, AUDIENCE, trusted(keys), replays)


@pytest.mark.parametrize(("claims", "why"), [
    ({"aud": "https://osteokg.example/cds-services/other"}, "aud"),
    ({"exp": int(time.time()) - 10}, "expired"),
    ({"iss": "https://attacker.example"}, "iss"),
    ({"jti": None}, "jti"),
])
def test_bad_claims_are_refused(keys, claims, why) -> None:
    with pytest.raises(Unauthorized, match=why):
        check(token(keys, **claims), AUDIENCE, trusted(keys), Replays())


def test_other_algorithms_forged_signatures_and_garbage_are_refused(keys) -> None:
    hs = "Bearer " + jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, "iat": 0, "jti": "x"},
                                "a shared secret of at least thirty-two bytes", algorithm="HS256", headers={"kid": "ec-1"})
    with pytest.raises(Unauthorized, match="alg"):
        check(hs, AUDIENCE, trusted(keys), Replays())
    other = ec.generate_private_key(ec.SECP384R1())
    forged = "Bearer " + jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, "iat": 0, "jti": "y"},
                                    other, algorithm="ES384", headers={"kid": "ec-1"})
    with pytest.raises(Unauthorized, match="signature"):
        check(forged, AUDIENCE, trusted(keys), Replays())
    for header in (None, "", "Basic abc", "Bearer not.a.jwt"):
        with pytest.raises(Unauthorized):
            check(header, AUDIENCE, trusted(keys), Replays())
    with pytest.raises(Unauthorized, match="kid"):
        check(token(keys), AUDIENCE, {ISSUER: jwks_keys({"keys": keys["jwks"]["keys"][1:]})}, Replays())
