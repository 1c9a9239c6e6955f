"""Refresh-token theft inside the grace window (issue 16).

A desktop's refresh token is DPoP-bound to a key the thief does not have. After the desktop
rotated it, the thief replays the old token within the 10 s grace window: with another key
(or none) it is refused and the whole grant is revoked (RFC 9700 §4.14.2); the desktop's own
retry inside the window (its response was lost) gets the very pair it missed. Run with `-s`
to see the exchanges.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.store.tables import grants
from tests.dpop_keys import DPoPKey
from tests.lifecycle.helpers import introspect, refresh, sign_in_tokens
from tests.support import Seeded, assert_oauth_error


def show(who: str, response: httpx.Response) -> None:
    body = response.json()
    shown = {
        k: (v[:16] + "…" if isinstance(v, str) and len(v) > 24 else v)
        for k, v in body.items()
        if k != "id_token"
    }
    print(f"  {who}: POST /token → {response.status_code} {shown}")


async def revoked_at(ctx: AppContext) -> float | None:
    async with ctx.store.db.read() as c:
        value = (await c.execute(select(grants.c.revoked_at))).scalar_one()
    return float(value) if value is not None else None


@pytest.mark.parametrize("thief_key", ["another key", "no proof"])
async def test_a_stolen_bound_token_replayed_in_the_grace_window_revokes_the_grant(
    client: httpx.AsyncClient,
    ctx: AppContext,
    clock: FrozenClock,
    seeded: Seeded,
    thief_key: str,
) -> None:
    print(f"\n[refresh theft, thief with {thief_key}]")
    desktop = DPoPKey()
    first = await sign_in_tokens(client, dpop=desktop)
    print(f"  desktop signs in: token_type={first['token_type']}, bound to {desktop.jkt[:12]}…")
    rotated = await refresh(client, first["refresh_token"], dpop=desktop)
    show("desktop refreshes (key A)", rotated)
    assert rotated.status_code == 200
    clock.advance(3)  # well inside the 10 s grace window
    thief = DPoPKey() if thief_key == "another key" else None
    stolen = await refresh(client, first["refresh_token"], dpop=thief)
    show(f"thief replays the old token 3 s later ({thief_key})", stolen)
    assert_oauth_error(stolen, 400, "invalid_grant")
    assert await revoked_at(ctx) == clock.now()
    print(f"  grant revoked at t+3 s: {await revoked_at(ctx) is not None}")
    # Everything the grant issued is dead: the desktop's new pair included.
    after = await refresh(client, rotated.json()["refresh_token"], dpop=desktop)
    show("desktop refreshes its new token", after)
    assert_oauth_error(after, 400, "invalid_grant")
    assert not (await introspect(client, rotated.json()["access_token"]))["active"]
    print("  the desktop's access token is inactive at introspection")


async def test_the_desktops_own_retry_in_the_grace_window_gets_the_same_pair(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, seeded: Seeded
) -> None:
    print("\n[lost response, the desktop retries]")
    desktop = DPoPKey()
    first = await sign_in_tokens(client, dpop=desktop)
    rotated = await refresh(client, first["refresh_token"], dpop=desktop)
    show("desktop refreshes (response lost)", rotated)
    clock.advance(3)
    retry = await refresh(client, first["refresh_token"], dpop=desktop)
    show("desktop retries the old token 3 s later (key A, new proof)", retry)
    assert retry.status_code == 200, retry.text
    for member in ("token_type", "access_token", "refresh_token", "expires_in", "scope"):
        assert retry.json()[member] == rotated.json()[member], member
    assert await revoked_at(ctx) is None
    print("  same pair, grant live")
    onwards = await refresh(client, retry.json()["refresh_token"], dpop=desktop)
    show("desktop refreshes onwards", onwards)
    assert onwards.status_code == 200
