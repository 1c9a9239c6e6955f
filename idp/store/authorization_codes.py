"""Authorization codes: saved hashed, consumed atomically, a replay revokes what they issued."""

from __future__ import annotations

from sqlalchemy import and_, insert, select, update

from idp.domain.claims_request import RequestedClaims
from idp.store.database import Database
from idp.store.records import AuthorizationCodeRecord, UserRecord, sha256_hex, user_from_row
from idp.store.tables import (
    authorization_codes,
    browser_sessions,
    grants,
    users,
)


class AuthorizationCodeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, code: str, record: AuthorizationCodeRecord) -> None:
        async with self.db.write() as c:
            await c.execute(
                insert(authorization_codes).values(
                    code_hash=sha256_hex(code),
                    client_id=record.client_id,
                    user_id=record.user_id,
                    grant_id=record.grant_id,
                    redirect_uri=record.redirect_uri,
                    scope=record.scope,
                    nonce=record.nonce,
                    code_challenge=record.code_challenge,
                    code_challenge_method=record.code_challenge_method,
                    auth_time=record.auth_time,
                    expires_at=record.expires_at,
                    sid=record.sid,
                    claims=record.claims.to_json() if record.claims else None,
                    amr=record.amr,
                )
            )

    async def consume(
        self, code: str, client_id: str, now: float
    ) -> tuple[AuthorizationCodeRecord, UserRecord, float | None] | None:
        """Mark the code used and return it with its user and when its browser session ends
        (or ended), in one transaction; None when it is unknown, expired, issued to another
        client, or already used. A second use revokes the grant the first use created (RFC
        6749 §4.1.2)."""
        code_hash = sha256_hex(code)
        async with self.db.write() as c:
            row = (
                await c.execute(
                    update(authorization_codes)
                    .where(
                        authorization_codes.c.code_hash == code_hash,
                        authorization_codes.c.client_id == client_id,
                        authorization_codes.c.consumed_at.is_(None),
                    )
                    .values(consumed_at=now)
                    .returning(*authorization_codes.c)
                )
            ).first()
            if row is None:
                used = (
                    await c.execute(
                        select(authorization_codes.c.grant_id).where(
                            authorization_codes.c.code_hash == code_hash,
                            authorization_codes.c.consumed_at.is_not(None),
                        )
                    )
                ).first()
                if used is not None:
                    await c.execute(
                        update(grants)
                        .where(grants.c.id == used.grant_id, grants.c.revoked_at.is_(None))
                        .values(revoked_at=now)
                    )
                return None
            if row.expires_at <= now:
                return None
            user = (
                await c.execute(
                    select(
                        users,
                        browser_sessions.c.expires_at.label("session_expires_at"),
                        browser_sessions.c.ended_at.label("session_ended_at"),
                    )
                    .outerjoin(
                        browser_sessions,
                        and_(
                            browser_sessions.c.sid == row.sid, browser_sessions.c.sid.is_not(None)
                        ),
                    )
                    .where(users.c.id == row.user_id)
                )
            ).first()
        if user is None:
            return None
        record = AuthorizationCodeRecord(
            client_id=row.client_id,
            user_id=row.user_id,
            grant_id=row.grant_id,
            redirect_uri=row.redirect_uri,
            scope=row.scope,
            nonce=row.nonce,
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            auth_time=row.auth_time,
            expires_at=row.expires_at,
            sid=row.sid,
            claims=RequestedClaims.from_json(row.claims),
            amr=row.amr,
        )
        session_ends = user.session_ended_at or user.session_expires_at
        if row.sid is not None and session_ends is None:
            session_ends = now  # a session that no longer exists
        return record, user_from_row(user), session_ends
