"""The password step of the sign-in (seed, étape 2, 2°), throttled per account and per IP.

The try is reserved under both throttles before the password is hashed (`throttling.reserve`):
of 100 parallel wrong passwords for one account, 5 are evaluated and the others refused.

Timing: the argon2 verification runs whether or not the account exists (against a dummy hash
otherwise, see `idp.passwords`), so the response time says no more than the email-first step
already did.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from idp import audit
from idp.audit import Kind, Outcome
from idp.domain.throttle import PASSWORD_PER_ACCOUNT, PASSWORD_PER_IP
from idp.store.records import UserRecord

from . import throttling
from .services import AccountServices


class PasswordStatus(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    ACCOUNT_LOCKED = "account_locked"  # 5 failures on this account: 15 minutes
    NETWORK_LOCKED = "network_locked"  # too many failures from this IP, across accounts


@dataclass(frozen=True)
class PasswordResult:
    status: PasswordStatus
    user: UserRecord | None = None
    retry_after: float = 0.0


def account_key(user_id: str) -> str:
    return f"password:user:{user_id}"


async def check_password(
    ctx: AccountServices, email: str, password: str, ip: str, client_id: str | None = None
) -> PasswordResult:
    user = await ctx.store.users.by_email(email) if email else None
    now = ctx.clock.now()
    limits = [throttling.Limit(f"password:ip:{ip}", PASSWORD_PER_IP)]
    if user is not None:
        limits.insert(0, throttling.Limit(account_key(user.id), PASSWORD_PER_ACCOUNT))
    subject = user.id if user else None
    # An unknown account has no subject: its (normalised, non-secret) email says who was tried.
    detail = {} if user else {"email": email[:320]}

    async def failed(outcome: Outcome, **reason: str) -> None:
        await audit.record(
            ctx.store,
            Kind.SIGN_IN,
            at=now,
            subject=subject,
            client_id=client_id,
            ip=ip,
            outcome=outcome,
            detail={**detail, **reason},
        )

    reservation = await throttling.reserve(ctx.store, limits, now)
    if reservation.refused is not None:
        status = PasswordStatus.NETWORK_LOCKED
        if reservation.refused.budget is PASSWORD_PER_ACCOUNT:
            status = PasswordStatus.ACCOUNT_LOCKED
        await failed(Outcome.REFUSED, reason=str(status))
        return PasswordResult(status, user, reservation.retry_after)
    matches, rehashed = await ctx.passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches:
        await failed(Outcome.FAILURE)
        for limit in limits:
            if reservation.reached(limit):
                scope = "account" if limit.budget is PASSWORD_PER_ACCOUNT else "network"
                await audit.record(
                    ctx.store,
                    Kind.LOCKOUT,
                    at=now,
                    subject=subject if scope == "account" else None,
                    ip=ip,
                    detail={"scope": scope, "minutes": int(limit.budget.lockout // 60)},
                )
        return PasswordResult(PasswordStatus.WRONG, user)
    await throttling.succeeded(ctx.store, limits[1:])
    await ctx.store.throttle.clear(account_key(user.id))
    if rehashed:
        await ctx.store.users.update_password_hash(user.id, rehashed)
    await audit.record(ctx.store, Kind.SIGN_IN, at=now, subject=user.id, client_id=client_id, ip=ip)
    return PasswordResult(PasswordStatus.OK, user)
