"""Introspection (RFC 7662) at /introspect: confidential clients only; active tokens describe
themselves, anything else is `{"active": false}` and nothing more."""

from __future__ import annotations

import httpx
import pytest

from idp.clock import FrozenClock
from idp.settings import DAY
from tests.lifecycle.helpers import (
    PARTNER_AUTH,
    SERVICE_AUTH,
    basic,
    introspect,
    refresh,
    sign_in_tokens,
)
from tests.support import NATIVE_ID, SERVICE_ID, SERVICE_SECRET, Seeded, assert_oauth_error

ISSUER = "http://127.0.0.1:8000"


@pytest.mark.parametrize("auth", [SERVICE_AUTH, PARTNER_AUTH], ids=["service", "partner"])
async def test_active_access_token(
    client: httpx.AsyncClient, seeded: Seeded, auth: dict[str, str]
) -> None:
    tokens = await sign_in_tokens(client)
    body = await introspect(client, tokens["access_token"], auth)
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["client_id"] == NATIVE_ID
    assert body["sub"] == seeded.user_id
    assert body["scope"] == tokens["scope"]
    assert body["iss"] == ISSUER
    assert body["aud"] == [f"{ISSUER}/userinfo"]
    assert body["exp"] > body["iat"]
    assert "grant_id" not in body and "email" not in body


async def test_active_refresh_token(
    client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    body = await introspect(client, tokens["refresh_token"])
    assert body["active"] is True
    assert body["client_id"] == NATIVE_ID and body["sub"] == seeded.user_id
    assert body["exp"] == int(clock.now() + 30 * DAY)  # the sign-in was at clock.now()


async def test_client_credentials_token(client: httpx.AsyncClient, seeded: Seeded) -> None:
    issued = await client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=SERVICE_AUTH
    )
    body = await introspect(client, issued.json()["access_token"], PARTNER_AUTH)
    assert body["active"] is True
    assert body["sub"] == SERVICE_ID and body["scope"] == "edi"


async def test_inactive_after_expiry_of_the_grant(
    client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    clock.advance(30 * DAY + 1)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert await introspect(client, token) == {"active": False}


async def test_inactive_after_rotation(client: httpx.AsyncClient, seeded: Seeded) -> None:
    tokens = await sign_in_tokens(client)
    renewed = (await refresh(client, tokens["refresh_token"])).json()
    assert await introspect(client, tokens["refresh_token"]) == {"active": False}
    # The old access token lives on until it expires: the grant is still good.
    assert (await introspect(client, tokens["access_token"]))["active"] is True
    assert (await introspect(client, renewed["refresh_token"]))["active"] is True


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "id_token"])
async def test_unknown_tokens_are_inactive(
    client: httpx.AsyncClient, seeded: Seeded, token: str
) -> None:
    if token == "id_token":  # signed by our keys, but not an access token
        token = (await sign_in_tokens(client))["id_token"]
    assert await introspect(client, token) == {"active": False}


@pytest.mark.parametrize(
    ("form", "headers", "status"),
    [
        ({"client_id": NATIVE_ID}, {}, 401),  # public clients may not introspect
        ({}, basic(SERVICE_ID, "wrong"), 401),
        ({"client_id": SERVICE_ID, "client_secret": "wrong"}, {}, 401),
        ({}, {}, 401),
        ({}, {"Authorization": "Basic !!!"}, 401),
    ],
    ids=["public-client", "wrong-basic-secret", "wrong-post-secret", "no-auth", "malformed-basic"],
)
async def test_only_authenticated_confidential_clients(
    client: httpx.AsyncClient,
    seeded: Seeded,
    form: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.post(
        "/introspect", data={"token": tokens["access_token"], **form}, headers=headers
    )
    assert_oauth_error(response, status, "invalid_client")
    assert "active" not in response.json()


async def test_missing_token(client: httpx.AsyncClient, seeded: Seeded) -> None:
    response = await client.post("/introspect", data={}, headers=SERVICE_AUTH)
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("hint", ["refresh_token", "access_token", "id_token"])
async def test_the_hint_is_only_a_hint(
    client: httpx.AsyncClient, seeded: Seeded, hint: str
) -> None:
    tokens = await sign_in_tokens(client)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = await client.post(
            "/introspect", data={"token": token, "token_type_hint": hint}, headers=SERVICE_AUTH
        )
        assert response.status_code == 200 and response.json()["active"] is True


async def test_not_a_form(client: httpx.AsyncClient, seeded: Seeded) -> None:
    response = await client.post("/introspect", json={"token": "x"}, headers=SERVICE_AUTH)
    assert_oauth_error(response, 400, "invalid_request")


async def test_client_credentials_in_the_body_work(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.post(
        "/introspect",
        data={
            "token": tokens["access_token"],
            "client_id": SERVICE_ID,
            "client_secret": SERVICE_SECRET,
        },
    )
    assert response.status_code == 200 and response.json()["active"] is True
