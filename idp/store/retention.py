"""Deleting what has ended (`idp.retention` runs it): expired authorization codes, device
codes, browser sessions and email codes; rotated refresh tokens once their reuse no longer
needs detecting; grants that ended, with their refresh tokens; expired deny-list entries; old
throttle tallies; audit events past their retention. Each kind is its own short transaction,
so a purge never holds SQLite's write lock for long."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from idp.domain.email_codes import CODE_LIFETIME, RESEND_WINDOW
from idp.domain.throttle import LONGEST_HORIZON
from idp.settings import Retention
from idp.store.database import Database
from idp.store.tables import (
    audit_events,
    authorization_codes,
    browser_sessions,
    client_assertion_jtis,
    device_codes,
    dpop_proofs,
    email_challenges,
    grants,
    pushed_authorization_requests,
    refresh_tokens,
    revoked_tokens,
    throttle_tallies,
)


def _statements(now: float, keep: Retention) -> dict[str, object]:
    expired = now - keep.expired
    ended = now - keep.ended_grants
    ended_grants = select(grants.c.id).where(
        or_(grants.c.revoked_at < ended, grants.c.expires_at < ended)
    )
    return {
        "authorization_codes": delete(authorization_codes).where(
            authorization_codes.c.expires_at < expired
        ),
        "device_codes": delete(device_codes).where(device_codes.c.expires_at < expired),
        "browser_sessions": delete(browser_sessions).where(
            or_(browser_sessions.c.expires_at < expired, browser_sessions.c.ended_at < expired)
        ),
        "email_challenges": delete(email_challenges).where(
            email_challenges.c.issued_at < now - max(CODE_LIFETIME, RESEND_WINDOW) - keep.expired
        ),
        "refresh_tokens": delete(refresh_tokens).where(
            or_(
                refresh_tokens.c.rotated_at < now - keep.rotated_refresh_tokens,
                refresh_tokens.c.grant_id.in_(ended_grants),
            )
        ),
        "grants": delete(grants).where(grants.c.id.in_(ended_grants)),
        "revoked_tokens": delete(revoked_tokens).where(revoked_tokens.c.expires_at < now),
        "dpop_proofs": delete(dpop_proofs).where(dpop_proofs.c.expires_at < now),
        "throttle_tallies": delete(throttle_tallies).where(
            throttle_tallies.c.last_at < now - LONGEST_HORIZON
        ),
        "audit_events": delete(audit_events).where(audit_events.c.at < now - keep.audit_events),
        "pushed_authorization_requests": delete(pushed_authorization_requests).where(
            pushed_authorization_requests.c.expires_at < expired
        ),
        "client_assertion_jtis": delete(client_assertion_jtis).where(
            client_assertion_jtis.c.expires_at < now
        ),
    }


async def purge(db: Database, now: float, keep: Retention) -> dict[str, int]:
    """Delete every ended row; the count deleted per table."""
    counts: dict[str, int] = {}
    for table, statement in _statements(now, keep).items():
        async with db.write() as c:
            result = await c.execute(statement)
        counts[table] = int(result.rowcount)
    return counts


__all__ = ["purge"]
