"""Throttle tallies under named keys (`password:user:<id>`, `password:ip:<addr>`, ...), in the
database so that every worker sees the same counts (DESIGN §6).

`reserve` checks a key's budget and counts the try in one statement, an upsert whose update
only happens while the key is not locked (`idp.domain.throttle.reserve`, written in SQL). On
PostgreSQL `INSERT … ON CONFLICT DO UPDATE … WHERE` locks the key's row and judges its latest
version, so concurrent tries queue on the row; on SQLite writes are serialised anyway. The keys
of one try are reserved in one transaction, in key order (no deadlock between two tries), and
all rolled back when one refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, not_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from idp.domain.throttle import Budget, Tally, retry_after
from idp.store.database import Database
from idp.store.tables import throttle_tallies


@dataclass(frozen=True)
class Refusal:
    key: str
    retry_after: float


class _Refused(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class ThrottleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = sqlite.insert if db.is_sqlite else postgresql.insert

    def _reserve_statement(self, key: str, budget: Budget, now: float) -> Any:
        t = throttle_tallies.c
        locked = and_(t.tries >= budget.max_failures, t.last_at + budget.lockout > now)
        fresh = t.run_start + budget.window <= now
        statement = self._insert(throttle_tallies).values(
            key=key, tries=1, run_start=now, last_at=now
        )
        return statement.on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "tries": case((fresh, 1), else_=t.tries + 1),
                "run_start": case((fresh, now), else_=t.run_start),
                "last_at": now,
            },
            where=not_(locked),
        ).returning(t.tries)

    async def reserve(
        self, limits: Sequence[tuple[str, Budget]], now: float
    ) -> dict[str, int] | Refusal:
        """Count one try under every key, or under none when one of them is locked: the tries
        now counted per key, or the first refusing key with the seconds until it lifts."""
        budgets = dict(limits)
        try:
            async with self.db.write() as c:
                counted: dict[str, int] = {}
                for key in sorted(budgets):
                    row = (await c.execute(self._reserve_statement(key, budgets[key], now))).first()
                    if row is None:
                        raise _Refused(key)
                    counted[key] = int(row.tries)
            return counted
        except _Refused as refused:
            tally = await self.tally(refused.key)
            return Refusal(refused.key, retry_after(budgets[refused.key], tally, now))

    async def tally(self, key: str) -> Tally | None:
        async with self.db.read() as c:
            row = (
                await c.execute(select(throttle_tallies).where(throttle_tallies.c.key == key))
            ).first()
        if row is None:
            return None
        return Tally(tries=row.tries, run_start=row.run_start, last_at=row.last_at)

    async def refund(self, keys: Sequence[str]) -> None:
        """Tries that succeeded: they no longer count against the budget."""
        async with self.db.write() as c:
            await c.execute(
                update(throttle_tallies)
                .where(throttle_tallies.c.key.in_(sorted(keys)), throttle_tallies.c.tries > 0)
                .values(tries=throttle_tallies.c.tries - 1)
            )

    async def clear(self, key: str) -> None:
        """Forget a key's tries (a successful sign-in or a password reset)."""
        async with self.db.write() as c:
            await c.execute(delete(throttle_tallies).where(throttle_tallies.c.key == key))

    async def prune(self, before: float) -> int:
        """Delete every tally whose latest try is older than `before` (retention)."""
        async with self.db.write() as c:
            result = await c.execute(
                delete(throttle_tallies).where(throttle_tallies.c.last_at < before)
            )
        return int(result.rowcount)
