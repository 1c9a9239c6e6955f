from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from idp.store import Store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The store alone, on a migrated database (SQLite, and PostgreSQL when configured)."""
    opened = Store(database_url)
    try:
        yield opened
    finally:
        await opened.close()
