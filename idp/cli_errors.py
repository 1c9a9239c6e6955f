"""What the admin CLI says about a configuration or database problem: one line, never a
traceback (`OperatorGroup` wraps every `sageid-idp` command)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import click
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from idp.execution import UnsupportedDatabase
from idp.migrate import NotMigrated
from idp.settings import Settings


def safe_url(url: str) -> str:
    """A database URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(unreadable URL)"


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line.removeprefix("(Background on this error at:").strip()


def _setting_of(filename: str, settings: Settings | None) -> str:
    """Which setting names the file of an OS error, for the operator to fix."""
    if settings is None:
        return ""
    path = Path(filename).absolute()
    for name, folder in (
        ("SAGEID_KEY_DIR", settings.key_dir),
        ("SAGEID_DATA_DIR", settings.data_dir),
    ):
        if path.is_relative_to(folder.absolute()):
            return f" ({name})"
    if filename in settings.database_url:
        return " (DATABASE_URL)"
    return ""


def explain(error: BaseException, settings: Settings | None) -> str | None:
    """One line for a problem an operator can fix, or None for a bug (left to the traceback)."""
    database_url = settings.database_url if settings else None
    where = f"the database {safe_url(database_url)}" if database_url else "the database"
    if isinstance(error, NotMigrated):
        return str(error)
    if isinstance(error, NoSuchModuleError | ArgumentError | UnsupportedDatabase):
        return f"DATABASE_URL is not a usable database URL: {_first_line(str(error))}"
    if isinstance(error, SQLAlchemyError):
        cause: Any = getattr(error, "orig", None) or error
        return f"cannot use {where}: {_first_line(str(cause))}"
    if isinstance(error, CommandError):
        return f"cannot migrate {where}: {_first_line(str(error))}"
    if isinstance(error, ConnectionError | socket.gaierror | TimeoutError):
        return f"cannot reach {where}: {error.strerror or _first_line(str(error))}"
    if isinstance(error, OSError):
        reason = error.strerror or _first_line(str(error)) or type(error).__name__
        if error.filename:
            filename = str(error.filename)
            return f"{reason}: {filename}{_setting_of(filename, settings)}"
        return f"{reason} ({where})"
    return None


class OperatorGroup(click.Group):
    """Turns the errors of `explain` into `Error: <one line>` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`sageid-idp audit list | head`): stop quietly, as Unix
            # tools do, without a second error when Python flushes standard output at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as error:
            message = explain(error, _settings())
            if message is None:
                raise
            raise click.ClickException(message) from error


def _settings() -> Settings | None:
    try:
        return Settings.from_env()
    except ValueError:
        return None
