"""Audit events of the token lifecycle: refresh-token reuse (the grant revoked), revocation
of refresh and access tokens, RP-initiated logout."""

from __future__ import annotations

import httpx

from idp.audit import AuditEvent, Kind, observers
from idp.clock import FrozenClock
from idp.context import AppContext
from tests.audit.helpers import assert_no_secret, events
from tests.lifecycle.helpers import refresh, sign_in_tokens
from tests.support import NATIVE_ID, Seeded


async def test_reuse_of_a_rotated_refresh_token_is_recorded_with_the_revoked_grant(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    seen: list[AuditEvent] = []
    observers.append(seen.append)
    try:
        first = await sign_in_tokens(client)
        assert (await refresh(client, first["refresh_token"])).status_code == 200
        clock.advance(60)  # past the grace window
        assert (await refresh(client, first["refresh_token"])).status_code == 400
    finally:
        observers.remove(seen.append)
    [reuse] = await events(ctx, Kind.REFRESH_TOKEN_REUSED)
    assert (reuse.subject, reuse.client_id, reuse.outcome) == (seeded.user_id, NATIVE_ID, "refused")
    assert reuse.detail["grant_revoked"] is True
    grant = await ctx.store.grants.get(str(reuse.detail["grant_id"]))
    assert grant is not None and grant.revoked_at == clock.now()
    # The metrics hook sees it too (written inside the rotation transaction).
    assert [e.kind for e in seen if e.kind == Kind.REFRESH_TOKEN_REUSED] == [
        Kind.REFRESH_TOKEN_REUSED
    ]
    await assert_no_secret(ctx, first["refresh_token"], first["access_token"])


async def test_revocations_are_recorded(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    for token in (tokens["access_token"], tokens["refresh_token"], "unknown-token"):
        response = await client.post("/revoke", data={"token": token, "client_id": NATIVE_ID})
        assert response.status_code == 200
    trail = await events(ctx, Kind.REVOCATION)
    assert [(e.detail["token"], e.subject, e.client_id) for e in trail] == [
        ("access_token", seeded.user_id, NATIVE_ID),
        ("refresh_token", seeded.user_id, NATIVE_ID),
    ]
    assert trail[0].actor == f"client:{NATIVE_ID}"
    await assert_no_secret(ctx, tokens["refresh_token"], tokens["access_token"])


async def test_rp_initiated_logout_is_recorded_with_its_client(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1/signed-out",
        },
    )
    assert response.status_code in (200, 302, 303), response.text
    [logout] = await events(ctx, Kind.LOGOUT)
    assert (logout.subject, logout.client_id) == (seeded.user_id, NATIVE_ID)
