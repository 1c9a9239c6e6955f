"""Revocation (RFC 7009) at /revoke: refresh tokens take their grant with them, access tokens
go on the deny-list, unknown tokens answer 200, another client's token is refused."""

from __future__ import annotations

import httpx
import pytest

from tests.lifecycle.helpers import (
    PARTNER_AUTH,
    SERVICE_AUTH,
    basic,
    is_active,
    refresh,
    sign_in_tokens,
)
from tests.support import NATIVE_ID, PARTNER_ID, Seeded, assert_oauth_error


async def revoke(
    http: httpx.AsyncClient, token: str, *, hint: str | None = None, **auth: str
) -> httpx.Response:
    form = {"token": token, "client_id": NATIVE_ID}
    if hint:
        form["token_type_hint"] = hint
    return await http.post("/revoke", data=form)


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token", "id_token"])
async def test_revoking_a_refresh_token_revokes_its_grant(
    client: httpx.AsyncClient, seeded: Seeded, hint: str | None
) -> None:
    tokens = await sign_in_tokens(client)
    # A hint is only a hint; an invalid one is ignored (RFC 7009 §2.1).
    response = await revoke(client, tokens["refresh_token"], hint=hint)
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert_oauth_error(await refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    assert not await is_active(client, tokens["access_token"])
    userinfo = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401


async def test_revoking_a_rotated_refresh_token_revokes_the_grant(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    first = await sign_in_tokens(client)
    second = (await refresh(client, first["refresh_token"])).json()
    assert (await revoke(client, first["refresh_token"])).status_code == 200
    assert not await is_active(client, second["refresh_token"])


async def test_revoking_an_access_token_keeps_the_sign_in(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    assert (await revoke(client, tokens["access_token"])).status_code == 200
    assert not await is_active(client, tokens["access_token"])
    userinfo = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401
    renewed = await refresh(client, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert await is_active(client, renewed.json()["access_token"])
    # Revoking it twice is still a success (RFC 7009 §2.2).
    assert (await revoke(client, tokens["access_token"])).status_code == 200


async def test_confidential_client_revokes_with_its_secret(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client, confidential=True)
    anonymous = await client.post(
        "/revoke", data={"token": tokens["refresh_token"], "client_id": PARTNER_ID}
    )
    assert_oauth_error(anonymous, 401, "invalid_client")
    wrong = await client.post(
        "/revoke", data={"token": tokens["refresh_token"]}, headers=basic(PARTNER_ID, "wrong")
    )
    assert_oauth_error(wrong, 401, "invalid_client")
    assert await is_active(client, tokens["refresh_token"])
    response = await client.post(
        "/revoke", data={"token": tokens["refresh_token"]}, headers=PARTNER_AUTH
    )
    assert response.status_code == 200
    assert not await is_active(client, tokens["refresh_token"])


async def test_service_revokes_its_client_credentials_token(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    issued = await client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=SERVICE_AUTH
    )
    access_token = issued.json()["access_token"]
    assert await is_active(client, access_token)
    response = await client.post("/revoke", data={"token": access_token}, headers=SERVICE_AUTH)
    assert response.status_code == 200
    assert not await is_active(client, access_token)


@pytest.mark.parametrize("token", ["unknown-token", "a.b.c", ""])
async def test_unknown_tokens_answer_200(
    client: httpx.AsyncClient, seeded: Seeded, token: str
) -> None:
    response = await revoke(client, token)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["refresh_token", "access_token"])
async def test_another_clients_token_is_refused(
    client: httpx.AsyncClient, seeded: Seeded, kind: str
) -> None:
    partners = await sign_in_tokens(client, confidential=True)
    response = await revoke(client, partners[kind])  # presented by the desktop app
    assert_oauth_error(response, 400, "invalid_grant")
    assert await is_active(client, partners[kind])


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": NATIVE_ID}, 400, "invalid_request"),
        ({"token": "x"}, 401, "invalid_client"),
        ({"client_id": "nobody", "token": "x"}, 400, "invalid_client"),
    ],
    ids=["missing-token", "no-client", "unknown-client"],
)
async def test_bad_revocation_requests(
    client: httpx.AsyncClient, seeded: Seeded, form: dict[str, str], status: int, error: str
) -> None:
    assert_oauth_error(await client.post("/revoke", data=form), status, error)


async def test_repeated_parameters_are_refused(client: httpx.AsyncClient, seeded: Seeded) -> None:
    response = await client.post(
        "/revoke",
        content="token=a&token=b&client_id=desktop-test",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "invalid_request")
