"""Emailed codes end to end (seed, étape 2, 4°): mail one under the resend rules, and judge
one typed by the user under the attempt rules and the per-IP budget."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from idp.domain.email_codes import (
    MAX_ATTEMPTS,
    Purpose,
    ResendStatus,
    Verdict,
    attempt,
    check_attempt,
    generate_code,
    hash_code,
    verify_code,
)
from idp.domain.throttle import EMAIL_CODE_PER_IP
from idp.mail import MailDeliveryError, compose_code_mail
from idp.store.records import UserRecord

from . import throttling
from .services import AccountServices

log = logging.getLogger("sageid.accounts")
KEY_PURPOSE = "email-codes"


class SendStatus(StrEnum):
    SENT = "sent"
    WAIT = "wait"  # less than a minute since the last code
    HOURLY_LIMIT = "hourly_limit"  # five codes this hour already
    MAIL_FAILED = "mail_failed"  # nothing counted: the user may try again at once


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    retry_after: int = 0


def code_subject(user_id: str, new_email: str | None = None) -> str:
    """What a code is bound to: the user, and for an email change the new address too, so
    the code confirms that address and no other (issue 18)."""
    return user_id if new_email is None else f"{user_id}\n{new_email}"


async def send_code(
    ctx: AccountServices,
    user: UserRecord,
    purpose: Purpose,
    locale: str,
    *,
    new_email: str | None = None,
) -> SendResult:
    """Mail a code to the user, or for an email change to `new_email` (the address to prove)."""
    now = ctx.clock.now()
    code = generate_code()
    subject = code_subject(user.id, new_email)
    code_hash = hash_code(ctx.keys.derive(KEY_PURPOSE), code, purpose=purpose, subject=subject)
    issued = await ctx.store.challenges.issue(
        user_id=user.id, purpose=purpose, code_hash=code_hash, now=now
    )
    if issued.challenge_id is None:
        status = SendStatus.WAIT
        if issued.verdict.status is ResendStatus.HOURLY_LIMIT:
            status = SendStatus.HOURLY_LIMIT
        return SendResult(status, issued.verdict.retry_after)
    message = compose_code_mail(
        to=new_email or user.email,
        name=user.name,
        code=code,
        purpose=purpose,
        locale=locale,
        sender=ctx.settings.mail_from,
        issuer=ctx.settings.issuer,
        sent_at=now,
    )
    try:
        await ctx.mailer.send(message)
    except MailDeliveryError as error:
        # The account and its earlier state stay; only this code is forgotten.
        log.warning("could not send the %s code to user %s: %s", purpose, user.id, error)
        await ctx.store.challenges.withdraw(issued.challenge_id)
        return SendResult(SendStatus.MAIL_FAILED)
    return SendResult(SendStatus.SENT)


async def has_open_code(ctx: AccountServices, user_id: str, purpose: Purpose) -> bool:
    """A code that can still be tried: no need to mail another one."""
    challenge = await ctx.store.challenges.current(user_id, purpose)
    if challenge is None:
        return False
    return check_attempt(challenge.state, ctx.clock.now()) is Verdict.OPEN


class CodeStatus(StrEnum):
    ACCEPTED = "accepted"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # five wrong codes: a new code is needed
    NO_CODE = "no_code"  # none pending (already used, or none sent)
    LOCKED = "locked"  # too many wrong codes from this IP, across accounts


@dataclass(frozen=True)
class CodeResult:
    status: CodeStatus
    attempts_left: int = MAX_ATTEMPTS
    retry_after: float = 0.0


_STATUS = {
    Verdict.ACCEPTED: CodeStatus.ACCEPTED,
    Verdict.WRONG_CODE: CodeStatus.WRONG_CODE,
    Verdict.EXPIRED: CodeStatus.EXPIRED,
    Verdict.EXHAUSTED: CodeStatus.EXHAUSTED,
    Verdict.CONSUMED: CodeStatus.NO_CODE,
}


async def check_code(
    ctx: AccountServices,
    user_id: str,
    purpose: Purpose,
    typed: str,
    ip: str,
    *,
    new_email: str | None = None,
) -> CodeResult:
    now = ctx.clock.now()
    limits = [throttling.Limit(f"email-code:ip:{ip}", EMAIL_CODE_PER_IP)]
    reservation = await throttling.reserve(ctx.store, limits, now)
    if reservation.refused:
        return CodeResult(CodeStatus.LOCKED, retry_after=reservation.retry_after)
    result = await _judge(ctx, user_id, purpose, typed, now, new_email)
    if result.status is not CodeStatus.WRONG_CODE:
        await throttling.succeeded(ctx.store, limits)  # only wrong codes count per IP
    return result


async def _judge(
    ctx: AccountServices,
    user_id: str,
    purpose: Purpose,
    typed: str,
    now: float,
    new_email: str | None,
) -> CodeResult:
    """The typed code against the challenge; each challenge counts its own wrong codes with a
    conditional UPDATE, so it too holds at `MAX_ATTEMPTS` under parallel tries."""
    challenge = await ctx.store.challenges.current(user_id, purpose)
    if challenge is None:
        return CodeResult(CodeStatus.NO_CODE)
    key = ctx.keys.derive(KEY_PURPOSE)
    subject = code_subject(user_id, new_email)
    matches = verify_code(key, typed, challenge.code_hash, purpose=purpose, subject=subject)
    judged = attempt(challenge.state, code_matches=matches, now=now)
    if judged.verdict in (Verdict.ACCEPTED, Verdict.WRONG_CODE):
        accepted = judged.verdict is Verdict.ACCEPTED
        judged = await ctx.store.challenges.record_attempt(challenge.id, accepted=accepted, now=now)
    return CodeResult(_STATUS[judged.verdict], attempts_left=judged.attempts_left)
