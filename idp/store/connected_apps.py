"""*Appareils et applications connectés* (issue 18, the account page): the live grants of a
user with their client, and revoking one of them. A grant's first use is its sign-in; its
last use is the last time tokens were issued on it (a refresh rotates the refresh token, so
the newest refresh token's `created_at`), which is what the provider sees of an application.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from idp.store.database import Database
from idp.store.tables import (
    clients,
    grants,
    refresh_tokens,
    users,
)


@dataclass(frozen=True)
class ConnectedApp:
    grant_id: str
    client_id: str
    client_name: str
    first_used: float
    last_used: float


class ConnectedAppRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_user(self, user_id: str, now: float) -> list[ConnectedApp]:
        """The user's live grants (`idp.store.grants` rule: not revoked, not expired, not
        older than the last password change), most recently used first."""
        last_token = (
            select(func.max(refresh_tokens.c.created_at))
            .where(refresh_tokens.c.grant_id == grants.c.id)
            .scalar_subquery()
        )
        query = (
            select(
                grants.c.id,
                grants.c.client_id,
                clients.c.name,
                grants.c.created_at,
                func.coalesce(last_token, grants.c.created_at).label("last_used"),
            )
            .join(clients, clients.c.client_id == grants.c.client_id)
            .join(users, users.c.id == grants.c.user_id)
            .where(
                grants.c.user_id == user_id,
                grants.c.revoked_at.is_(None),
                grants.c.expires_at > now,
                users.c.password_changed_at <= grants.c.auth_time,
            )
        )
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        apps = [ConnectedApp(r.id, r.client_id, r.name, r.created_at, r.last_used) for r in rows]
        return sorted(apps, key=lambda app: (-app.last_used, app.client_name))

    async def disconnect(self, user_id: str, grant_id: str, now: float) -> bool:
        """Revoke one grant of this user (never another user's): its refresh token stops
        working at once and its access tokens at their next check (userinfo, the API)."""
        query = (
            update(grants)
            .where(
                grants.c.id == grant_id,
                grants.c.user_id == user_id,
                grants.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        async with self.db.write() as c:
            result = await c.execute(query)
        return bool(result.rowcount)
