"""The hot paths' way into the store: `Database.first()` and `atomic()` (inline on SQLite, the
async engine on PostgreSQL), `no_waiting()` / `MustWait`, `Bridge.run(on_loop=True)` and the
off-loop WAL checkpoint."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import bindparam, insert, select

from idp.oauth.bridge import Bridge
from idp.store import Store
from idp.store.database import MustWait, no_waiting
from idp.store.tables import RevokedToken, User

users = User.__table__  # type: ignore[attr-defined]
revoked = RevokedToken.__table__  # type: ignore[attr-defined]
BY_EMAIL = select(users).where(users.c.email == bindparam("email"))
DENY = insert(revoked)
DENIED = select(revoked.c.jti).where(revoked.c.jti == bindparam("jti"))


async def _store(url: str) -> AsyncIterator[Store]:
    store = Store(url)
    await store.users.add(
        email="ada@example.com",
        name="Ada",
        password_hash="x",
        email_verified=True,
        now=1_000.0,
    )
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async for store in _store(database_url):
        yield store


@pytest.fixture
async def sqlite_store(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Store]:
    """For what only SQLite has: the in-process write lock and the write-ahead log."""
    path = tmp_path / "sageid.db"
    shutil.copy(sqlite_template, path)
    async for store in _store(f"sqlite+aiosqlite:///{path}"):
        yield store


async def test_first_reads_rows_as_the_async_engine_does(store: Store) -> None:
    row = await store.db.first(BY_EMAIL, {"email": "ada@example.com"})
    async with store.db.read() as c:
        expected = (await c.execute(BY_EMAIL, {"email": "ada@example.com"})).first()
    assert row is not None and expected is not None
    assert tuple(row) == tuple(expected)
    assert row.email_verified is True and row.created_at == 1_000.0  # types processed
    assert await store.db.first(BY_EMAIL, {"email": "nobody@example.com"}) is None
    literal = select(users.c.name).where(users.c.email == "ada@example.com", users.c.id != "")
    found = await store.db.first(literal, {})  # values bound in the statement itself
    assert found is not None and found.name == "Ada"


async def test_atomic_commits_or_rolls_back(store: Store) -> None:
    async with store.db.atomic() as c:
        await c.execute(DENY, {"jti": "kept", "expires_at": 9.0})
    with pytest.raises(RuntimeError):
        async with store.db.atomic() as c:
            await c.execute(DENY, {"jti": "dropped", "expires_at": 9.0})
            raise RuntimeError("abort")
    assert await store.db.first(DENIED, {"jti": "kept"}) is not None
    assert await store.db.first(DENIED, {"jti": "dropped"}) is None


async def test_no_waiting_refuses_whatever_would_wait(store: Store) -> None:
    with no_waiting(), pytest.raises(MustWait):
        Bridge.call(store.users.by_email, "ada@example.com")  # `read()`: the async engine
    if not store.db.is_sqlite:
        with no_waiting(), pytest.raises(MustWait):
            Bridge.call(store.db.first, BY_EMAIL, {"email": "ada@example.com"})
        return
    with no_waiting():  # inline on SQLite: finished on the spot
        row = Bridge.call(store.db.first, BY_EMAIL, {"email": "ada@example.com"})
    assert row is not None and row.name == "Ada"


async def test_a_write_must_wait_while_another_task_writes(sqlite_store: Store) -> None:
    store = sqlite_store
    inside, release = anyio.Event(), anyio.Event()

    async def long_write() -> None:
        async with store.db.write() as c:
            await c.execute(DENY, {"jti": "first", "expires_at": 9.0})
            inside.set()
            await release.wait()

    async def deny() -> None:
        async with store.db.atomic() as c:
            await c.execute(DENY, {"jti": "second", "expires_at": 9.0})

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(long_write)
        await inside.wait()
        with no_waiting(), pytest.raises(MustWait):
            Bridge.call(deny)
        assert await store.db.first(DENIED, {"jti": "second"}) is None  # nothing written
        release.set()
    await deny()  # waiting allowed: it takes its turn
    assert await store.db.first(DENIED, {"jti": "second"}) is not None


async def test_on_loop_calls_fall_back_to_a_worker_thread(store: Store) -> None:
    bridge = Bridge(threads=2, timeout=5)
    attempts: list[bool] = []

    def authlib_like() -> str:
        attempts.append(True)
        user = Bridge.call(store.users.by_email, "ada@example.com")  # must wait
        assert user is not None
        return user.name

    assert await bridge.run(authlib_like, on_loop=True) == "Ada"
    assert len(attempts) == 2  # on the loop (refused before any store work), then a thread

    def inline_only() -> bool:
        return Bridge.call(store.db.first, DENIED, {"jti": "x"}) is None

    attempts.clear()
    assert await bridge.run(inline_only, on_loop=True) is True


async def test_inline_writes_are_checkpointed_off_the_loop(sqlite_store: Store) -> None:
    store = sqlite_store
    path = Path(store.db.engine.url.database or "")
    async with store.db.atomic() as c:
        await c.execute(DENY, {"jti": "in-the-log", "expires_at": 9.0})

    def in_the_file() -> bool:
        """Read the database file alone, ignoring the write-ahead log."""
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as direct:
            found = direct.execute("SELECT 1 FROM revoked_tokens WHERE jti = 'in-the-log'")
            return found.fetchone() is not None

    assert not in_the_file()  # committed to the log only
    await store.db.checkpoint()
    assert in_the_file()


async def test_waiting_after_a_write_is_a_bug_not_a_retry(sqlite_store: Store) -> None:
    """`MustWait` means "run me again": only true while nothing was written."""
    store = sqlite_store

    async def deny_then_read() -> None:
        async with store.db.atomic() as c:
            await c.execute(DENY, {"jti": "written", "expires_at": 9.0})
        await store.users.by_email("ada@example.com")  # `read()`: would wait

    with no_waiting(), pytest.raises(RuntimeError, match="after a write"):
        Bridge.call(deny_then_read)


async def test_all_reads_every_row(store: Store) -> None:
    async with store.db.atomic() as c:
        for jti in ("b", "a"):
            await c.execute(DENY, {"jti": jti, "expires_at": 9.0})
    rows = await store.db.all(select(revoked).order_by(revoked.c.jti), {})
    assert [row.jti for row in rows] == ["a", "b"]
