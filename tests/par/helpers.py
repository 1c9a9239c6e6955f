"""Pushing authorization requests (RFC 9126) in tests."""

from __future__ import annotations

import httpx

from idp.context import AppContext
from tests.support import NATIVE_REDIRECT, PARTNER_ID, PARTNER_REDIRECT, PARTNER_SECRET

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
PAR_CLIENT_ID = "par-required"
PAR_CLIENT_REDIRECT = "https://bank.example/callback"
PAR_CLIENT_SECRET = "par-required-secret"


def partner_auth() -> httpx.BasicAuth:
    return httpx.BasicAuth(PARTNER_ID, PARTNER_SECRET)


async def push(
    http: httpx.AsyncClient, params: dict[str, str], auth: httpx.BasicAuth | None = None
) -> httpx.Response:
    return await http.post("/par", data=params, auth=auth or httpx.USE_CLIENT_DEFAULT)


async def pushed_uri(
    http: httpx.AsyncClient, params: dict[str, str], auth: httpx.BasicAuth | None = None
) -> str:
    response = await push(http, params, auth)
    assert response.status_code == 201, response.text
    request_uri: str = response.json()["request_uri"]
    return request_uri


async def add_par_client(ctx: AppContext) -> None:
    """A confidential client that must push its requests (`clients add --require-par`)."""
    await ctx.store.clients.add(
        client_id=PAR_CLIENT_ID,
        name="Bank portal",
        public=False,
        secret=PAR_CLIENT_SECRET,
        redirect_uris=[PAR_CLIENT_REDIRECT],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code", "refresh_token"],
        scope="openid profile email",
        first_party=True,
        now=ctx.clock.now(),
        require_pushed_authorization_requests=True,
    )
    await ctx.store.client_cache.refresh()


__all__ = ["NATIVE_REDIRECT", "PARTNER_REDIRECT"]
