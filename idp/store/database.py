"""The store's way into the database, per execution mode (`idp.execution` describes both):
`read()` and `write()` for everything, `first()`, `all()` and `atomic()` for the hot paths
(token refresh, introspection, userinfo, revocation, the API's token check).

Embedded SQLite: every statement runs synchronously on the event loop on one pair of
standard-library connections (a reader, a writer whose commits never checkpoint: `checkpoint()`
does that in a worker thread every second). `read()`/`write()` wrap them in SQLAlchemy's
synchronous `Connection`; the hot paths run compiled statements on the same connections with
`InlineSQLite` (parameters and rows through the column types' own processors, as SQLAlchemy
applies them). A write transaction never suspends: entering one while another is open is a bug
and raises, instead of waiting for a lock.

PostgreSQL: the async engine (asyncpg); reads in autocommit (no BEGIN/ROLLBACK round trips);
one pool sized to the concurrency and opened at start-up, so a running server opens no new
sessions. The hot-path reads (`first()`, `all()`) run their compiled statements on a pooled
session's asyncpg connection directly (`InlinePostgres`), and so does the refresh rotation
(one statement, `idp.store.grants`); the other writes go through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections import deque, namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, PoolProxiedConnection
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from idp.execution import ExecutionMode, execution_mode

T = TypeVar("T")

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


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (it holds hashed secrets and personal
    data); SQLite gives its -wal and -shm files the database file's permissions."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(parsed.database))
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


def create_pool(url: str, size: int) -> AsyncEngine:
    """PostgreSQL: a pool of `size` sessions and no overflow, so that a server warmed up at
    that concurrency never opens (and closes) another: overflow sessions are closed when
    returned, and under load that churns (measured: 209 new sessions in 10 s of userinfo)."""
    return create_async_engine(url, pool_size=size, max_overflow=0, pool_pre_ping=False)


class Statements(Protocol):
    """A connection as store code uses it: `await c.execute(statement, parameters)`."""

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


class CompiledStatements:
    """Core statements compiled once for one dialect, with the column types' own parameter
    and result processors, as SQLAlchemy applies them; rows allow attribute access by column
    name, like its `Row`."""

    CACHE_SIZE = 256  # statements are module constants; a bound keeps a stray one harmless

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, _Compiled]] = {}

    def get(self, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get((id(statement), keys))
        if found is not None and found[0] is statement:
            return found[1]
        compiled = statement.compile(dialect=self._dialect, column_keys=list(keys))  # type: ignore[attr-defined]
        names = tuple(compiled.positiontup or ())
        columns = list(getattr(statement, "exported_columns", None) or [])  # or RETURNING's
        entry = _Compiled(
            sql=compiled.string,
            names=names,
            values={
                n: compiled.binds[n].effective_value
                for n in names
                if not compiled.binds[n].required
            },
            bind=tuple(compiled.binds[name].type.bind_processor(self._dialect) for name in names),
            row=namedtuple("Row", [c.key for c in columns], rename=True) if columns else None,
            result=tuple(c.type.result_processor(self._dialect, None) for c in columns),
        )
        if len(self._compiled) >= self.CACHE_SIZE:
            self._compiled.clear()
        self._compiled[(id(statement), keys)] = (statement, entry)
        return entry


def _bound(compiled: _Compiled, parameters: Mapping[str, Any]) -> list[Any]:
    given = {**compiled.values, **parameters} if compiled.values else parameters
    return [
        process(given[name]) if process else given[name]
        for name, process in zip(compiled.names, compiled.bind, strict=True)
    ]


def _rows(compiled: _Compiled, raw_rows: Iterable[Any]) -> list[Any]:
    return [
        compiled.row._make(
            process(value) if process else value
            for value, process in zip(raw, compiled.result, strict=True)
        )
        for raw in raw_rows
    ]


class InlineSQLite:
    """Compiled statements on one standard-library SQLite connection, run synchronously."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self._statements = CompiledStatements(dialect)

    def execute(self, statement: Executable, parameters: Mapping[str, Any]) -> InlineResult:
        compiled = self._statements.get(statement, tuple(parameters))
        cursor = self._connection.execute(compiled.sql, _bound(compiled, parameters))
        if compiled.row is None:
            return InlineResult([], cursor.rowcount)
        return InlineResult(_rows(compiled, cursor.fetchall()), cursor.rowcount)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        connection = self._connection
        if connection.in_transaction:
            raise RuntimeError(_SUSPENDED)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


class InlinePostgres:
    """PostgreSQL's hot-path statements: compiled statements run on pooled sessions' asyncpg
    connections directly, in autocommit: far cheaper than `AsyncConnection.execute` or a pool
    checkout per statement (bench/README.md, "Execution model"). Up to `sessions` of the pool's
    sessions are kept checked out for these statements (taken on first use, back to the pool at
    `close()`), handed from request to request by a free list. A statement that fails, or is
    cancelled midway, leaves its session's state unknown: that session is closed, and replaced on
    demand."""

    def __init__(self, engine: AsyncEngine, sessions: int) -> None:
        self._engine = engine
        self._statements = CompiledStatements(engine.dialect)
        self._size = sessions
        self._opened = 0
        self._idle: list[PoolProxiedConnection] = []
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def rows(self, statement: Executable, parameters: Mapping[str, Any]) -> list[Any]:
        compiled = self._statements.get(statement, tuple(parameters))
        values = _bound(compiled, parameters)
        connection = await self._acquire()
        try:
            driver = connection.driver_connection
            assert driver is not None
            raw = await driver.fetch(compiled.sql, *values)
        except BaseException:
            await self._discard(connection)
            raise
        self._release(connection)
        return _rows(compiled, raw)

    async def _acquire(self) -> PoolProxiedConnection:
        while not self._idle:
            if self._opened < self._size:
                self._opened += 1
                try:
                    return await self._engine.raw_connection()
                except BaseException:
                    self._opened -= 1
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: the wake-up goes to the next
                else:
                    self._waiters.remove(waiter)
                raise
        return self._idle.pop()

    def _release(self, connection: PoolProxiedConnection) -> None:
        self._idle.append(connection)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _discard(self, connection: PoolProxiedConnection) -> None:
        try:
            await greenlet_spawn(connection.invalidate)
            await greenlet_spawn(connection.close)
        finally:
            self._opened -= 1
            self._wake()

    async def close(self) -> None:
        """Give the idle sessions back to the pool (before it is disposed)."""
        idle, self._idle = self._idle, []
        self._opened -= len(idle)
        for connection in idle:
            await greenlet_spawn(connection.close)


_SUSPENDED = (
    "a SQLite write transaction began while another was open: on SQLite a transaction's body "
    "may only run statements (idp.execution), never await anything else"
)


class _Synchronous:
    """SQLAlchemy's synchronous `Connection` (or `InlineSQLite`) behind the async `Statements`
    interface: it never suspends."""

    def __init__(self, connection: Connection | InlineSQLite) -> None:
        self._connection = connection

    async def execute(self, statement: Any, parameters: Any = None, /) -> Any:
        if isinstance(self._connection, InlineSQLite):
            return self._connection.execute(statement, parameters or {})
        return self._connection.execute(statement, parameters)


class EmbeddedSQLite:
    """The connection pair of the embedded mode, opened on first use (after migrations) and
    used only on the event loop's thread; a third connection checkpoints in a worker thread."""

    def __init__(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _create_private(Path(path))
        self.path = path
        self.engine = sa_create_engine(f"sqlite:///{path}", poolclass=NullPool)
        event.listen(self.engine, "connect", _embedded_connect)
        self._reader: Connection | None = None
        self._writer: Connection | None = None
        self._inline_reader: InlineSQLite | None = None
        self._inline_writer: InlineSQLite | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpoint_lock = threading.Lock()
        self._closed = False

    def _open(self) -> tuple[Connection, Connection]:
        if self._reader is None or self._writer is None:
            reader = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            writer = self.engine.connect()
            event.listen(writer, "begin", _begin_immediate)
            # Its commits never checkpoint (the fsyncs would hold the event loop).
            writer.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            writer.commit()
            self._reader, self._writer = reader, writer
            dialect = self.engine.dialect
            self._inline_reader = InlineSQLite(_raw(reader), dialect)
            self._inline_writer = InlineSQLite(_raw(writer), dialect)
        return self._reader, self._writer

    @property
    def reader(self) -> Connection:
        return self._open()[0]

    @property
    def writer(self) -> Connection:
        return self._open()[1]

    @property
    def inline_reader(self) -> InlineSQLite:
        self._open()
        assert self._inline_reader is not None
        return self._inline_reader

    @property
    def inline_writer(self) -> InlineSQLite:
        self._open()
        assert self._inline_writer is not None
        return self._inline_writer

    def checkpoint(self) -> None:
        """A passive checkpoint on a connection of its own, in a worker thread. The lock keeps
        `close()` from closing that connection under a running checkpoint (a task cancelled
        while awaiting the thread does not stop the thread; closing a sqlite3 connection in
        use by another thread crashes the process)."""
        with self._checkpoint_lock:
            if self._closed:
                return
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                connection.close()
        self._reader = self._writer = None
        with self._checkpoint_lock:  # a passive checkpoint takes milliseconds
            self._closed = True
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
        self.engine.dispose()


def _embedded_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly, below
    _sqlite_pragmas(dbapi_connection, _record)


def _begin_immediate(connection: Connection) -> None:
    # Take the write lock at BEGIN: a deferred transaction upgrading later could fail with
    # SQLITE_BUSY instead of waiting (busy timeout) for another process's writer.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _raw(connection: Connection) -> sqlite3.Connection:
    raw = connection.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


class Database:
    def __init__(self, url: str, pool_size: int = 20) -> None:
        self.url = url
        self.mode = execution_mode(url)
        self.is_sqlite = self.mode is ExecutionMode.EMBEDDED
        self._pool_size = pool_size
        self._embedded: EmbeddedSQLite | None = None
        self._engine: AsyncEngine | None = None
        self._read_engine: AsyncEngine | None = None
        if self.is_sqlite:
            database = make_url(url).database
            if not database or database == ":memory:":
                raise ValueError("the embedded database must be a file (sqlite:///path)")
            self._embedded = EmbeddedSQLite(database)
        else:
            self._engine = create_pool(url, pool_size)
            self._read_engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")
            # Half the sessions for the hot paths, the rest for the others (pages, CLI, writes).
            self._inline = InlinePostgres(self._engine, max(1, pool_size // 2))

    @property
    def engine(self) -> AsyncEngine:
        """PostgreSQL's async engine (the embedded mode has none)."""
        assert self._engine is not None, "the embedded SQLite store has no async engine"
        return self._engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Statements]:
        if self._embedded is not None:
            yield _Synchronous(self._embedded.reader)
            return
        assert self._read_engine is not None
        async with self._read_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Statements]:
        """One short transaction; committed on success, rolled back on any exception."""
        if self._embedded is not None:
            writer = self._embedded.writer
            if writer.in_transaction() or _raw(writer).in_transaction:
                raise RuntimeError(_SUSPENDED)
            with writer.begin():
                yield _Synchronous(writer)
            return
        async with self.engine.begin() as connection:
            yield connection

    async def run_sync(self, function: Callable[[Connection], T]) -> T:
        """`function(connection)` with a synchronous SQLAlchemy connection (Alembic's check)."""
        if self._embedded is not None:
            return function(self._embedded.reader)
        async with self.engine.connect() as connection:
            return await connection.run_sync(function)

    async def first(self, query: Executable, params: Mapping[str, Any]) -> Any | None:
        """The first row of a hot-path read (attribute access by column name), or None."""
        if self._embedded is not None:
            return self._embedded.inline_reader.execute(query, params).first()
        rows = await self._inline.rows(query, params)
        return rows[0] if rows else None

    async def all(self, query: Executable, params: Mapping[str, Any]) -> list[Any]:
        """Every row of a hot-path read, as `first()` reads one."""
        if self._embedded is not None:
            return self._embedded.inline_reader.execute(query, params).rows
        return await self._inline.rows(query, params)

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[Statements]:
        """A hot-path write transaction: committed on success, rolled back on any exception.
        Its body should only run statements (on SQLite it must not suspend)."""
        if self._embedded is None:
            async with self.write() as connection:
                yield connection
            return
        inline = self._embedded.inline_writer
        if self._embedded.writer.in_transaction():
            raise RuntimeError(_SUSPENDED)
        with inline.transaction():
            yield _Synchronous(inline)

    async def fill_pool(self) -> None:
        """PostgreSQL: open every session of the pool now, at start-up, rather than on the
        first requests (several workers share the load unevenly; none opens one later)."""
        if self._engine is None:
            return
        async with AsyncExitStack() as opened:
            for _ in range(self._pool_size):
                await opened.enter_async_context(self._engine.connect())

    async def checkpoint(self) -> None:
        """Copy what the write-ahead log holds back into the SQLite file, without blocking
        readers or writers (a passive checkpoint), in a worker thread. The app runs it every
        second; SQLite's other connections still checkpoint on their own commits."""
        if self._embedded is not None:
            await anyio.to_thread.run_sync(self._embedded.checkpoint)

    async def dispose(self) -> None:
        if self._embedded is not None:
            self._embedded.close()
        if self._engine is not None:
            await self._inline.close()
            await self._engine.dispose()
