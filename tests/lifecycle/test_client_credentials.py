"""Client credentials (RFC 6749 §4.4): confidential clients only, registered scopes only,
and nothing written to the store."""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from idp.context import AppContext
from idp.store.tables import grants, refresh_tokens
from tests.lifecycle.helpers import PARTNER_AUTH, SERVICE_AUTH, basic
from tests.support import NATIVE_ID, SERVICE_ID, SERVICE_SECRET, Seeded, assert_oauth_error

API = "http://127.0.0.1:8000/api/v1"


async def _rows(ctx: AppContext) -> tuple[int, int]:
    async with ctx.store.db.read() as c:
        granted = (await c.execute(select(func.count()).select_from(grants))).scalar_one()
        issued = (await c.execute(select(func.count()).select_from(refresh_tokens))).scalar_one()
    return int(granted), int(issued)


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("scope", [None, "edi"])
async def test_service_gets_a_self_contained_token(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, auth: str, scope: str | None
) -> None:
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    headers = {}
    if auth == "client_secret_basic":
        headers = SERVICE_AUTH
    else:
        form.update(client_id=SERVICE_ID, client_secret=SERVICE_SECRET)
    response = await client.post("/token", data=form, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "edi"  # no scope asked: every registered one
    assert "refresh_token" not in body and "id_token" not in body
    token = jwt.decode(body["access_token"], KeySet(list(ctx.keys.verifying.values())))
    assert token.header["typ"] == "at+jwt" and token.header["alg"] == "ES256"
    assert token.claims["sub"] == SERVICE_ID == token.claims["client_id"]
    assert token.claims["aud"] == [API]
    assert "grant_id" not in token.claims
    assert await _rows(ctx) == (0, 0)  # write-free


@pytest.mark.parametrize(
    ("scope", "why"),
    [("openid", "not registered"), ("edi profile", "partly registered"), ("admin", "unknown")],
)
async def test_scope_beyond_registration_is_refused(
    client: httpx.AsyncClient, seeded: Seeded, scope: str, why: str
) -> None:
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", "scope": scope}, headers=SERVICE_AUTH
    )
    assert_oauth_error(response, 400, "invalid_scope")


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        ({"client_id": NATIVE_ID}, {}, 401, "invalid_client"),  # public client
        ({}, basic(SERVICE_ID, "wrong"), 401, "invalid_client"),
        ({}, basic("nobody", "secret"), 401, "invalid_client"),
        ({}, {}, 401, "invalid_client"),
        ({}, PARTNER_AUTH, 400, "unauthorized_client"),  # confidential, not registered for it
    ],
    ids=["public-client", "wrong-secret", "unknown-client", "no-auth", "grant-not-registered"],
)
async def test_refused_clients(
    client: httpx.AsyncClient,
    seeded: Seeded,
    form: dict[str, str],
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    response = await client.post(
        "/token", data={"grant_type": "client_credentials", **form}, headers=headers
    )
    assert_oauth_error(response, status, error)
