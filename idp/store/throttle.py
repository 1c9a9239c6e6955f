"""Failed attempts under throttle keys (`password:user:<id>`, `password:ip:<addr>`, ...), in the
database so that every worker sees the same counts (DESIGN §6). The lock rule itself is
`idp.domain.throttle.decide`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from idp.store.database import Database
from idp.store.tables import ThrottleEvent

events = ThrottleEvent.__table__  # type: ignore[attr-defined]


class ThrottleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def recent_failures(self, keys: Sequence[str], since: float) -> dict[str, list[float]]:
        """The failure times newer than `since` for each key, in one query."""
        found: dict[str, list[float]] = {key: [] for key in keys}
        query = select(events.c.key, events.c.at).where(
            events.c.key.in_(list(keys)), events.c.at > since
        )
        async with self.db.read() as c:
            for row in await c.execute(query):
                found[row.key].append(row.at)
        return found

    async def record_failure(
        self, keys: Sequence[str], now: float, *, forget_before: float
    ) -> None:
        """One failure under each key; the same keys' events older than `forget_before` can no
        longer matter and are deleted in the same transaction (the table stays small)."""
        async with self.db.write() as c:
            await c.execute(insert(events), [{"key": key, "at": now} for key in keys])
            await c.execute(
                delete(events).where(events.c.key.in_(list(keys)), events.c.at < forget_before)
            )

    async def clear(self, key: str) -> None:
        """Forget a key's failures (a successful sign-in or a password reset)."""
        async with self.db.write() as c:
            await c.execute(delete(events).where(events.c.key == key))

    async def prune(self, before: float) -> int:
        """Delete every event older than `before` (maintenance, all keys)."""
        async with self.db.write() as c:
            result = await c.execute(delete(events).where(events.c.at < before))
        return int(result.rowcount)
