"""Remembered consent decisions, per user and client. When the consent page is shown is
decided by `require_consent`, a step of `/authorize` (`idp.endpoints.authorize`)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from idp.store.database import Database
from idp.store.tables import consents


class ConsentRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def granted(self, user_id: str, client_id: str) -> frozenset[str]:
        query = select(consents.c.scope).where(
            consents.c.user_id == user_id, consents.c.client_id == client_id
        )
        async with self.db.read() as c:
            scope = (await c.execute(query)).scalar_one_or_none()
        return frozenset((scope or "").split())

    async def remember(self, user_id: str, client_id: str, scopes: set[str], now: float) -> None:
        where = (consents.c.user_id == user_id, consents.c.client_id == client_id)
        async with self.db.write() as c:
            previous = (await c.execute(select(consents.c.scope).where(*where))).scalar()
            merged = sorted(set((previous or "").split()) | scopes)
            await c.execute(delete(consents).where(*where))
            await c.execute(
                insert(consents).values(
                    user_id=user_id, client_id=client_id, scope=" ".join(merged), updated_at=now
                )
            )
