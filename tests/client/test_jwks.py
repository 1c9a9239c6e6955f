"""JWKS cache: fetched once, refetched exactly once for an unknown `kid`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from client import IdTokenError, JWKSCache, ProviderError, jwks_fetcher

from .helpers import ISSUER, SigningKeys, id_token_claims


class CountingFetch:
    def __init__(self, keys: SigningKeys) -> None:
        self.keys = keys
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return self.keys.jwks()


def test_keys_are_fetched_once_then_cached(signing_keys: SigningKeys) -> None:
    fetch = CountingFetch(signing_keys)
    cache = JWKSCache(fetch)
    token = signing_keys.sign(id_token_claims())
    cache.key_set_for(token)
    cache.key_set_for(signing_keys.sign(id_token_claims(), alg="ES256"))
    assert fetch.calls == 1


def test_unknown_kid_triggers_one_refetch(signing_keys: SigningKeys) -> None:
    fetch = CountingFetch(signing_keys)
    cache = JWKSCache(fetch)
    cache.key_set_for(signing_keys.sign(id_token_claims()))
    rotated = SigningKeys(rsa_kid="rsa-2", ec_kid="ec-2")
    fetch.keys = rotated  # the provider rotated its keys
    key_set = cache.key_set_for(rotated.sign(id_token_claims()))
    assert fetch.calls == 2
    assert {key.kid for key in key_set} == {"rsa-2", "ec-2"}


def test_kid_still_unknown_after_the_refetch_fails(signing_keys: SigningKeys) -> None:
    fetch = CountingFetch(signing_keys)
    cache = JWKSCache(fetch)
    cache.key_set_for(signing_keys.sign(id_token_claims()))
    with pytest.raises(IdTokenError) as caught:
        cache.key_set_for(signing_keys.sign(id_token_claims(), kid="forged"))
    assert caught.value.check == "kid"
    assert fetch.calls == 2  # one refetch, not a loop


def test_invalid_jwks_is_a_provider_error() -> None:
    cache = JWKSCache(lambda: {"keys": [{"kty": "RSA"}]})
    with pytest.raises(ProviderError):
        cache.key_set_for(SigningKeys().sign(id_token_claims()))


def test_http_fetcher_gets_the_jwks_uri(signing_keys: SigningKeys) -> None:
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, json=signing_keys.jwks())

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        cache = JWKSCache(jwks_fetcher(http, f"{ISSUER}/jwks"))
        cache.key_set_for(signing_keys.sign(id_token_claims()))
    assert urls == [f"{ISSUER}/jwks"]
