"""DPoP proofs seen (RFC 9449 §11.1), shared by every node through the database."""

from __future__ import annotations

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from idp.store.database import Database
from idp.store.tables import dpop_proofs

# Expired entries are purged with the other ended rows (idp.store.retention) and, on the way,
# once every this many proofs, so the table stays small between purges.
PURGE_EVERY = 256


class DPoPProofRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = sqlite if db.is_sqlite else postgresql
        self._remember = (
            dialect.insert(dpop_proofs)
            .values(replay_key=bindparam("replay_key"), expires_at=bindparam("expires_at"))
            .on_conflict_do_nothing(index_elements=["replay_key"])
        )
        self._purge = delete(dpop_proofs).where(dpop_proofs.c.expires_at <= bindparam("now"))
        self._count = 0

    async def remember(self, replay_key: str, expires_at: float, now: float) -> bool:
        """Record a proof's `jti`; False if any node has seen it already (a replay)."""
        self._count += 1
        async with self.db.atomic() as c:
            inserted = await c.execute(
                self._remember, {"replay_key": replay_key, "expires_at": expires_at}
            )
            if self._count % PURGE_EVERY == 0:
                await c.execute(self._purge, {"now": now})
        return int(inserted.rowcount) == 1
