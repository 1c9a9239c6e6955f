"""Choosing a new password through an emailed reset code: every grant of the user is revoked
and every browser session ended (a stolen password stops working everywhere)."""

from __future__ import annotations

from idp import audit
from idp.audit import Kind

from .services import AccountServices
from .sessions_ended import user_signed_out_everywhere
from .sign_in import account_key


async def set_new_password(
    ctx: AccountServices, user_id: str, password: str, *, ip: str | None = None
) -> None:
    password_hash = await ctx.passwords.hash(password)
    now = ctx.clock.now()
    await ctx.store.users.set_password(user_id, password_hash, now)
    await user_signed_out_everywhere(ctx, user_id, now)
    # The lock protected the old password; the owner has just proved the mailbox.
    await ctx.store.throttle.clear(account_key(user_id))
    await audit.record_own(ctx.store, Kind.PASSWORD_RESET, user_id, at=now, ip=ip)
