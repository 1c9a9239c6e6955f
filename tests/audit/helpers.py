"""Reading the audit trail in tests, and checking it never holds a secret."""

from __future__ import annotations

import json

from idp.context import AppContext
from idp.store.audit import StoredEvent


async def events(ctx: AppContext, *kinds: str) -> list[StoredEvent]:
    """The events of these kinds (all when none), oldest first."""
    found = await ctx.store.audit.list(kinds=tuple(kinds), limit=1000)
    return sorted(found, key=lambda e: (e.at, e.id))


async def assert_no_secret(ctx: AppContext, *secrets: str) -> None:
    trail = json.dumps([e.as_json() for e in await events(ctx)])
    for secret in secrets:
        assert secret not in trail
