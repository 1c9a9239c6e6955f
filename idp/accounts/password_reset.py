"""Choosing a new password through an emailed reset code: every grant of the user is revoked
and every browser session ended (a stolen password stops working everywhere)."""

from __future__ import annotations

from idp.context import AppContext

from .sessions_ended import user_signed_out_everywhere
from .sign_in import account_key


async def set_new_password(ctx: AppContext, user_id: str, password: str) -> None:
    password_hash = await ctx.passwords.hash(password)
    now = ctx.clock.now()
    await ctx.store.users.set_password(user_id, password_hash, now)
    await user_signed_out_everywhere(ctx, user_id, now)
    # The lock protected the old password; the owner has just proved the mailbox.
    await ctx.store.throttle.clear(account_key(user_id))
