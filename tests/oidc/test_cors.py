"""CORS (issue 15): token, userinfo, revocation and device endpoints answer preflights and
allow registered web origins only; discovery and JWKS stay open to every origin."""

from __future__ import annotations

import httpx
import pytest

from idp.context import AppContext
from tests.lifecycle.helpers import sign_in_tokens
from tests.support import Seeded

APP = "https://app.example"
PATHS = ["/token", "/userinfo", "/revoke", "/device_authorization"]


@pytest.fixture
async def browser_app(ctx: AppContext, seeded: Seeded) -> None:
    await ctx.store.clients.add(
        client_id="spa",
        name="Browser app",
        public=True,
        redirect_uris=[f"{APP}/callback"],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code", "refresh_token"],
        scope="openid profile",
        first_party=False,
        now=ctx.clock.now() + 1,
        web_origins=[APP],
    )
    await ctx.store.client_cache.refresh()


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


@pytest.mark.parametrize("path", PATHS)
async def test_preflight_from_a_registered_origin(
    client: httpx.AsyncClient, browser_app: None, path: str
) -> None:
    response = await client.options(path, headers=preflight(APP))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "Authorization" in response.headers["access-control-allow-headers"]
    assert response.headers["vary"] == "Origin"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://app.example:8443", "http://app.example", "null"]
)
async def test_preflight_from_another_origin_is_refused(
    client: httpx.AsyncClient, browser_app: None, path: str, origin: str
) -> None:
    response = await client.options(path, headers=preflight(origin))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_responses_allow_the_registered_origin_only(
    client: httpx.AsyncClient, browser_app: None, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    allowed = await client.get("/userinfo", headers={**bearer, "Origin": APP})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP
    assert "WWW-Authenticate" in allowed.headers["access-control-expose-headers"]
    other = await client.get("/userinfo", headers={**bearer, "Origin": "https://evil.example"})
    assert other.status_code == 200  # not a browser: the answer is the same, unshared
    assert "access-control-allow-origin" not in other.headers
    error = await client.post("/token", data={"grant_type": "x"}, headers={"Origin": APP})
    assert error.status_code == 400
    assert error.headers["access-control-allow-origin"] == APP
    plain = await client.get("/userinfo", headers=bearer)
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/jwks.json"])
async def test_discovery_and_jwks_stay_open(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Origin": "https://anyone.example"})
    assert response.headers["access-control-allow-origin"] == "*"


async def test_pages_get_no_cors(client: httpx.AsyncClient, browser_app: None) -> None:
    response = await client.get("/signin", headers={"Origin": APP})
    assert "access-control-allow-origin" not in response.headers
