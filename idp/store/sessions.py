"""Browser sessions on the provider: the cookie holds a random id, the table its SHA-256."""

from __future__ import annotations

import secrets

from sqlalchemy import ColumnElement, and_, insert, select, update

from idp.store.database import Database
from idp.store.records import SessionRecord, sha256_hex, user_from_row
from idp.store.tables import browser_sessions, users


def _not_ended(session_id: str) -> ColumnElement[bool]:
    """The session this cookie id names, unless it was ended (the table keeps only hashes)."""
    return and_(
        browser_sessions.c.id_hash == sha256_hex(session_id),
        browser_sessions.c.ended_at.is_(None),
    )


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: str, *, now: float, lifetime: float, amr: str = "pwd") -> str:
        """A fresh session id (rotated at every sign-in, against fixation)."""
        session_id = secrets.token_urlsafe(32)
        async with self.db.write() as c:
            await c.execute(
                insert(browser_sessions).values(
                    id_hash=sha256_hex(session_id),
                    sid=secrets.token_urlsafe(16),
                    user_id=user_id,
                    auth_time=now,
                    created_at=now,
                    expires_at=now + lifetime,
                    amr=amr,
                )
            )
        return session_id

    async def get(self, session_id: str, now: float) -> SessionRecord | None:
        query = (
            select(
                users,
                browser_sessions.c.auth_time,
                browser_sessions.c.expires_at,
                browser_sessions.c.sid,
                browser_sessions.c.amr,
            )
            .join(browser_sessions, browser_sessions.c.user_id == users.c.id)
            .where(_not_ended(session_id), browser_sessions.c.expires_at > now)
        )
        async with self.db.read() as c:
            row = (await c.execute(query)).first()
        if row is None:
            return None
        return SessionRecord(
            user=user_from_row(row),
            auth_time=row.auth_time,
            expires_at=row.expires_at,
            sid=row.sid,
            amr=row.amr,
        )

    async def add_methods(self, session_id: str, amr: str) -> None:
        """A second factor given in this session (a step-up, or enrolment): the sign-in's
        methods grow, its `auth_time` stays (OIDC Core §2: the time of the authentication)."""
        async with self.db.write() as c:
            await c.execute(update(browser_sessions).where(_not_ended(session_id)).values(amr=amr))

    async def end(self, session_id: str, now: float) -> str | None:
        """End a session; its `sid` if it was live (to end what hangs off it)."""
        async with self.db.write() as c:
            row = (
                await c.execute(
                    update(browser_sessions)
                    .where(_not_ended(session_id))
                    .values(ended_at=now)
                    .returning(browser_sessions.c.sid, browser_sessions.c.expires_at)
                )
            ).first()
        return row.sid if row is not None and row.expires_at > now else None

    async def end_for_user(self, user_id: str, now: float, *, keep: str | None = None) -> list[str]:
        """End every session of a user (but `keep`); the `sid`s of those that were live."""
        query = update(browser_sessions).where(
            browser_sessions.c.user_id == user_id, browser_sessions.c.ended_at.is_(None)
        )
        if keep is not None:
            query = query.where(browser_sessions.c.id_hash != sha256_hex(keep))
        async with self.db.write() as c:
            rows = await c.execute(
                query.values(ended_at=now).returning(
                    browser_sessions.c.sid, browser_sessions.c.expires_at
                )
            )
            return [r.sid for r in rows if r.sid and r.expires_at > now]
