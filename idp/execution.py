"""How a request executes: chosen once, at start-up, from the database URL.

Authlib's grants and endpoints are synchronous; the store's interface is async (pages, the API
and the CLI await it). Each backend has one way of joining the two, and a request never learns
it by trial, never runs twice, never retries.

**Embedded: SQLite** (`sqlite:///…`, `sqlite+aiosqlite:///…`; one process)
  Every statement runs synchronously on the event loop, on one pair of standard-library
  connections to the file: a reader (autocommit) and a writer (`BEGIN IMMEDIATE`).
  `Database.read()`/`write()` hand out SQLAlchemy's synchronous `Connection` over them behind
  the async interface; the hot paths (`first()`, `all()`, `atomic()`: refresh rotation,
  userinfo, introspection, revocation, the deny-list) run their compiled statements on the same
  two connections through `InlineSQLite`, cheaper per statement than SQLAlchemy's
  `Connection` by more than the 10 % allowed for using the library instead. SQLite reads a
  row by key far faster than a thread hand-off costs: the loop is held for less time than
  waiting would cost (figures: bench/README.md, "Execution model").
  A store coroutine therefore never suspends, so Authlib runs on the event loop too and
  `Bridge.await_store` finishes the coroutine on the spot; a transaction never suspends
  either, so no two can interleave on the writer and no lock is needed (one suspending would
  be a bug: it raises). Several processes would make a write wait for another process's
  transaction while holding its loop (SQLite's busy timeout): `serve --workers N>1` is
  refused on SQLite.

**Scale-out: PostgreSQL** (`postgresql+asyncpg://…`; any number of workers and nodes)
  The store is async (asyncpg; one pool per process, sized to the expected concurrency and
  opened at start-up; reads in autocommit). Authlib runs on the event loop's thread too, in a
  greenlet (`idp.oauth.bridge`): a store call suspends that greenlet while the database
  answers, and other requests run meanwhile. This is "wholly async" as SQLAlchemy's own
  async engine is; it measured cheaper than running Authlib in a worker thread, which costs
  two thread hand-offs per store call (bench/README.md, "Execution model").
"""

from __future__ import annotations

import enum

from sqlalchemy.engine import make_url


class ExecutionMode(enum.Enum):
    EMBEDDED = "embedded"  # SQLite: statements and Authlib on the event loop
    SCALE_OUT = "scale-out"  # PostgreSQL: async store, Authlib in a greenlet on the loop


def execution_mode(database_url: str) -> ExecutionMode:
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        return ExecutionMode.EMBEDDED
    if backend == "postgresql":
        return ExecutionMode.SCALE_OUT
    raise UnsupportedDatabase(f"unsupported database {backend!r}: use sqlite or postgresql+asyncpg")


class UnsupportedDatabase(ValueError):
    """A database URL of neither kind (said to the operator in one line)."""
