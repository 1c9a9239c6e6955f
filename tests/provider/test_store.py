"""The store: atomic single use, migrations checked at start-up (SQLite and PostgreSQL)."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import text

from idp.context import AppContext
from idp.migrate import NotMigrated, check_migrated
from idp.store import Store
from idp.store.records import AuthorizationCodeRecord
from tests.support import NATIVE_ID, NATIVE_REDIRECT, Seeded


async def test_a_code_is_consumed_once_under_concurrency(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    record = AuthorizationCodeRecord(
        client_id=NATIVE_ID,
        user_id=seeded.user_id,
        grant_id="g-1",
        redirect_uri=NATIVE_REDIRECT,
        scope="openid",
        nonce=None,
        code_challenge="c" * 43,
        code_challenge_method="S256",
        auth_time=now,
        expires_at=now + 60,
    )
    await ctx.store.codes.save("the-code", record)
    winners: list[object] = []

    async def redeem() -> None:
        result = await ctx.store.codes.consume("the-code", NATIVE_ID, now)
        if result is not None:
            winners.append(result)

    async with anyio.create_task_group() as tasks:
        for _ in range(8):
            tasks.start_soon(redeem)
    assert len(winners) == 1
    assert await ctx.store.codes.consume("the-code", NATIVE_ID, now) is None


async def test_codes_are_stored_hashed(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    record = AuthorizationCodeRecord(
        NATIVE_ID,
        seeded.user_id,
        "g-2",
        NATIVE_REDIRECT,
        "openid",
        None,
        "c" * 43,
        "S256",
        now,
        now + 60,
    )
    await ctx.store.codes.save("plain-code-value", record)
    async with ctx.store.db.read() as connection:
        rows = (await connection.execute(text("SELECT code_hash FROM authorization_codes"))).all()
    assert rows and all("plain-code-value" not in row[0] for row in rows)


async def test_sessions_expire_and_end(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    session_id = await ctx.store.sessions.create(seeded.user_id, now=now, lifetime=100)
    assert (await ctx.store.sessions.get(session_id, now + 99)) is not None
    assert (await ctx.store.sessions.get(session_id, now + 100)) is None
    await ctx.store.sessions.end(session_id, now)
    assert (await ctx.store.sessions.get(session_id, now)) is None


async def test_client_secrets_are_hashed(ctx: AppContext) -> None:
    client, secret = await ctx.store.clients.add(
        name="C",
        public=False,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        grant_types=["client_credentials"],
        scope="edi",
        first_party=True,
        now=0.0,
    )
    assert secret and client.check_client_secret(secret)
    assert not client.check_client_secret(secret + "x")
    async with ctx.store.db.read() as connection:
        stored = (await connection.execute(text("SELECT secret_hash FROM clients"))).scalar_one()
    assert stored != secret and len(stored) == 64


async def test_unmigrated_database_is_refused(tmp_path: object, database_url: str) -> None:
    store = Store(database_url)
    try:
        async with store.db.write() as connection:
            await connection.execute(text("DELETE FROM alembic_version"))
        with pytest.raises(NotMigrated, match="sageid-idp db upgrade"):
            await check_migrated(store.db)
    finally:
        await store.close()
