"""What follows the end of browser sessions (OIDC Core §11, Back-Channel Logout 1.0): grants
issued without `offline_access` end with them, and every client they signed into is told.

The audit trail (issue 14) records its session and logout events at the marked places."""

from __future__ import annotations

from idp.oauth.backchannel import LogoutNotice

from .services import AccountServices


async def sessions_ended(ctx: AccountServices, sids: list[str], now: float) -> None:
    """Sign-out (RP-initiated or on the portal), sign-in over an older session, reset."""
    signed_in = await ctx.store.grants.end_with_sessions(sids, now)
    # Audit (issue 14): one "session_ended" event per sid, with the clients told.
    ctx.backchannel.schedule(LogoutNotice(c, user, sid) for c, user, sid in signed_in)


async def user_signed_out_everywhere(ctx: AccountServices, user_id: str, now: float) -> None:
    """Every grant and session of a user ends (password reset, a member removed): each client
    with a live grant is told, by session when the grant came from one."""
    signed_in = await ctx.store.grants.live_sign_ins(user_id, now)
    await ctx.store.grants.revoke_for_user(user_id, now)
    sids = await ctx.store.sessions.end_for_user(user_id, now)
    await ctx.store.grants.end_with_sessions(sids, now)
    # Audit (issue 14): a "user_signed_out_everywhere" event with the reason.
    ctx.backchannel.schedule(LogoutNotice(c, user_id, sid) for c, sid in signed_in)
