"""The password step of the sign-in (seed, étape 2, 2°), throttled per account and per IP.

Timing: the argon2 verification runs whether or not the account exists (against a dummy hash
otherwise, see `idp.passwords`), so the response time says no more than the email-first step
already did.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from idp.context import AppContext
from idp.domain.throttle import PASSWORD_PER_ACCOUNT, PASSWORD_PER_IP
from idp.store.records import UserRecord

from . import throttling


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


async def check_password(ctx: AppContext, email: str, password: str, ip: str) -> PasswordResult:
    user = await ctx.store.users.by_email(email) if email else None
    now = ctx.clock.now()
    limits = [throttling.Limit(f"password:ip:{ip}", PASSWORD_PER_IP)]
    if user is not None:
        limits.insert(0, throttling.Limit(account_key(user.id), PASSWORD_PER_ACCOUNT))
    locked, retry_after = await throttling.check(ctx.store, limits, now)
    if locked is not None:
        status = PasswordStatus.NETWORK_LOCKED
        if locked.budget is PASSWORD_PER_ACCOUNT:
            status = PasswordStatus.ACCOUNT_LOCKED
        return PasswordResult(status, user, retry_after)
    matches, rehashed = await ctx.passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches:
        await throttling.fail(ctx.store, limits, now)
        return PasswordResult(PasswordStatus.WRONG, user)
    await ctx.store.throttle.clear(account_key(user.id))
    if rehashed:
        await ctx.store.users.update_password_hash(user.id, rehashed)
    return PasswordResult(PasswordStatus.OK, user)
