"""Initial access tokens (RFC 7591 §3): stored hashed; a registration spends one use
atomically (`UPDATE … WHERE uses < max_uses`), so concurrent registrations cannot overspend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select, update

from idp.store.database import Database
from idp.store.records import sha256_hex
from idp.store.tables import initial_access_tokens


@dataclass(frozen=True)
class InitialAccessGrant:
    """What a live initial access token lets a registration have."""

    allowed_scope: str  # beyond the ordinary scopes, e.g. "edi"
    profile: str | None  # imposed on the client registered (`fapi2`)


class InitialAccessTokenRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        token: str,
        *,
        now: float,
        expires_at: float,
        max_uses: int | None,
        allowed_scope: str,
        profile: str | None = None,
    ) -> None:
        async with self.db.write() as c:
            await c.execute(
                insert(initial_access_tokens).values(
                    token_hash=sha256_hex(token),
                    created_at=now,
                    expires_at=expires_at,
                    max_uses=max_uses,
                    uses=0,
                    allowed_scope=allowed_scope,
                    profile=profile,
                )
            )

    def _usable(self, token: str, now: float) -> list[Any]:
        return [
            initial_access_tokens.c.token_hash == sha256_hex(token),
            initial_access_tokens.c.expires_at > now,
            or_(
                initial_access_tokens.c.max_uses.is_(None),
                initial_access_tokens.c.uses < initial_access_tokens.c.max_uses,
            ),
        ]

    async def usable(self, token: str, now: float) -> InitialAccessGrant | None:
        """What it allows, while it is live and has uses left."""
        async with self.db.read() as c:
            row = (
                await c.execute(
                    select(
                        initial_access_tokens.c.allowed_scope, initial_access_tokens.c.profile
                    ).where(*self._usable(token, now))
                )
            ).first()
        return None if row is None else InitialAccessGrant(str(row.allowed_scope), row.profile)

    async def spend(self, token: str, now: float) -> bool:
        """One use, if one is left."""
        async with self.db.write() as c:
            result = await c.execute(
                update(initial_access_tokens)
                .where(*self._usable(token, now))
                .values(uses=initial_access_tokens.c.uses + 1)
            )
        return bool(result.rowcount)
