"""DPoP in the library without a provider: the proofs' contents, the installation key sealed
like the token cache, `token_type: DPoP`, and the one nonce retry of `AccessTokenAuth`."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from client import (
    AccessTokenAuth,
    BearerAuth,
    DPoPAuth,
    DPoPProofs,
    PassphraseProtection,
    Session,
    TokenCache,
    TokenResponse,
    access_token_hash,
    installation_key,
)

from .helpers import CLIENT_ID, ISSUER, FrozenClock, make_entry

URL = "https://id.example/userinfo"


def decoded(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def part(text: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return data

    header, payload, _ = proof.split(".")
    return part(header), part(payload)


def test_a_proof_names_the_request_and_the_public_key_only() -> None:
    key = ECKey.generate_key("P-256")
    proofs = DPoPProofs(key, clock=FrozenClock(1_800_000_000))
    proof = proofs.proof("GET", URL + "?a=1#frag", access_token="at-1")
    header, claims = decoded(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert header["jwk"] == key.as_dict(private=False) and "d" not in header["jwk"]
    assert claims["htm"] == "GET" and claims["htu"] == URL  # no query, no fragment
    assert claims["iat"] == 1_800_000_000 and len(claims["jti"]) >= 16
    assert claims["ath"] == access_token_hash("at-1") and "nonce" not in claims
    jws.deserialize_compact(proof, key, algorithms=["ES256"])  # signed by that key
    assert decoded(proofs.proof("GET", URL))[1]["jti"] != claims["jti"]  # fresh each time


def test_a_nonce_is_remembered_per_server_and_retried_once() -> None:
    key = ECKey.generate_key("P-256")
    proofs = DPoPProofs(key)
    seen: list[dict[str, Any]] = []

    def resource(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "DPoP at-1"
        claims = decoded(request.headers["DPoP"])[1]
        seen.append(claims)
        if claims.get("nonce") != "n-1":
            challenge = 'DPoP error="use_dpop_nonce"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge, "DPoP-Nonce": "n-1"})
        return httpx.Response(200, json={"sub": "user-1"})

    with httpx.Client(transport=httpx.MockTransport(resource)) as http:
        assert http.get(URL, auth=AccessTokenAuth("at-1", proofs)).status_code == 200
        assert [c.get("nonce") for c in seen] == [None, "n-1"]
        assert proofs.nonces == {"https://id.example": "n-1"}
        assert http.get(URL, auth=AccessTokenAuth("at-1", proofs)).status_code == 200
    assert len(seen) == 3 and seen[2]["nonce"] == "n-1"  # no second challenge
    assert "nonce" not in decoded(proofs.proof("GET", "https://other.example/x"))[1]


def test_the_token_endpoint_challenge_is_a_400_json_error() -> None:
    proofs = DPoPProofs(ECKey.generate_key("P-256"))
    calls: list[httpx.Request] = []

    def token(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if "nonce" not in decoded(request.headers["DPoP"])[1]:
            body = {"error": "use_dpop_nonce"}
            return httpx.Response(400, json=body, headers={"DPoP-Nonce": "n-2"})
        assert request.content == b"grant_type=refresh_token"  # the form sent again
        return httpx.Response(200, json={"access_token": "at", "token_type": "dpop"})

    with httpx.Client(transport=httpx.MockTransport(token)) as http:
        answer = http.post(
            "https://id.example/token", data={"grant_type": "refresh_token"}, auth=DPoPAuth(proofs)
        )
    assert answer.status_code == 200 and len(calls) == 2
    assert (
        "Authorization" not in calls[1].headers
        and "ath" not in decoded(calls[1].headers["DPoP"])[1]
    )


@pytest.mark.parametrize("name", ["DPoP", "dpop", "Bearer", "bearer"])
def test_token_type_dpop_or_bearer_in_any_case(name: str) -> None:
    data = {"access_token": "at", "token_type": name, "expires_in": 300}
    assert TokenResponse.from_json(data, now=0).token_type in ("DPoP", "Bearer")
    assert TokenResponse.from_json(data, now=0).token_type.lower() == name.lower()


def _key_files(directory: Path) -> list[Path]:
    return list(directory.glob("*.secret"))


def test_the_key_is_made_once_and_sealed_with_the_keyring(cache: TokenCache) -> None:
    key = installation_key(cache)
    [path] = _key_files(cache.directory)
    text = path.read_text()
    assert json.loads(text)["protection"] == "keyring"
    assert str(key.as_dict(private=True)["d"]) not in text
    assert installation_key(TokenCache(cache.directory)).thumbprint() == key.thumbprint()
    cache.delete()  # signing out keeps the installation's key
    assert installation_key(cache).thumbprint() == key.thumbprint()


def test_the_key_follows_the_passphrase_fallback(tmp_path: Path, no_keyring: None) -> None:
    protection = PassphraseProtection("correct horse", n=2**10)
    key = installation_key(TokenCache(tmp_path, protection=protection))
    [path] = _key_files(tmp_path)
    assert json.loads(path.read_text())["protection"] == "passphrase"
    assert str(key.as_dict(private=True)["d"]) not in path.read_text()
    again = TokenCache(tmp_path, protection=PassphraseProtection("correct horse", n=2**10))
    assert installation_key(again).thumbprint() == key.thumbprint()


def test_an_unreadable_key_file_is_moved_aside_and_replaced(cache: TokenCache) -> None:
    first = installation_key(cache)
    [path] = _key_files(cache.directory)
    path.write_text("not json")
    second = installation_key(cache)
    assert second.thumbprint() != first.thumbprint()
    assert len(list(cache.directory.glob("dpop-key.secret*"))) == 2  # the old one kept aside


async def test_a_bound_session_token_goes_with_its_proof_sync_and_async(
    cache: TokenCache, clock: FrozenClock
) -> None:
    cache.store(replace(make_entry(clock.now()), token_type="DPoP"))
    proofs = DPoPProofs(ECKey.generate_key("P-256"))
    session = Session(cache, ISSUER, CLIENT_ID, lambda token: pytest.fail(), dpop=lambda: proofs)
    nonces: list[object] = []

    def resource(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "DPoP at-0-secret-access"
        claims = decoded(request.headers["DPoP"])[1]
        assert claims["ath"] == access_token_hash("at-0-secret-access")
        nonces.append(claims.get("nonce"))
        if claims.get("nonce") is None:
            challenge = {"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "n"}
            return httpx.Response(401, headers=challenge)
        return httpx.Response(200)

    transport = httpx.MockTransport(resource)
    with httpx.Client(transport=transport, auth=BearerAuth(session)) as http:
        assert http.get(URL).status_code == 200
    proofs.nonces.clear()
    async with httpx.AsyncClient(transport=transport, auth=BearerAuth(session)) as http_async:
        assert (await http_async.get(URL)).status_code == 200
    assert nonces == [None, "n", None, "n"]  # each challenge answered once, no refresh
