"""Grants (one per sign-in to a client) and the tokens that hang off them."""

from __future__ import annotations

from sqlalchemy import exists, insert, select, update

from idp.store.database import Database
from idp.store.records import GrantRecord, UserRecord, user_from_row
from idp.store.tables import Grant, RefreshToken, RevokedToken, User

grants = Grant.__table__  # type: ignore[attr-defined]
refresh_tokens = RefreshToken.__table__  # type: ignore[attr-defined]
revoked_tokens = RevokedToken.__table__  # type: ignore[attr-defined]
users = User.__table__  # type: ignore[attr-defined]


def grant_from_row(row: object) -> GrantRecord:
    return GrantRecord(
        id=row.id,  # type: ignore[attr-defined]
        user_id=row.user_id,  # type: ignore[attr-defined]
        client_id=row.client_id,  # type: ignore[attr-defined]
        scope=row.scope,  # type: ignore[attr-defined]
        auth_time=row.auth_time,  # type: ignore[attr-defined]
        expires_at=row.expires_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
    )


class GrantRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, grant: GrantRecord, *, refresh_token_hash: str | None, now: float
    ) -> None:
        """The grant and its first refresh token, in one transaction."""
        async with self.db.write() as c:
            await c.execute(
                insert(grants).values(
                    id=grant.id,
                    user_id=grant.user_id,
                    client_id=grant.client_id,
                    scope=grant.scope,
                    auth_time=grant.auth_time,
                    created_at=now,
                    expires_at=grant.expires_at,
                    revoked_at=None,
                )
            )
            if refresh_token_hash is not None:
                await c.execute(
                    insert(refresh_tokens).values(
                        token_hash=refresh_token_hash,
                        grant_id=grant.id,
                        scope=grant.scope,
                        created_at=now,
                    )
                )

    async def revoke(self, grant_id: str, now: float) -> None:
        async with self.db.write() as c:
            await c.execute(
                update(grants)
                .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def revoke_for_user(self, user_id: str, now: float) -> int:
        async with self.db.write() as c:
            result = await c.execute(
                update(grants)
                .where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return int(result.rowcount)

    async def get(self, grant_id: str) -> GrantRecord | None:
        async with self.db.read() as c:
            row = (await c.execute(select(grants).where(grants.c.id == grant_id))).first()
        return grant_from_row(row) if row else None

    async def active_user(self, grant_id: str, jti: str, now: float) -> UserRecord | None:
        """The user behind an access token, if its grant is live and its `jti` not revoked:
        one query, the whole store cost of a userinfo request."""
        denied = exists().where(revoked_tokens.c.jti == jti)
        query = (
            select(users)
            .join(grants, grants.c.user_id == users.c.id)
            .where(
                grants.c.id == grant_id,
                grants.c.revoked_at.is_(None),
                grants.c.expires_at > now,
                ~denied,
            )
        )
        async with self.db.read() as c:
            row = (await c.execute(query)).first()
        return user_from_row(row) if row else None
