"""The browser and device flows end to end against a mock provider (no network)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from client import (
    DEFAULT_SCOPE,
    JWKSCache,
    ProviderError,
    ProviderMetadata,
    Session,
    TokenCache,
    TokenResponse,
    authorization_code_grant,
    build_authorization_request,
    entry_from_sign_in,
    fetch_provider_metadata,
    http_refresher,
    jwks_fetcher,
    loopback_redirect_uri,
    parse_authorization_response,
    poll_device_token,
    refreshed_id_token_validator,
    request_token,
    start_device_authorization,
)

from .helpers import CLIENT_ID, ISSUER, FrozenClock, SigningKeys, id_token_claims


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


class MockProvider:
    """Discovery, JWKS, the token endpoint (code, device, refresh) and device authorization."""

    def __init__(self, keys: SigningKeys, clock: FrozenClock) -> None:
        self.keys = keys
        self.clock = clock
        self.nonce: str | None = None
        self.code_challenge: str | None = None
        self.issued = 0
        self.pending_polls = 1

    def tokens(self, nonce: str | None) -> dict[str, Any]:
        self.issued += 1
        access_token = f"at-{self.issued}"
        claims = id_token_claims(
            self.clock.now(), nonce=nonce, at_hash=at_hash(access_token), auth_time=None
        )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 600,
            "refresh_token": f"rt-{self.issued}",
            "id_token": self.keys.sign(claims),
            "scope": DEFAULT_SCOPE,
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "device_authorization_endpoint": f"{ISSUER}/device_authorization",
                    "authorization_response_iss_parameter_supported": True,
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json=self.keys.jwks())
        if path == "/device_authorization":
            return httpx.Response(
                200,
                json={
                    "device_code": "dc",
                    "user_code": "ABCD-EFGH",
                    "verification_uri": f"{ISSUER}/device",
                    "expires_in": 600,
                    "interval": 5,
                },
            )
        grant = form["grant_type"]
        if grant == "authorization_code":
            digest = hashlib.sha256(form["code_verifier"].encode()).digest()
            verifier_ok = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if form["code"] != "code-1" or verifier_ok != self.code_challenge:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json=self.tokens(self.nonce))
        if grant.endswith("device_code"):
            if self.pending_polls:
                self.pending_polls -= 1
                return httpx.Response(400, json={"error": "authorization_pending"})
            return httpx.Response(200, json=self.tokens(None))
        return httpx.Response(200, json=self.tokens(None))  # refresh


@pytest.fixture
def provider(signing_keys: SigningKeys, clock: FrozenClock) -> MockProvider:
    return MockProvider(signing_keys, clock)


@pytest.fixture
def http(provider: MockProvider) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(provider)) as client:
        yield client


def test_browser_flow_then_refresh(
    provider: MockProvider, http: httpx.Client, cache: TokenCache, clock: FrozenClock
) -> None:
    metadata = fetch_provider_metadata(http, ISSUER)
    jwks = JWKSCache(jwks_fetcher(http, metadata.jwks_uri))
    request = build_authorization_request(metadata, CLIENT_ID, loopback_redirect_uri(50000))
    # The provider sees the request (the browser step) and redirects back.
    query = parse_qs(request.url.split("?", 1)[1])
    provider.nonce, provider.code_challenge = query["nonce"][0], query["code_challenge"][0]
    callback = f"{request.redirect_uri}?code=code-1&state={request.state}&iss={ISSUER}"

    code = parse_authorization_response(request, callback)
    body = authorization_code_grant(
        code,
        redirect_uri=request.redirect_uri,
        code_verifier=request.code_verifier,
        client_id=CLIENT_ID,
    )
    response = request_token(http, metadata.token_endpoint, body, now=clock.now())
    entry = entry_from_sign_in(
        response,
        jwks=jwks,
        issuer=ISSUER,
        client_id=CLIENT_ID,
        nonce=request.nonce,
        now=clock.now(),
    )
    cache.store(entry)
    assert entry.claims["email"] == "marie@boulangerie-martin.fr"
    assert entry.auth_time == clock.now()

    validator = refreshed_id_token_validator(jwks, issuer=ISSUER, client_id=CLIENT_ID, clock=clock)
    refresh = http_refresher(http, metadata.token_endpoint, CLIENT_ID, clock=clock)
    session = Session(cache, ISSUER, CLIENT_ID, refresh, validate_refreshed_id_token=validator)
    clock.advance(600)
    assert session.get_access_token() == "at-2"
    assert cache.find(ISSUER, CLIENT_ID).refresh_token == "rt-2"


def test_device_flow(
    provider: MockProvider, http: httpx.Client, clock: FrozenClock, metadata: ProviderMetadata
) -> None:
    assert metadata.device_authorization_endpoint is not None
    authorization = start_device_authorization(
        http, metadata.device_authorization_endpoint, CLIENT_ID, now=clock.now()
    )
    response = poll_device_token(
        http, metadata.token_endpoint, CLIENT_ID, authorization, clock=clock, sleep=clock.sleep
    )
    jwks = JWKSCache(jwks_fetcher(http, metadata.jwks_uri))
    entry = entry_from_sign_in(
        response, jwks=jwks, issuer=ISSUER, client_id=CLIENT_ID, nonce=None, now=clock.now()
    )
    assert entry.subject == "user-1"


def test_sign_in_without_an_id_token(signing_keys: SigningKeys, clock: FrozenClock) -> None:
    fetch: Callable[[], dict[str, Any]] = signing_keys.jwks
    response = TokenResponse(access_token="at", token_type="Bearer", expires_at=clock.now() + 600)
    with pytest.raises(ProviderError):
        entry_from_sign_in(
            response,
            jwks=JWKSCache(fetch),
            issuer=ISSUER,
            client_id=CLIENT_ID,
            nonce=None,
            now=clock.now(),
        )
