"""Second factors end to end (issue 17): the authenticator app's secret sealed at rest, a code
judged under the throttles (reserved before anything is evaluated, like passwords), recovery
codes issued and used once, and every change audited and mailed to the user."""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from idp import audit
from idp.audit import Kind, Outcome
from idp.domain import second_factor as rules
from idp.domain.throttle import SECOND_FACTOR_PER_ACCOUNT, SECOND_FACTOR_PER_IP
from idp.mail import MailDeliveryError
from idp.mail.notices import Notice, compose_notice
from idp.store.records import UserRecord

from . import throttling
from .services import AccountServices

log = logging.getLogger(__name__)

SECRET_KEY_PURPOSE = "totp-secrets"
RECOVERY_KEY_PURPOSE = "recovery-codes"
# How long the enrolment form may wait for its first code (the secret travels sealed in it).
ENROLMENT_LIFETIME = 15 * 60


def _aead(ctx: AccountServices) -> AESGCM:
    return AESGCM(ctx.keys.derive(SECRET_KEY_PURPOSE))


def seal_secret(ctx: AccountServices, user_id: str, secret: str, *, purpose: str = "factor") -> str:
    """AES-GCM under a server sub-key, bound to the user (and to what it is for)."""
    nonce = os.urandom(12)
    sealed = _aead(ctx).encrypt(nonce, secret.encode(), f"{purpose}\n{user_id}".encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal_secret(
    ctx: AccountServices, user_id: str, sealed: str, *, purpose: str = "factor"
) -> str:
    """Raises ValueError for anything not sealed by `seal_secret` for this user and purpose."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        plain = _aead(ctx).decrypt(raw[:12], raw[12:], f"{purpose}\n{user_id}".encode())
    except (InvalidTag, ValueError) as error:
        raise ValueError("not a sealed secret") from error
    return plain.decode()


def enrolment_token(ctx: AccountServices, user_id: str, secret: str) -> str:
    return seal_secret(ctx, user_id, f"{int(ctx.clock.now())}:{secret}", purpose="enrol")


def enrolment_secret(ctx: AccountServices, user_id: str, token: str) -> str | None:
    try:
        issued, _, secret = unseal_secret(ctx, user_id, token, purpose="enrol").partition(":")
    except ValueError:
        return None
    if not issued.isdigit() or ctx.clock.now() - int(issued) > ENROLMENT_LIFETIME:
        return None
    return secret


class FactorStatus(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class FactorResult:
    status: FactorStatus
    amr: str = ""
    retry_after: float = 0.0


def _limits(user_id: str, ip: str) -> list[throttling.Limit]:
    return [
        throttling.Limit(f"second-factor:user:{user_id}", SECOND_FACTOR_PER_ACCOUNT),
        throttling.Limit(f"second-factor:ip:{ip}", SECOND_FACTOR_PER_IP),
    ]


async def _judge(ctx: AccountServices, user: UserRecord, code: str, method: str) -> bool:
    now = ctx.clock.now()
    if method == "recovery":
        key = ctx.keys.derive(RECOVERY_KEY_PURPOSE)
        code_hash = rules.hash_recovery_code(key, user.id, code)
        return await ctx.store.factors.use_recovery_code(user.id, code_hash, now)
    for app in (await ctx.store.factors.of_user(user.id)).factors:
        if app.kind != "totp":
            continue
        secret = unseal_secret(ctx, user.id, app.secret)
        step = rules.matching_step(secret, code, now, app.last_step)
        # The conditional update makes the step single use even between parallel requests.
        if step is not None:
            return await ctx.store.factors.use_step(app.id, step, now)
    return False


async def check_second_factor(
    ctx: AccountServices,
    user: UserRecord,
    code: str,
    ip: str,
    *,
    method: str = "otp",
    client_id: str | None = None,
) -> FactorResult:
    """An app code (`otp`) or a recovery code (`recovery`), throttled per account and IP."""
    now = ctx.clock.now()
    limits = _limits(user.id, ip)
    reservation = await throttling.reserve(ctx.store, limits, now)

    async def used(outcome: Outcome) -> None:
        await audit.record(
            ctx.store,
            Kind.SECOND_FACTOR_USED,
            at=now,
            subject=user.id,
            client_id=client_id,
            ip=ip,
            outcome=outcome,
            detail={"method": method},
        )

    if reservation.refused is not None:
        await used(Outcome.REFUSED)
        return FactorResult(FactorStatus.LOCKED, retry_after=reservation.retry_after)
    if not await _judge(ctx, user, code, method):
        await used(Outcome.FAILURE)
        if reservation.reached(limits[0]):
            minutes = int(SECOND_FACTOR_PER_ACCOUNT.lockout // 60)
            await audit.record(
                ctx.store,
                Kind.LOCKOUT,
                at=now,
                subject=user.id,
                ip=ip,
                detail={"scope": "second_factor", "minutes": minutes},
            )
        return FactorResult(FactorStatus.WRONG)
    await throttling.succeeded(ctx.store, limits[1:])
    await ctx.store.throttle.clear(limits[0].key)
    await used(Outcome.SUCCESS)
    # RFC 8176: a recovery code is a one-time password too.
    return FactorResult(
        FactorStatus.ACCEPTED, amr=rules.with_second_factor(rules.ONE_TIME_PASSWORD)
    )


async def new_recovery_codes(ctx: AccountServices, user_id: str) -> list[str]:
    """Ten fresh codes, stored hashed; the previous ones stop working. Shown once."""
    codes = rules.new_recovery_codes()
    key = ctx.keys.derive(RECOVERY_KEY_PURPOSE)
    hashes = [rules.hash_recovery_code(key, user_id, code) for code in codes]
    await ctx.store.factors.replace_recovery_codes(user_id, hashes, ctx.clock.now())
    return codes


async def notify(ctx: AccountServices, user: UserRecord, notice: Notice, locale: str) -> None:
    """Mail the user about a change to their second factors; a mail failure is logged, the
    change stands (it is in the audit trail)."""
    message = compose_notice(
        to=user.email,
        name=user.name,
        notice=notice,
        locale=locale,
        sender=ctx.settings.mail_from,
        issuer=ctx.settings.issuer,
        sent_at=ctx.clock.now(),
    )
    try:
        await ctx.mailer.send(message)
    except MailDeliveryError as error:
        log.warning("could not mail the %s notice to user %s: %s", notice, user.id, error)
