"""Token endpoint: request bodies, the response model and error mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from client import (
    OAuthError,
    ProviderError,
    ProviderUnreachable,
    TokenResponse,
    authorization_code_grant,
    device_code_grant,
    refresh_token_grant,
    request_token,
)

from .helpers import CLIENT_ID, ISSUER, START

TOKEN_ENDPOINT = f"{ISSUER}/token"


def test_authorization_code_body() -> None:
    body = authorization_code_grant(
        "code-1", redirect_uri="http://127.0.0.1:5/callback", code_verifier="v" * 43, client_id="c"
    )
    assert body == {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": "http://127.0.0.1:5/callback",
        "code_verifier": "v" * 43,
        "client_id": "c",
    }


def test_refresh_and_device_bodies() -> None:
    assert refresh_token_grant("rt", client_id="c") == {
        "grant_type": "refresh_token",
        "refresh_token": "rt",
        "client_id": "c",
    }
    assert refresh_token_grant("rt", client_id="c", scope="openid")["scope"] == "openid"
    assert device_code_grant("dc", client_id="c") == {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": "dc",
        "client_id": "c",
    }


def token_json(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "access_token": "at-secret",
        "token_type": "bearer",
        "expires_in": 600,
        "refresh_token": "rt-secret",
        "id_token": "id-secret",
        "scope": "openid email",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_token_response_has_an_absolute_expiry() -> None:
    response = TokenResponse.from_json(token_json(), now=START)
    assert response.expires_at == START + 600
    assert response.token_type == "Bearer"
    assert (response.refresh_token, response.id_token) == ("rt-secret", "id-secret")


def test_token_response_repr_hides_secrets() -> None:
    text = repr(TokenResponse.from_json(token_json(), now=START))
    assert "secret" not in text


@pytest.mark.parametrize(
    "overrides",
    [
        {"access_token": None},
        {"token_type": "mac"},
        {"expires_in": None},
        {"expires_in": 0},
        {"expires_in": True},
        {"refresh_token": 12},
    ],
)
def test_token_response_rejects_bad_responses(overrides: dict[str, Any]) -> None:
    with pytest.raises(ProviderError):
        TokenResponse.from_json(token_json(**overrides), now=START)


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_request_token_posts_a_form() -> None:
    forms: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        forms.append(parse_qs(request.content.decode()))
        return httpx.Response(200, json=token_json())

    with client_for(handler) as http:
        body = refresh_token_grant("rt", client_id=CLIENT_ID)
        response = request_token(http, TOKEN_ENDPOINT, body, now=START)
    assert forms == [
        {"grant_type": ["refresh_token"], "refresh_token": ["rt"], "client_id": [CLIENT_ID]}
    ]
    assert response.access_token == "at-secret"


def test_oauth_error_response_is_raised_with_its_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"error": "invalid_grant", "error_description": "refresh token reused"}
        )

    with client_for(handler) as http, pytest.raises(OAuthError) as caught:
        request_token(http, TOKEN_ENDPOINT, {}, now=START)
    assert caught.value.error == "invalid_grant"
    assert caught.value.description == "refresh token reused"


@pytest.mark.parametrize(
    "response",
    [httpx.Response(502, text="<html>Bad gateway</html>"), httpx.Response(500, json={})],
)
def test_non_oauth_failures_are_provider_errors(response: httpx.Response) -> None:
    with client_for(lambda request: response) as http, pytest.raises(ProviderError):
        request_token(http, TOKEN_ENDPOINT, {}, now=START)


@pytest.mark.parametrize(
    ("error", "sent"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("closed"), True),
    ],
)
def test_network_errors_say_whether_the_request_was_sent(
    error: httpx.TransportError, sent: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with client_for(handler) as http, pytest.raises(ProviderUnreachable) as caught:
        request_token(http, TOKEN_ENDPOINT, {}, now=START)
    assert caught.value.request_sent is sent
