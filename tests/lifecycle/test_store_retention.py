"""Retention: the database stays flat under a refresh loop (an injected clock plays days of
10-minute refreshes in a few seconds), ended rows go, live ones stay, and the server purges
by itself."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
from sqlalchemy import Table, func, select

from idp.app import create_app
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.domain.throttle import PASSWORD_PER_IP
from idp.retention import purge_once
from idp.settings import Retention, Settings
from idp.store.tables import (
    authorization_codes,
    browser_sessions,
    grants,
    refresh_tokens,
    throttle_tallies,
)
from tests.conftest import make_settings
from tests.lifecycle.helpers import refresh, sign_in_tokens
from tests.support import Seeded, seed

TEN_MINUTES = 600.0
HOUR = 3600.0


async def rows(ctx: AppContext, table: Table) -> int:
    async with ctx.store.db.read() as c:
        return int((await c.execute(select(func.count()).select_from(table))).scalar_one())


async def test_the_database_stays_flat_under_a_refresh_loop(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    keep = ctx.settings.retention
    sizes = []
    for step in range(1, 433):  # three days of a refresh every ten minutes
        clock.advance(TEN_MINUTES)
        response = await refresh(client, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        tokens = response.json()
        if step % 6 == 0:  # the server purges every interval (here: hourly)
            await purge_once(ctx.store, clock, keep)
            sizes.append(await rows(ctx, refresh_tokens))
    # After a day the rotated tokens kept for reuse detection stop growing: flat.
    per_day = int(keep.rotated_refresh_tokens // TEN_MINUTES)
    assert max(sizes) <= per_day + 2  # a day of rotated ones, the boundary one, the live one
    assert sizes[-1] == sizes[-24] == sizes[-48]
    assert await rows(ctx, authorization_codes) == 0  # the sign-in's code, long expired
    assert await rows(ctx, browser_sessions) == 0  # the browser session (12 h), expired
    assert await rows(ctx, grants) == 1  # the live grant stays...
    assert (await refresh(client, tokens["refresh_token"])).status_code == 200  # ...and works


async def test_reuse_is_still_detected_within_the_retention(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    first = await sign_in_tokens(client)
    assert (await refresh(client, first["refresh_token"])).status_code == 200
    clock.advance(HOUR)
    await purge_once(ctx.store, clock, ctx.settings.retention)
    assert (await refresh(client, first["refresh_token"])).status_code == 400
    async with ctx.store.db.read() as c:
        revoked = (await c.execute(select(grants.c.revoked_at))).scalar_one()
    assert revoked == clock.now()  # the rotated token was still known: the grant went


async def test_ended_grants_go_with_their_refresh_tokens(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    ended = await sign_in_tokens(client)
    live = await sign_in_tokens(client)
    revoked = await client.post(
        "/revoke", data={"token": ended["refresh_token"], "client_id": "desktop-test"}
    )
    assert revoked.status_code == 200
    await ctx.store.throttle.reserve([("password:ip:x", PASSWORD_PER_IP)], clock.now())
    clock.advance(ctx.settings.retention.ended_grants + 1)
    counts = await purge_once(ctx.store, clock, ctx.settings.retention)
    assert counts["grants"] == 1 and counts["refresh_tokens"] == 1
    assert counts["audit_events"] == 0  # the revocation and sign-ins are recent enough
    assert counts["throttle_tallies"] == 2  # ours, and the sign-ins' (refunded) one
    assert await rows(ctx, grants) == 1 and await rows(ctx, throttle_tallies) == 0
    assert (await refresh(client, live["refresh_token"])).status_code == 200


async def test_the_server_purges_by_itself(
    tmp_path: Path, database_url: str, key_template: Path
) -> None:
    settings: Settings = make_settings(tmp_path, database_url, key_template).replace(
        retention=Retention(purge_interval=0.05)
    )
    clock = FrozenClock()
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        await seed(ctx)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
            await sign_in_tokens(http)
        assert await rows(ctx, authorization_codes) == 1
        clock.advance(2 * HOUR)
        with anyio.fail_after(5):
            while await rows(ctx, authorization_codes):
                await anyio.sleep(0.02)


async def test_audit_events_are_kept_for_their_retention(
    ctx: AppContext, clock: FrozenClock
) -> None:
    from idp import audit

    await audit.record(ctx.store, audit.Kind.LOGOUT, at=clock.now(), subject="u")
    keep = ctx.settings.retention
    clock.advance(keep.audit_events - 1)
    assert (await purge_once(ctx.store, clock, keep))["audit_events"] == 0
    clock.advance(2)
    assert (await purge_once(ctx.store, clock, keep))["audit_events"] == 1
