"""Emailed-code challenges (verify / reset): issued under the resend rules, tried and consumed
atomically. The rules themselves live in `idp.domain.email_codes`; this layer only makes each
transition a single conditional statement, so two workers can't both win (STYLE §5).

Each mailed code is one row; the rows of the last hour are the "sends" the resend rules count.
Issuing a new code supersedes (consumes) the previous one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update

from idp.domain.email_codes import (
    MAX_ATTEMPTS,
    RESEND_WINDOW,
    Attempt,
    ChallengeState,
    Purpose,
    ResendVerdict,
    Verdict,
    can_resend,
    check_attempt,
)
from idp.store.database import Database
from idp.store.tables import email_challenges, users


@dataclass(frozen=True)
class ChallengeRecord:
    id: str
    user_id: str
    purpose: str
    issued_at: float
    attempts: int
    consumed_at: float | None
    code_hash: str = field(repr=False)

    @property
    def state(self) -> ChallengeState:
        return ChallengeState(
            issued_at=self.issued_at, attempts=self.attempts, consumed=self.consumed_at is not None
        )


@dataclass(frozen=True)
class Issued:
    """The resend rules' verdict, and the new challenge's id when a code may be mailed."""

    verdict: ResendVerdict
    challenge_id: str | None


def _challenge_from_row(row: object) -> ChallengeRecord:
    return ChallengeRecord(
        id=row.id,  # type: ignore[attr-defined]
        user_id=row.user_id,  # type: ignore[attr-defined]
        purpose=row.purpose,  # type: ignore[attr-defined]
        issued_at=row.issued_at,  # type: ignore[attr-defined]
        attempts=row.attempts,  # type: ignore[attr-defined]
        consumed_at=row.consumed_at,  # type: ignore[attr-defined]
        code_hash=row.code_hash,  # type: ignore[attr-defined]
    )


class ChallengeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue(self, *, user_id: str, purpose: Purpose, code_hash: str, now: float) -> Issued:
        """Record a new code unless the resend rules refuse it (one transaction: the check and
        the insert can't be split by a double click or a second worker)."""
        mine = (email_challenges.c.user_id == user_id, email_challenges.c.purpose == purpose)
        async with self.db.write() as c:
            # PostgreSQL: serialise the issuers of one user on the user's row (SQLite writes
            # are already serialised by `Database.write`).
            await c.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
            sends = (
                await c.execute(
                    select(email_challenges.c.issued_at).where(
                        *mine, email_challenges.c.issued_at > now - RESEND_WINDOW
                    )
                )
            ).scalars()
            verdict = can_resend(list(sends), now)
            if verdict.retry_after:
                return Issued(verdict, None)
            await c.execute(
                update(email_challenges)
                .where(*mine, email_challenges.c.consumed_at.is_(None))
                .values(consumed_at=now)
            )
            await c.execute(
                delete(email_challenges).where(
                    *mine, email_challenges.c.issued_at <= now - RESEND_WINDOW
                )
            )
            challenge_id = str(uuid.uuid4())
            await c.execute(
                insert(email_challenges).values(
                    id=challenge_id,
                    user_id=user_id,
                    purpose=purpose,
                    code_hash=code_hash,
                    issued_at=now,
                    attempts=0,
                )
            )
        return Issued(verdict, challenge_id)

    async def withdraw(self, challenge_id: str) -> None:
        """Forget a code whose mail could not be sent: it never reached the user, so it must
        not count as a send (the user may ask again at once)."""
        async with self.db.write() as c:
            await c.execute(delete(email_challenges).where(email_challenges.c.id == challenge_id))

    async def current(self, user_id: str, purpose: Purpose) -> ChallengeRecord | None:
        """The latest code mailed for this purpose (older ones were superseded)."""
        query = (
            select(email_challenges)
            .where(email_challenges.c.user_id == user_id, email_challenges.c.purpose == purpose)
            .order_by(email_challenges.c.issued_at.desc())
            .limit(1)
        )
        async with self.db.read() as c:
            row = (await c.execute(query)).first()
        return _challenge_from_row(row) if row else None

    async def record_attempt(self, challenge_id: str, *, accepted: bool, now: float) -> Attempt:
        """Apply what `email_codes.attempt` decided, and return the stored outcome. A right code
        consumes the challenge only while it is still open (`UPDATE … WHERE consumed_at IS
        NULL`): of two concurrent right codes one wins, the other gets `CONSUMED`. A wrong code
        counts one attempt."""
        this = email_challenges.c.id == challenge_id
        async with self.db.write() as c:
            won = False
            if accepted:
                result = await c.execute(
                    update(email_challenges)
                    .where(
                        this,
                        email_challenges.c.consumed_at.is_(None),
                        email_challenges.c.attempts < MAX_ATTEMPTS,
                    )
                    .values(consumed_at=now)
                )
                won = result.rowcount == 1
            else:
                await c.execute(
                    update(email_challenges)
                    .where(
                        this,
                        email_challenges.c.consumed_at.is_(None),
                        email_challenges.c.attempts < MAX_ATTEMPTS,
                    )
                    .values(attempts=email_challenges.c.attempts + 1)
                )
            row = (await c.execute(select(email_challenges).where(this))).first()
        if row is None:  # superseded and pruned meanwhile
            return Attempt(Verdict.CONSUMED, ChallengeState(issued_at=now, consumed=True), 0)
        state = _challenge_from_row(row).state
        left = max(0, MAX_ATTEMPTS - state.attempts)
        if won:
            return Attempt(Verdict.ACCEPTED, state, left)
        verdict = check_attempt(state, now)
        if not accepted and verdict in (Verdict.OPEN, Verdict.EXHAUSTED):
            # This wrong code was counted (the last allowed one leaves 0 attempts).
            verdict = Verdict.WRONG_CODE
        return Attempt(verdict, state, left)
