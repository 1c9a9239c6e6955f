"""Back-Channel Logout 1.0 (issue 15): a test relying party on a loopback port receives a
logout token that verifies with the published JWKS and carries the right `sid`; a slow or
failing endpoint never holds up the user's sign-out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt

from idp.context import AppContext
from idp.oauth.backchannel import EVENT, Delivery
from tests.lifecycle.helpers import sign_in_tokens
from tests.oidc.helpers import published_keys, verified_claims
from tests.oidc.relying_party import BackchannelReceiver
from tests.support import NATIVE_ID, Seeded, csrf_of

ISSUER = "http://127.0.0.1:8000"


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[BackchannelReceiver]:
    behaviour = getattr(request, "param", "ok")
    with BackchannelReceiver(behaviour) as rp:
        yield rp


async def register_backchannel(ctx: AppContext, uri: str, *, session_required: bool) -> None:
    """The desktop test client, re-registered with a back-channel logout URI."""
    await ctx.store.clients.remove(NATIVE_ID)
    await ctx.store.clients.add(
        client_id=NATIVE_ID,
        name="Desktop test app",
        public=True,
        redirect_uris=["http://127.0.0.1/callback"],
        post_logout_redirect_uris=["http://127.0.0.1/signed-out"],
        grant_types=["authorization_code", "refresh_token"],
        scope="openid profile email offline_access",
        first_party=True,
        now=ctx.clock.now() + 1,  # the cache's fingerprint sees the change
        backchannel_logout_uri=uri,
        backchannel_logout_session_required=session_required,
    )
    await ctx.store.client_cache.refresh()


async def backchannel_session(
    client: httpx.AsyncClient, ctx: AppContext, uri: str, *, session_required: bool
) -> tuple[dict[str, Any], str]:
    """A session of the desktop client, registered with a back-channel logout URI first: its
    tokens and the session id (`sid`) its ID token carries."""
    await register_backchannel(ctx, uri, session_required=session_required)
    tokens = await sign_in_tokens(client)
    return tokens, (await verified_claims(client, tokens["id_token"]))["sid"]


async def received(rp: BackchannelReceiver, count: int = 1, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while len(rp.received) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert len(rp.received) >= count, rp.received


async def portal_sign_out(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/account")
    return await client.post("/signout", data={"csrf_token": csrf_of(page.text)})


async def check_logout_token(
    client: httpx.AsyncClient, token: str, sub: str, sid: str | None
) -> dict[str, Any]:
    decoded = jwt.decode(token, await published_keys(client))
    claims = dict(decoded.claims)
    assert decoded.header["typ"] == "logout+jwt"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == NATIVE_ID
    assert claims["sub"] == sub
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["jti"]
    assert claims["iat"] <= claims["exp"] <= claims["iat"] + 300
    if sid is None:
        assert "sid" not in claims
    else:
        assert claims["sid"] == sid
    return claims


async def test_sign_out_posts_a_verifiable_logout_token(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, receiver: BackchannelReceiver
) -> None:
    _, sid = await backchannel_session(client, ctx, receiver.url, session_required=True)
    assert receiver.received == []
    assert (await portal_sign_out(client)).status_code == 303
    await received(receiver)
    posted = receiver.received[0]
    assert posted["content-type"] == "application/x-www-form-urlencoded"
    claims = await check_logout_token(client, posted["logout_token"], seeded.user_id, sid)
    print("logout token received by the test RP:", claims)  # for the issue note (pytest -s)


async def test_rp_initiated_logout_tells_the_client(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, receiver: BackchannelReceiver
) -> None:
    tokens, sid = await backchannel_session(client, ctx, receiver.url, session_required=False)
    response = await client.get(
        "/logout", params={"id_token_hint": tokens["id_token"], "client_id": NATIVE_ID}
    )
    assert response.status_code == 200
    await received(receiver)
    await check_logout_token(client, receiver.received[0]["logout_token"], seeded.user_id, sid)


async def test_password_reset_tells_the_client(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, receiver: BackchannelReceiver
) -> None:
    from idp.accounts.password_reset import set_new_password

    _, sid = await backchannel_session(client, ctx, receiver.url, session_required=False)
    await set_new_password(ctx, seeded.user_id, "Un-Nouveau-Mot-De-Passe-2026")
    await received(receiver)
    await check_logout_token(client, receiver.received[0]["logout_token"], seeded.user_id, sid)


async def test_no_token_for_clients_without_a_backchannel_uri(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, receiver: BackchannelReceiver
) -> None:
    await sign_in_tokens(client)  # the seeded client registered none
    await portal_sign_out(client)
    await asyncio.sleep(0.3)
    assert receiver.received == []


@pytest.mark.parametrize("receiver", ["slow"], indirect=True)
async def test_a_slow_endpoint_does_not_delay_the_sign_out_page(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, receiver: BackchannelReceiver
) -> None:
    await register_backchannel(ctx, receiver.url, session_required=True)
    await sign_in_tokens(client)
    started = time.monotonic()
    response = await portal_sign_out(client)
    elapsed = time.monotonic() - started
    assert response.status_code == 303
    assert elapsed < 1.0, elapsed  # the endpoint takes 3 s to answer
    await received(receiver)


@pytest.mark.parametrize("receiver", ["fail"], indirect=True)
async def test_a_failing_endpoint_is_retried_then_logged_and_counted(
    client: httpx.AsyncClient,
    seeded: Seeded,
    ctx: AppContext,
    receiver: BackchannelReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx.backchannel.delivery = Delivery(timeout=2.0, attempts=3, backoff=0.05)
    await register_backchannel(ctx, receiver.url, session_required=True)
    await sign_in_tokens(client)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="sageid.backchannel"):
        response = await portal_sign_out(client)
        assert time.monotonic() - started < 1.0
        assert response.status_code == 303
        await received(receiver, count=3)
        deadline = time.monotonic() + 5
        while ctx.backchannel.failures == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    assert len(receiver.received) == 3  # three attempts, no more
    assert ctx.backchannel.failures == 1
    assert ctx.backchannel.sent == 0
    assert any("HTTP 500" in r.getMessage() for r in caplog.records)
    assert all("logout_token" not in r.getMessage() for r in caplog.records)


async def test_an_unreachable_endpoint_fails_quietly(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    from tests.conftest import free_port

    ctx.backchannel.delivery = Delivery(timeout=1.0, attempts=2, backoff=0.01)
    await register_backchannel(ctx, f"http://127.0.0.1:{free_port()}/gone", session_required=False)
    await sign_in_tokens(client)
    assert (await portal_sign_out(client)).status_code == 303
    deadline = time.monotonic() + 5
    while ctx.backchannel.failures == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert ctx.backchannel.failures == 1
