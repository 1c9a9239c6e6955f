"""ID token validation: every check fails on its own, under its own name."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from client import IdTokenError, validate_id_token

from .helpers import CLIENT_ID, ISSUER, START, SigningKeys, id_token_claims


def validate(keys: SigningKeys, token: str, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "keys": keys.public_key_set(),
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "now": START + 30,
        "nonce": "nonce-1",
    }
    arguments.update(overrides)
    return validate_id_token(token, **arguments)


def failed_check(keys: SigningKeys, token: str, **overrides: Any) -> str:
    with pytest.raises(IdTokenError) as caught:
        validate(keys, token, **overrides)
    return caught.value.check


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_valid_token_returns_its_claims(signing_keys: SigningKeys, alg: str) -> None:
    token = signing_keys.sign(id_token_claims(at_hash=at_hash("at-1")), alg=alg)
    claims = validate(signing_keys, token, access_token="at-1")
    assert claims["sub"] == "user-1"
    assert claims["email"] == "marie@boulangerie-martin.fr"


def test_tampered_payload_fails_the_signature(signing_keys: SigningKeys) -> None:
    header, _, signature = signing_keys.sign(id_token_claims()).split(".")
    forged = id_token_claims(sub="admin")
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert failed_check(signing_keys, f"{header}.{payload}.{signature}") == "signature"


def test_token_signed_by_another_key_fails_the_signature(signing_keys: SigningKeys) -> None:
    impostor = SigningKeys()  # same kids, different keys
    assert failed_check(signing_keys, impostor.sign(id_token_claims())) == "signature"


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"iss": "https://evil.example"}, "iss"),
        ({"aud": "another-client"}, "aud"),
        ({"aud": ["another-client", "third"]}, "aud"),
        ({"aud": [CLIENT_ID, "api"]}, "azp"),  # several audiences, no azp
        ({"aud": [CLIENT_ID, "api"], "azp": "api"}, "azp"),
        ({"azp": "another-client"}, "azp"),
        ({"nonce": "replayed"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"sub": None}, "sub"),
        ({"exp": int(START) - 61}, "exp"),  # expired beyond the 60 s leeway
        ({"exp": None}, "exp"),
        ({"iat": int(START) + 91}, "iat"),  # issued in the future beyond the leeway
        ({"at_hash": at_hash("another-access-token")}, "at_hash"),
    ],
)
def test_each_check(signing_keys: SigningKeys, overrides: dict[str, Any], check: str) -> None:
    token = signing_keys.sign(id_token_claims(**overrides))
    assert failed_check(signing_keys, token, access_token="at-1") == check


def test_several_audiences_with_azp_naming_us_pass(signing_keys: SigningKeys) -> None:
    token = signing_keys.sign(id_token_claims(aud=[CLIENT_ID, "api"], azp=CLIENT_ID))
    assert validate(signing_keys, token)["azp"] == CLIENT_ID


def test_clock_skew_within_leeway_is_tolerated(signing_keys: SigningKeys) -> None:
    token = signing_keys.sign(id_token_claims(exp=int(START), iat=int(START) + 80))
    assert validate(signing_keys, token)["sub"] == "user-1"
    assert failed_check(signing_keys, token, leeway=0) == "exp"


def test_expired_token(signing_keys: SigningKeys) -> None:
    token = signing_keys.sign(id_token_claims())
    assert failed_check(signing_keys, token, now=START + 600 + 61) == "exp"


def test_nonce_is_not_required_after_a_refresh(signing_keys: SigningKeys) -> None:
    token = signing_keys.sign(id_token_claims(nonce=None))
    assert validate(signing_keys, token, nonce=None)["sub"] == "user-1"


def test_missing_at_hash_is_accepted(signing_keys: SigningKeys) -> None:
    token = signing_keys.sign(id_token_claims())
    assert validate(signing_keys, token, access_token="at-1")["sub"] == "user-1"


def test_symmetric_and_unsigned_tokens_are_refused(signing_keys: SigningKeys) -> None:
    secret = OctKey.generate_key(256, parameters={"kid": "rsa-1"})
    hs256 = jwt.encode({"alg": "HS256", "kid": "rsa-1"}, id_token_claims(), secret)
    assert failed_check(signing_keys, hs256) == "alg"
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = signing_keys.sign(id_token_claims()).split(".")[1]
    assert failed_check(signing_keys, f"{header}.{payload}.") == "alg"


def test_unknown_kid(signing_keys: SigningKeys) -> None:
    token = signing_keys.sign(id_token_claims(), kid="rotated-away")
    assert failed_check(signing_keys, token) == "kid"


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_a_format_failure(signing_keys: SigningKeys, garbage: str) -> None:
    assert failed_check(signing_keys, garbage) == "format"
