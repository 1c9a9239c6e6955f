"""The execution modes (`idp.execution`): `Database.first()` and `atomic()` (inline on SQLite,
the async engine on PostgreSQL), `Bridge.run_authlib` on the loop or in a greenlet, transactions
that never suspend on SQLite, and the off-loop WAL checkpoint."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.util.concurrency import in_greenlet

from idp.execution import ExecutionMode, execution_mode
from idp.oauth.bridge import Bridge
from idp.store import Store
from idp.store.tables import revoked_tokens, users

BY_EMAIL = select(users).where(users.c.email == bindparam("email"))
DENY = insert(revoked_tokens)
DENIED = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti"))


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
    """For what only SQLite has: the embedded mode and the write-ahead log."""
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


async def test_embedded_store_calls_never_suspend(sqlite_store: Store) -> None:
    """On SQLite every store coroutine, page-path `read()`/`write()` included, finishes
    without suspending: that is what lets Authlib run on the event loop."""
    store = sqlite_store
    bridge = Bridge(ExecutionMode.EMBEDDED, timeout=5)
    loop_thread = threading.get_ident()

    def authlib_like() -> str:
        assert threading.get_ident() == loop_thread  # on the event loop, not in a thread
        Bridge.await_store(store.grants.deny_access_token, "jti-1", 9.0, 1.0)  # `write()`
        user = Bridge.await_store(store.users.by_email, "ada@example.com")  # `read()`
        assert user is not None
        return user.name

    assert await bridge.run_authlib(authlib_like) == "Ada"
    assert await store.grants.is_denied("jti-1")


async def test_scale_out_runs_authlib_in_a_greenlet_that_store_calls_suspend(
    store: Store,
) -> None:
    """PostgreSQL's mode (it works over any async store): Authlib on the loop's thread, in a
    greenlet; while its store call waits, other tasks run."""
    bridge = Bridge(ExecutionMode.SCALE_OUT, timeout=5)
    loop_thread = threading.get_ident()
    order: list[str] = []

    def authlib_like() -> str:
        assert threading.get_ident() == loop_thread and in_greenlet()
        order.append("authlib starts")
        Bridge.await_store(anyio.sleep, 0.05)  # suspends this greenlet, not the loop
        user = Bridge.await_store(store.users.by_email, "ada@example.com")
        assert user is not None
        order.append("authlib ends")
        return user.name

    async def meanwhile() -> None:
        await anyio.sleep(0.01)
        order.append("another task")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(meanwhile)
        assert await bridge.run_authlib(authlib_like) == "Ada"
    assert order == ["authlib starts", "another task", "authlib ends"]


async def test_a_store_call_that_hangs_is_abandoned() -> None:
    bridge = Bridge(ExecutionMode.SCALE_OUT, timeout=0.1)

    def hangs() -> None:
        Bridge.await_store(anyio.sleep, 30)

    with pytest.raises(TimeoutError):
        await bridge.run_authlib(hangs)


async def test_a_suspending_store_call_is_a_bug_in_the_embedded_mode() -> None:
    bridge = Bridge(ExecutionMode.EMBEDDED, timeout=5)

    def suspends() -> None:
        Bridge.await_store(anyio.sleep, 0.01)

    with pytest.raises(RuntimeError, match="suspended"):
        await bridge.run_authlib(suspends)
    with pytest.raises(RuntimeError, match="outside Bridge"):
        Bridge.await_store(anyio.sleep, 0)


async def test_a_transaction_suspending_on_sqlite_is_refused(sqlite_store: Store) -> None:
    """Transactions never interleave on the writer: none may suspend, so none waits for a
    lock. One that did would let a second begin: that raises, and the first still commits."""
    store = sqlite_store
    inside, release = anyio.Event(), anyio.Event()

    async def suspending_write() -> None:
        async with store.db.write() as c:
            await c.execute(DENY, {"jti": "first", "expires_at": 9.0})
            inside.set()
            await release.wait()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(suspending_write)
        await inside.wait()
        for second in (store.db.write(), store.db.atomic()):
            with pytest.raises(RuntimeError, match="another was open"):
                async with second as c:
                    await c.execute(DENY, {"jti": "second", "expires_at": 9.0})
        release.set()
    assert await store.db.first(DENIED, {"jti": "first"}) is not None
    assert await store.db.first(DENIED, {"jti": "second"}) is None


def test_the_mode_follows_the_database_url() -> None:
    assert execution_mode("sqlite+aiosqlite:///var/x.db") is ExecutionMode.EMBEDDED
    assert execution_mode("postgresql+asyncpg://u@h/db") is ExecutionMode.SCALE_OUT
    with pytest.raises(ValueError, match="unsupported database"):
        execution_mode("mysql+aiomysql://u@h/db")


async def test_inline_writes_are_checkpointed_off_the_loop(sqlite_store: Store) -> None:
    store = sqlite_store
    path = Path(store.db.url.split("///", 1)[1])
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


async def test_all_reads_every_row(store: Store) -> None:
    async with store.db.atomic() as c:
        for jti in ("b", "a"):
            await c.execute(DENY, {"jti": jti, "expires_at": 9.0})
    rows = await store.db.all(select(revoked_tokens).order_by(revoked_tokens.c.jti), {})
    assert [row.jti for row in rows] == ["a", "b"]
