"""`sageid-idp db backup FILE`: a consistent copy of the embedded SQLite database taken while
the provider runs (`VACUUM INTO`: one read transaction, so the copy is one point in time, and
compacted), then checked (`PRAGMA integrity_check`). PostgreSQL has its own tool: `pg_dump`.
Restoring is copying the file back with the provider stopped (README, "Backup and restore").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """Why no backup was made (one line for the operator)."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite database URL; None for another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def integrity_check(path: Path) -> str:
    """SQLite's own verdict on a database file: "ok", or its first complaint."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return str(rows[0][0]) if rows else "no answer"


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy `source` into the new file `target` (owner-only) and check the copy; its size."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"{target} exists: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    # VACUUM INTO accepts an empty file: created first, so the copy is never world-readable.
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    connection = sqlite3.connect(source)
    try:
        connection.execute("PRAGMA busy_timeout=5000")
        connection.execute("VACUUM INTO ?", (str(target),))
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"could not copy {source}: {error}") from error
    finally:
        connection.close()
    verdict = integrity_check(target)
    if verdict != "ok":
        raise BackupError(f"the copy {target} failed its integrity check: {verdict}")
    return target.stat().st_size
