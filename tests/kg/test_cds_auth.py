"""kg.service.cds_auth: JWTs signed here with PyJWT (ES384 and RS384 keys made by cryptography) are
accepted or refused as the CDS Hooks 2.0 security section says."""
from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kg.service.cds_auth import (
    IssuersError,
    Replays,
    Unauthorized,
    check,
    issuers_file,
    jwks_keys,
)
from kg.service.cds_store import CDSStore
from tests.api.cds.keys import ISSUER, make_keys

AUDIENCE = "https://osteokg.example/cds-services/osteokg-patient-view"


@pytest.fixture(scope="module")
def keys():
    made = make_keys()
    return {"ES384": made.ES384, "RS384": made.RS384, "jwks": made.jwks, "made": made}


def token(keys, alg: str = "ES384", **claims) -> str:
    return keys["made"].bearer(claims.pop("aud", AUDIENCE), alg, **claims)


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


def test_a_token_without_kid_is_refused(keys) -> None:
    key, _kid = keys["ES384"]
    now = int(time.time())
    bare = "Bearer " + jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": "k"}, key,
                                  algorithm="ES384")
    with pytest.raises(Unauthorized, match="kid"):
        check(bare, AUDIENCE, {ISSUER: jwks_keys({"keys": keys["jwks"]["keys"][:1]})}, Replays())


def test_issuers_file(keys, tmp_path) -> None:
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps({ISSUER: keys["jwks"]}))
    assert check(token(keys, "RS384"), AUDIENCE, issuers_file(path), Replays())["iss"] == ISSUER
    for text, says in (("{", "JSON"), ("[]", "object"), ("{}", "object"),
                       (json.dumps({ISSUER: {"keys": [{"kty": "nonsense"}]}}), ISSUER), (json.dumps({ISSUER: 3}), ISSUER)):
        path.write_text(text)
        with pytest.raises(IssuersError, match=says):
            issuers_file(path)
    with pytest.raises(IssuersError, match="cannot be read"):
        issuers_file(tmp_path / "missing.json")


def test_the_shared_store_refuses_a_token_replayed_to_another_worker(keys, tmp_path) -> None:
    # two CDSStore objects on one file: what two worker processes of osteokg serve hold
    first, second = CDSStore(tmp_path / "cds.sqlite"), CDSStore(tmp_path / "cds.sqlite")
    bearer = token(keys)
    check(bearer, AUDIENCE, trusted(keys), first)
    with pytest.raises(Unauthorized, match="jti"):
        check(bearer, AUDIENCE, trusted(keys), second)
    # an expired jti is forgotten: the same jti with a later exp is new again once the first has expired
    assert second.first(ISSUER, "old", expires=time.time() - 1, now=time.time())
    assert second.first(ISSUER, "old", expires=time.time() + 60, now=time.time())
