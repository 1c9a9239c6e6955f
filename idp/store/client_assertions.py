"""`jti`s of accepted client assertions (RFC 7523 §3): an insert that fails on the primary key
is a replay, whichever node saw the first use."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, exc, insert

from idp.store.database import Database
from idp.store.tables import client_assertion_jtis


class ClientAssertionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_use(self, client_id: str, jti: str, expires_at: float, now: float) -> bool:
        """Record this `jti` of this client; False when it was already used (and has not yet
        expired: an expired one is forgotten, and its assertion is refused for `exp` anyway)."""
        key = hashlib.sha256(f"{client_id}\n{jti}".encode()).hexdigest()
        try:
            async with self.db.write() as c:  # one transaction: a replay rolls it all back
                await c.execute(
                    delete(client_assertion_jtis).where(
                        client_assertion_jtis.c.jti_hash == key,
                        client_assertion_jtis.c.expires_at <= now,
                    )
                )
                await c.execute(
                    insert(client_assertion_jtis).values(jti_hash=key, expires_at=expires_at)
                )
        except exc.IntegrityError:
            return False
        return True
