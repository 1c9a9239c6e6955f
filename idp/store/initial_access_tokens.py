"""Initial access tokens (RFC 7591 §3): stored hashed; a registration spends one use
atomically (`UPDATE … WHERE uses < max_uses`), so concurrent registrations cannot overspend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select, update

from idp.store.database import Database
from idp.store.records import sha256_hex
from idp.store.tables import InitialAccessToken

tokens = InitialAccessToken.__table__  # type: ignore[attr-defined]


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
                insert(tokens).values(
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
            tokens.c.token_hash == sha256_hex(token),
            tokens.c.expires_at > now,
            or_(tokens.c.max_uses.is_(None), tokens.c.uses < tokens.c.max_uses),
        ]

    async def usable(self, token: str, now: float) -> InitialAccessGrant | None:
        """What it allows, while it is live and has uses left."""
        async with self.db.read() as c:
            row = (
                await c.execute(
                    select(tokens.c.allowed_scope, tokens.c.profile).where(
                        *self._usable(token, now)
                    )
                )
            ).first()
        return None if row is None else InitialAccessGrant(str(row.allowed_scope), row.profile)

    async def spend(self, token: str, now: float) -> bool:
        """One use, if one is left."""
        async with self.db.write() as c:
            result = await c.execute(
                update(tokens).where(*self._usable(token, now)).values(uses=tokens.c.uses + 1)
            )
        return bool(result.rowcount)
