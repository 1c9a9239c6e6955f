"""The async engine, and the two ways in: `read()` and `write()`.

SQLite allows one writer at a time; under concurrent requests its busy-waiting makes the latency
tail (PERFORMANCE.md), so write transactions are serialised in-process with one lock and kept
short. PostgreSQL needs no lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Select


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No rollback-on-return: `Connection.close()` has already ended the transaction, and
        # each aiosqlite call is a thread hand-off (PERFORMANCE.md: the async layer is the cost).
        engine = create_async_engine(url, pool_size=8, max_overflow=0, pool_reset_on_return=None)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=False)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._statements: dict[int, tuple[Select[Any], tuple[str, list[str], list[str]]]] = {}

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One short transaction; committed on success, rolled back on any exception."""
        if self._write_lock is None:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._write_lock, self.engine.begin() as connection:
            yield connection

    async def first(self, query: Select[Any], params: dict[str, Any]) -> Any | None:
        """The first row of a hot-path read (attribute access by column name), or None.

        On SQLite the compiled statement goes to the aiosqlite connection in one call: through
        SQLAlchemy's adapter a read is five thread hand-offs (cursor, execute, fetch, close,
        ...), most of the cost of a userinfo request. Only for selects of plain columns (no
        JSON or other types that need result processing).
        """
        if not self.is_sqlite:
            async with self.read() as connection:
                return (await connection.execute(query, params)).first()
        sql, names, keys = self._compiled(query)
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            rows = await raw.driver_connection.execute_fetchall(sql, [params[n] for n in names])  # type: ignore[union-attr]
        return SimpleNamespace(**dict(zip(keys, rows[0], strict=True))) if rows else None

    def _compiled(self, query: Select[Any]) -> tuple[str, list[str], list[str]]:
        found = self._statements.get(id(query))
        if found is None or found[0] is not query:
            compiled = query.compile(dialect=self.engine.dialect)
            keys = list(query.selected_columns.keys())
            found = (query, (compiled.string, list(compiled.positiontup or []), keys))
            self._statements[id(query)] = found
        return found[1]

    async def dispose(self) -> None:
        await self.engine.dispose()
