"""The browser's sign-in on the provider: an HttpOnly cookie naming a stored session."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp import audit
from idp.accounts.sessions_ended import sessions_ended
from idp.audit import Kind
from idp.context import context
from idp.store.records import SessionRecord


def cookie_name(secure: bool) -> str:
    # `__Host-` pins the cookie to this host over https (no Domain, Path=/).
    return "__Host-sageid_session" if secure else "sageid_session"


async def current_session(request: Request) -> SessionRecord | None:
    if "sageid_session_record" in request.scope:
        cached: SessionRecord | None = request.scope["sageid_session_record"]
        return cached
    ctx = context(request)
    session_id = request.cookies.get(cookie_name(ctx.settings.secure_cookies))
    record = None
    if session_id:
        record = await ctx.store.sessions.get(session_id, ctx.clock.now())
    request.scope["sageid_session_record"] = record
    return record


async def start_session(
    request: Request, response: Response, user_id: str, *, amr: str = "pwd"
) -> None:
    """Sign in: always a new session id (against fixation); any previous one ends."""
    ctx = context(request)
    name = cookie_name(ctx.settings.secure_cookies)
    now = ctx.clock.now()
    previous = request.cookies.get(name)
    if previous and (sid := await ctx.store.sessions.end(previous, now)):
        await sessions_ended(ctx, [sid], now)
    lifetime = ctx.settings.lifetimes.browser_session
    session_id = await ctx.store.sessions.create(user_id, now=now, lifetime=lifetime, amr=amr)
    response.set_cookie(
        name,
        session_id,
        max_age=lifetime,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )


async def end_session(request: Request, response: Response, client_id: str | None = None) -> None:
    """Sign out (the audit trail names the client of an RP-initiated logout)."""
    ctx = context(request)
    name = cookie_name(ctx.settings.secure_cookies)
    if session_id := request.cookies.get(name):
        session = await current_session(request)
        now = ctx.clock.now()
        if sid := await ctx.store.sessions.end(session_id, now):
            await sessions_ended(ctx, [sid], now)
        if session is not None:
            await audit.record_own(
                ctx.store,
                Kind.LOGOUT,
                session.user.id,
                at=now,
                ip=request.client.host if request.client else None,
                client_id=client_id,
            )
    response.delete_cookie(name, path="/", secure=ctx.settings.secure_cookies, httponly=True)


def session_id_of(request: Request) -> str | None:
    """The raw id in this browser's session cookie (to raise its methods, issue 17)."""
    return request.cookies.get(cookie_name(context(request).settings.secure_cookies))
