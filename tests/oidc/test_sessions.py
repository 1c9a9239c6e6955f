"""Browser sessions (issue 15): each sign-in has a `sid`, carried by ID tokens; grants without
`offline_access` end with their session (sign-out, expiry, RP-initiated logout, reset), those
with it live on."""

from __future__ import annotations

from typing import Any

import httpx

from idp.clock import FrozenClock
from idp.context import AppContext
from tests.lifecycle.helpers import refresh, sign_in_tokens
from tests.oidc.helpers import verified_claims
from tests.support import NATIVE_ID, Seeded, assert_oauth_error, csrf_of

SESSION_BOUND = "openid profile"  # the desktop test client still gets a refresh token
OFFLINE = "openid profile offline_access"


async def portal_sign_out(client: httpx.AsyncClient) -> None:
    page = await client.get("/account")
    response = await client.post("/signout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303


async def works(client: httpx.AsyncClient, tokens: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the access token passes userinfo, and the refresh token refreshes."""
    info = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    refreshed = await refresh(client, tokens["refresh_token"])
    if refreshed.status_code == 200:
        tokens.update(refreshed.json())
    return info.status_code == 200, refreshed.status_code == 200


async def test_id_tokens_carry_the_session_id(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    first = await sign_in_tokens(client, scope=OFFLINE)
    second = await sign_in_tokens(client, scope=SESSION_BOUND)  # same browser session
    sid = (await verified_claims(client, first["id_token"]))["sid"]
    assert sid and len(sid) >= 16
    assert (await verified_claims(client, second["id_token"]))["sid"] == sid
    # A refresh keeps it (OIDC Core §12.2: same session).
    refreshed = (await refresh(client, first["refresh_token"])).json()
    assert (await verified_claims(client, refreshed["id_token"]))["sid"] == sid
    # The sid is not the cookie.
    assert sid not in client.cookies.values()


async def test_a_new_sign_in_has_a_new_sid(client: httpx.AsyncClient, seeded: Seeded) -> None:
    first = await sign_in_tokens(client, scope=OFFLINE)
    await portal_sign_out(client)
    second = await sign_in_tokens(client, scope=OFFLINE)
    one = (await verified_claims(client, first["id_token"]))["sid"]
    two = (await verified_claims(client, second["id_token"]))["sid"]
    assert one != two


async def test_sign_out_ends_grants_without_offline_access(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    bound = await sign_in_tokens(client, scope=SESSION_BOUND)
    offline = await sign_in_tokens(client, scope=OFFLINE)
    assert await works(client, bound) == (True, True)
    await portal_sign_out(client)
    assert await works(client, bound) == (False, False)
    assert await works(client, offline) == (True, True)


async def test_rp_initiated_logout_ends_them_too(client: httpx.AsyncClient, seeded: Seeded) -> None:
    bound = await sign_in_tokens(client, scope=SESSION_BOUND)
    offline = await sign_in_tokens(client, scope=OFFLINE)
    response = await client.get(
        "/logout", params={"id_token_hint": bound["id_token"], "client_id": NATIVE_ID}
    )
    assert response.status_code == 200  # signed out, no redirect asked
    assert await works(client, bound) == (False, False)
    assert await works(client, offline) == (True, True)


async def test_session_expiry_ends_them(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, clock: FrozenClock
) -> None:
    bound = await sign_in_tokens(client, scope=SESSION_BOUND)
    offline = await sign_in_tokens(client, scope=OFFLINE)
    clock.advance(ctx.settings.lifetimes.browser_session - 60)
    still = await refresh(client, bound["refresh_token"])
    assert still.status_code == 200
    clock.advance(120)
    refused = await refresh(client, still.json()["refresh_token"])
    assert_oauth_error(refused, 400, "invalid_grant")
    assert (await refresh(client, offline["refresh_token"])).status_code == 200


async def test_password_reset_ends_every_grant(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext, clock: FrozenClock
) -> None:
    from idp.accounts.password_reset import set_new_password

    bound = await sign_in_tokens(client, scope=SESSION_BOUND)
    offline = await sign_in_tokens(client, scope=OFFLINE)
    clock.advance(1)
    await set_new_password(ctx, seeded.user_id, "Un-Nouveau-Mot-De-Passe-2026")
    assert await works(client, bound) == (False, False)
    assert await works(client, offline) == (False, False)
    assert "marie.martin" not in (await client.get("/account")).text
