"""Helpers for the token-lifecycle tests: a sign-in that ends with tokens, and the calls
every test makes (refresh, revoke, introspect) with their client authentication."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.dpop_keys import DPoPKey
from tests.oidc.helpers import consent
from tests.support import (
    NATIVE_ID,
    NATIVE_REDIRECT,
    PARTNER_ID,
    PARTNER_REDIRECT,
    PARTNER_SECRET,
    SERVICE_ID,
    SERVICE_SECRET,
    authorization_code,
    pkce_authorize_params,
    query_of,
    redeem_form,
    refresh_form,
)

NATIVE_SCOPE = "openid profile email offline_access"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


PARTNER_AUTH = basic(PARTNER_ID, PARTNER_SECRET)
SERVICE_AUTH = basic(SERVICE_ID, SERVICE_SECRET)


async def sign_in_tokens(
    http: httpx.AsyncClient,
    *,
    confidential: bool = False,
    scope: str = NATIVE_SCOPE,
    dpop: DPoPKey | None = None,
) -> dict[str, Any]:
    """The code flow, as the desktop app (public) or the partner (confidential) runs it."""
    client_id, redirect = (
        (PARTNER_ID, PARTNER_REDIRECT) if confidential else (NATIVE_ID, NATIVE_REDIRECT)
    )
    verifier, params = pkce_authorize_params(
        client_id=client_id, redirect_uri=redirect, scope=scope
    )
    response = await authorization_code(http, params)
    if response.status_code == 200 and 'name="decision"' in response.text:
        response = await consent(http, response)
    assert response.status_code in (302, 303), response.text
    code = query_of(response.headers["location"])["code"]
    # The partner authenticates with HTTP Basic: its id is in its credentials.
    own_id = None if confidential else client_id
    form = redeem_form(code, verifier, client_id=own_id, redirect_uri=redirect)
    headers = dict(PARTNER_AUTH) if confidential else {}
    if dpop is not None:
        headers["DPoP"] = dpop.proof("POST", f"{http.base_url}".rstrip("/") + "/token")
    token = await http.post("/token", data=form, headers=headers)
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


async def refresh(
    http: httpx.AsyncClient,
    refresh_token: str,
    *,
    confidential: bool = False,
    scope: str | None = None,
    dpop: DPoPKey | None = None,
) -> httpx.Response:
    # The partner authenticates with HTTP Basic: its id is in its credentials.
    form = refresh_form(refresh_token, scope=scope, client_id=None if confidential else NATIVE_ID)
    headers = dict(PARTNER_AUTH) if confidential else {}
    if dpop is not None:
        headers["DPoP"] = dpop.proof("POST", f"{http.base_url}".rstrip("/") + "/token")
    return await http.post("/token", data=form, headers=headers)


async def introspect(
    http: httpx.AsyncClient, token: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/introspect", data={"token": token}, headers=headers or SERVICE_AUTH
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def is_active(http: httpx.AsyncClient, token: str) -> bool:
    return bool((await introspect(http, token))["active"])
