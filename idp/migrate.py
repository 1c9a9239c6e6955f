"""Schema migrations (Alembic), run by `sageid-idp db upgrade` and checked at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from idp.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision (blocking; run it outside an event loop)."""
    command.upgrade(alembic_config(database_url), "head")


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


class NotMigrated(RuntimeError):
    pass


async def current_revision(db: Database) -> str | None:
    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    return await db.run_sync(current)


def revisions_between(database_url: str, before: str | None, after: str | None) -> list[str]:
    """The revisions an upgrade from `before` to `after` applied, oldest first."""
    if after is None or after == before:
        return []
    script = ScriptDirectory.from_config(alembic_config(database_url))
    newest_first = script.iterate_revisions(after, before or "base")
    return [r.revision for r in reversed(list(newest_first)) if r.revision != before]


async def check_migrated(db: Database) -> None:
    """Refuse to serve a database whose schema is not at the newest revision."""
    revision = await current_revision(db)
    head = head_revision(db.url)
    if revision != head:
        raise NotMigrated(
            f"the database is at revision {revision or 'none'}, this code needs {head}: "
            "run `sageid-idp db upgrade` first"
        )
