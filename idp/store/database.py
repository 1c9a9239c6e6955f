"""The async engine, and the ways in: `read()` and `write()` for everything, `first()` and
`atomic()` for the hot paths (token refresh, introspection, userinfo, the API's token check).

SQLite allows one writer at a time; under concurrent requests its busy-waiting makes the latency
tail (PERFORMANCE.md), so write transactions are serialised in-process with one lock and kept
short. PostgreSQL needs no lock.

On SQLite the hot paths skip the async driver. Through SQLAlchemy's aiosqlite adapter one
statement is several thread hand-offs, ~90-140 µs of CPU each on this machine, while SQLite
itself reads a row by key in ~8 µs and runs a whole refresh rotation (read, conditional UPDATE,
INSERT, COMMIT) in ~55 µs. So `first()` and `atomic()` run their compiled statements
synchronously on the event loop with the standard library driver (`InlineSQLite`): the loop
is held for less time than a hand-off would cost. They stay `async` and keep one code path
with PostgreSQL, where they go through the async engine as usual. (With several worker
processes on one SQLite file, an inline write may wait for another process's transaction —
SQLite's busy timeout — holding its loop meanwhile: several workers want PostgreSQL.)

Because those calls finish without ever suspending, Authlib's synchronous grants can run on
the event loop too (`idp.oauth.bridge`): under `no_waiting()`, a store call that would have
to wait — any `read()`/`write()`, PostgreSQL, or the write lock held by another task — raises
`MustWait` before it reads or writes anything, and the caller goes the usual way instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No rollback-on-return: `Connection.close()` has already ended the transaction, and
        # each aiosqlite call is a thread hand-off (PERFORMANCE.md: the async layer is the cost).
        # No statement cache: a cached statement keeps its last bound values, so every pooled
        # connection held a copy of the last submission file it stored, 20 MB each (issue 14).
        # The hot paths have their own connections (`InlineSQLite`), which keep theirs.
        engine = create_async_engine(
            url,
            pool_size=8,
            max_overflow=0,
            pool_reset_on_return=None,
            connect_args={"cached_statements": 0},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=False)


class MustWait(Exception):
    """A store call made under `no_waiting()` would have to wait; nothing was written."""


@dataclass
class _Attempt:
    wrote: bool = False  # a transaction committed: from then on, waiting is a bug, not a retry


_NO_WAITING: ContextVar[_Attempt | None] = ContextVar("sageid_no_waiting", default=None)


@contextmanager
def no_waiting() -> Iterator[None]:
    """Store calls in this block must finish without suspending, or raise `MustWait` — which
    they may only do before the block wrote anything, so that it can be run again."""
    token = _NO_WAITING.set(_Attempt())
    try:
        yield
    finally:
        _NO_WAITING.reset(token)


def waiting_allowed() -> bool:
    return _NO_WAITING.get() is None


def _may_wait() -> None:
    attempt = _NO_WAITING.get()
    if attempt is None:
        return
    if attempt.wrote:
        raise RuntimeError("a store call would wait after a write under no_waiting()")
    raise MustWait


class Statements(Protocol):
    """A connection as hot-path code uses it: `await c.execute(statement, parameters)`."""

    async def execute(self, statement: Any, parameters: Any = None, /) -> Any: ...


@dataclass(frozen=True)
class InlineResult:
    rows: list[Any]
    rowcount: int

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind parameters, in placeholder order
    values: dict[str, Any]  # the values bound in the statement itself (literals)
    bind: tuple[Callable[[Any], Any] | None, ...]
    row: Any  # a namedtuple class for selects, None otherwise
    result: tuple[Callable[[Any], Any] | None, ...]


class InlineSQLite:
    """Compiled SQLAlchemy Core statements on one standard-library SQLite connection, run
    synchronously. Parameters and rows go through the column types' own processors, as
    SQLAlchemy does; rows allow attribute access by column name, like its `Row`."""

    CACHE_SIZE = 256  # statements are module constants; a bound keeps a stray one harmless

    def __init__(self, path: str, dialect: Dialect, *pragmas: str) -> None:
        self._path = path
        self._dialect = dialect
        self._pragmas = PRAGMAS + pragmas
        self._connection: sqlite3.Connection | None = None
        self._compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, _Compiled]] = {}

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # Opened on first use (after migrations), used only on the event loop thread.
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            for pragma in self._pragmas:
                connection.execute(pragma)
            self._connection = connection
        return self._connection

    def execute(self, statement: Executable, parameters: Mapping[str, Any]) -> InlineResult:
        compiled = self._compile(statement, tuple(parameters))
        given = {**compiled.values, **parameters} if compiled.values else parameters
        values = [
            process(given[name]) if process else given[name]
            for name, process in zip(compiled.names, compiled.bind, strict=True)
        ]
        cursor = self._connect().execute(compiled.sql, values)
        if compiled.row is None:
            return InlineResult([], cursor.rowcount)
        rows = [
            compiled.row._make(
                process(value) if process else value
                for value, process in zip(raw, compiled.result, strict=True)
            )
            for raw in cursor.fetchall()
        ]
        return InlineResult(rows, cursor.rowcount)

    def run(self, sql: str) -> None:
        self._connect().execute(sql).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _compile(self, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get((id(statement), keys))
        if found is not None and found[0] is statement:
            return found[1]
        compiled = statement.compile(dialect=self._dialect, column_keys=list(keys))  # type: ignore[attr-defined]
        names = tuple(compiled.positiontup or ())
        columns = list(getattr(statement, "selected_columns", None) or [])
        entry = _Compiled(
            sql=compiled.string,
            names=names,
            values={
                n: compiled.binds[n].effective_value
                for n in names
                if not compiled.binds[n].required
            },
            bind=tuple(compiled.binds[name].type.bind_processor(self._dialect) for name in names),
            row=namedtuple("Row", [c.key for c in columns], rename=True) if columns else None,  # type: ignore[misc]
            result=tuple(c.type.result_processor(self._dialect, None) for c in columns),
        )
        if len(self._compiled) >= self.CACHE_SIZE:
            self._compiled.clear()
        self._compiled[(id(statement), keys)] = (statement, entry)
        return entry

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _InlineStatements:
    """`InlineSQLite` behind the async `Statements` interface (it never suspends)."""

    def __init__(self, inline: InlineSQLite) -> None:
        self._inline = inline

    async def execute(self, statement: Any, parameters: Any = None, /) -> InlineResult:
        return self._inline.execute(statement, parameters or {})


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._reader: InlineSQLite | None = None
        self._writer: InlineSQLite | None = None
        self._checkpointer: InlineSQLite | None = None
        database = make_url(url).database
        if self.is_sqlite and database and database != ":memory:":
            # Two connections: a read never sees a transaction another task has open.
            self._reader = InlineSQLite(database, self.engine.dialect)
            # Its commits never checkpoint (a checkpoint's fsyncs would hold the event loop):
            # `checkpoint()` does, in a worker thread.
            self._writer = InlineSQLite(
                database, self.engine.dialect, "PRAGMA wal_autocheckpoint=0"
            )
            self._checkpointer = InlineSQLite(database, self.engine.dialect)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        _may_wait()
        async with self.engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One short transaction; committed on success, rolled back on any exception."""
        _may_wait()
        if self._write_lock is None:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._write_lock, self.engine.begin() as connection:
            yield connection

    async def first(self, query: Executable, params: Mapping[str, Any]) -> Any | None:
        """The first row of a hot-path read (attribute access by column name), or None."""
        if self._reader is not None:
            return self._reader.execute(query, params).first()
        async with self.read() as connection:
            return (await connection.execute(query, params)).first()

    async def all(self, query: Executable, params: Mapping[str, Any]) -> list[Any]:
        """Every row of a hot-path read, as `first()` reads one."""
        if self._reader is not None:
            return self._reader.execute(query, params).rows
        async with self.read() as connection:
            return list((await connection.execute(query, params)).all())

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[Statements]:
        """A hot-path write transaction: committed on success, rolled back on any exception.
        Its body should only run statements (on SQLite it holds the write lock)."""
        if self._writer is None or self._write_lock is None:
            async with self.write() as connection:
                yield connection
            return
        if waiting_allowed():
            async with self._write_lock:
                with self._writer.transaction():
                    yield _InlineStatements(self._writer)
            return
        # Under `no_waiting()` nothing else runs on the loop until this block ends, so the lock
        # need not be taken, only be free: no other task may be inside a write transaction.
        if self._write_lock.locked():
            _may_wait()
        with self._writer.transaction():
            yield _InlineStatements(self._writer)
        attempt = _NO_WAITING.get()
        if attempt is not None:
            attempt.wrote = True

    async def checkpoint(self) -> None:
        """Copy what the write-ahead log holds back into the SQLite file, without blocking
        readers or writers (a passive checkpoint), in a worker thread. The app runs it every
        second; SQLite's other connections still checkpoint on their own commits."""
        if self._checkpointer is not None:
            checkpointer = self._checkpointer
            await anyio.to_thread.run_sync(checkpointer.run, "PRAGMA wal_checkpoint(PASSIVE)")

    async def dispose(self) -> None:
        for inline in (self._reader, self._writer, self._checkpointer):
            if inline is not None:
                inline.close()
        await self.engine.dispose()
