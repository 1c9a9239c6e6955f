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
    AuditEvent,
    AuthorizationCode,
    BrowserSession,
    ClientAssertionJti,
    DeviceCode,
    DPoPProof,
    EmailChallenge,
    Grant,
    PushedAuthorizationRequest,
    RefreshToken,
    RevokedToken,
    ThrottleTally,
)

codes = AuthorizationCode.__table__  # type: ignore[attr-defined]
devices = DeviceCode.__table__  # type: ignore[attr-defined]
sessions = BrowserSession.__table__  # type: ignore[attr-defined]
challenges = EmailChallenge.__table__  # type: ignore[attr-defined]
grants = Grant.__table__  # type: ignore[attr-defined]
refresh_tokens = RefreshToken.__table__  # type: ignore[attr-defined]
revoked = RevokedToken.__table__  # type: ignore[attr-defined]
tallies = ThrottleTally.__table__  # type: ignore[attr-defined]
audit = AuditEvent.__table__  # type: ignore[attr-defined]
pushed = PushedAuthorizationRequest.__table__  # type: ignore[attr-defined]
assertion_jtis = ClientAssertionJti.__table__  # type: ignore[attr-defined]
dpop_proofs = DPoPProof.__table__  # type: ignore[attr-defined]


def _statements(now: float, keep: Retention) -> dict[str, object]:
    expired = now - keep.expired
    ended = now - keep.ended_grants
    ended_grants = select(grants.c.id).where(
        or_(grants.c.revoked_at < ended, grants.c.expires_at < ended)
    )
    return {
        "authorization_codes": delete(codes).where(codes.c.expires_at < expired),
        "device_codes": delete(devices).where(devices.c.expires_at < expired),
        "browser_sessions": delete(sessions).where(
            or_(sessions.c.expires_at < expired, sessions.c.ended_at < expired)
        ),
        "email_challenges": delete(challenges).where(
            challenges.c.issued_at < now - max(CODE_LIFETIME, RESEND_WINDOW) - keep.expired
        ),
        "refresh_tokens": delete(refresh_tokens).where(
            or_(
                refresh_tokens.c.rotated_at < now - keep.rotated_refresh_tokens,
                refresh_tokens.c.grant_id.in_(ended_grants),
            )
        ),
        "grants": delete(grants).where(grants.c.id.in_(ended_grants)),
        "revoked_tokens": delete(revoked).where(revoked.c.expires_at < now),
        "dpop_proofs": delete(dpop_proofs).where(dpop_proofs.c.expires_at < now),
        "throttle_tallies": delete(tallies).where(tallies.c.last_at < now - LONGEST_HORIZON),
        "audit_events": delete(audit).where(audit.c.at < now - keep.audit_events),
        "pushed_authorization_requests": delete(pushed).where(pushed.c.expires_at < expired),
        "client_assertion_jtis": delete(assertion_jtis).where(assertion_jtis.c.expires_at < now),
    }


async def purge(db: Database, now: float, keep: Retention) -> dict[str, int]:
    """Delete every ended row; the count deleted per table."""
    counts: dict[str, int] = {}
    for table, statement in _statements(now, keep).items():
        async with db.write() as c:
            result = await c.execute(statement)  # type: ignore[call-overload]
        counts[table] = int(result.rowcount)
    return counts


__all__ = ["purge"]
