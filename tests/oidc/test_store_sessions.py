"""The store side of sessions that end (issue 15), on SQLite and PostgreSQL: a session's
`sid`, the grants it signed in, which of them end with it, and who is to be told."""

from __future__ import annotations

import uuid

from idp.context import AppContext
from idp.store.records import GrantRecord
from tests.support import NATIVE_ID, PARTNER_ID, Seeded


def grant(user_id: str, client_id: str, scope: str, sid: str | None, now: float) -> GrantRecord:
    return GrantRecord(
        id=str(uuid.uuid4()),
        user_id=user_id,
        client_id=client_id,
        scope=scope,
        auth_time=now,
        expires_at=now + 3600,
        revoked_at=None,
        sid=sid,
    )


async def test_ending_a_session_ends_its_session_bound_grants(
    ctx: AppContext, seeded: Seeded
) -> None:
    store, now = ctx.store, ctx.clock.now()
    cookie = await store.sessions.create(seeded.user_id, now=now, lifetime=3600)
    session = await store.sessions.get(cookie, now)
    assert session is not None and session.sid
    sid = session.sid
    bound = grant(seeded.user_id, NATIVE_ID, "openid profile", sid, now)
    offline = grant(seeded.user_id, PARTNER_ID, "openid offline_access", sid, now)
    elsewhere = grant(seeded.user_id, NATIVE_ID, "openid", None, now)
    for record in (bound, offline, elsewhere):
        await store.grants.create(record, refresh_token_hash=None, now=now)

    assert set(await store.grants.live_sign_ins(seeded.user_id, now)) == {
        (NATIVE_ID, sid),
        (PARTNER_ID, sid),
        (NATIVE_ID, None),
    }
    assert await store.sessions.end(cookie, now + 1) == sid
    assert await store.sessions.end(cookie, now + 2) is None  # ended already
    told = await store.grants.end_with_sessions([sid], now + 1)
    assert sorted(told) == sorted(
        [(NATIVE_ID, seeded.user_id, sid), (PARTNER_ID, seeded.user_id, sid)]
    )
    revoked = {g.id: (await store.grants.get(g.id)) for g in (bound, offline, elsewhere)}
    assert revoked[bound.id] is not None and revoked[bound.id].revoked_at == now + 1  # type: ignore[union-attr]
    assert revoked[offline.id] is not None and revoked[offline.id].revoked_at is None  # type: ignore[union-attr]
    assert revoked[elsewhere.id] is not None and revoked[elsewhere.id].revoked_at is None  # type: ignore[union-attr]
    assert await store.grants.end_with_sessions([], now) == []


async def test_ending_every_session_of_a_user_gives_their_sids(
    ctx: AppContext, seeded: Seeded
) -> None:
    store, now = ctx.store, ctx.clock.now()
    first = await store.sessions.create(seeded.user_id, now=now, lifetime=3600)
    second = await store.sessions.create(seeded.user_id, now=now, lifetime=3600)
    expired = await store.sessions.create(seeded.user_id, now=now - 7200, lifetime=3600)
    sids = {
        s.sid
        for c in (first, second)
        if (s := await store.sessions.get(c, now)) is not None and s.sid
    }
    assert len(sids) == 2
    assert await store.sessions.get(expired, now) is None
    assert set(await store.sessions.end_for_user(seeded.user_id, now)) == sids
    assert await store.sessions.end_for_user(seeded.user_id, now) == []
