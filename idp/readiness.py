"""Is this process ready to serve (`/readyz`)? The database answers, its schema is at the
revision this code needs, and the signing keys are loaded.

A load balancer takes a node out on a 503, so the answer must come quickly when the database
is gone: every check is bounded (`Settings.readiness_timeout`, one second). On SQLite the
file is opened afresh, read-only: the server's own connections keep working on a file that was
removed or replaced under them, and would say it is fine.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

import anyio
from sqlalchemy import text
from sqlalchemy.engine import make_url

from idp.keys import ALGORITHMS, KeyRing
from idp.migrate import head_revision
from idp.store.database import Database

VERSION_QUERY = "SELECT version_num FROM alembic_version"


@functools.cache
def _head(url: str) -> str | None:
    return head_revision(url)


def _sqlite_revision(path: str) -> str | None:
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True, timeout=0.5)
    try:
        row = connection.execute(VERSION_QUERY).fetchone()
    finally:
        connection.close()
    return None if row is None else str(row[0])


async def _revision(db: Database) -> str | None:
    database = make_url(db.url).database
    if db.is_sqlite and database and database != ":memory:":
        return await anyio.to_thread.run_sync(_sqlite_revision, database)
    async with db.read() as connection:
        revision = (await connection.execute(text(VERSION_QUERY))).scalar()
    return None if revision is None else str(revision)


async def database_problem(db: Database, limit: float) -> str | None:
    """None when the database answers at the expected revision, else what is wrong (for the
    operator: no secret in it, the URL is not repeated)."""
    try:
        with anyio.fail_after(limit):
            revision = await _revision(db)
    except TimeoutError:
        return f"the database did not answer within {limit:g} s"
    except Exception as error:  # any driver error means: not ready
        return f"the database cannot be read ({type(error).__name__})"
    head = _head(db.url)
    if revision != head:
        return f"the schema is at revision {revision or 'none'}, this code needs {head}"
    return None


def keys_problem(keys: KeyRing) -> str | None:
    missing = [alg for alg in ALGORITHMS if alg not in keys.current.signing]
    return f"no signing key for {', '.join(missing)}" if missing else None
