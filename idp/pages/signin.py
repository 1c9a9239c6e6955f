"""The sign-in page: email and password, then back to where the user was going."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.context import context
from idp.i18n import N_
from idp.store.users import normalise_email
from idp.web.csrf import FIELD as CSRF_FIELD
from idp.web.forms import first, read_form
from idp.web.navigation import safe_next
from idp.web.sessions import start_session


def _render(request: Request, *, email: str, following: str, error: str | None = None) -> Response:
    return context(request).templates.render(
        request,
        "signin.html",
        {"email": email, "next": following, "error": error},
        status=400 if error else 200,
    )


async def signin_page(request: Request) -> Response:
    following = safe_next(request.query_params.get("next"))
    return _render(request, email=request.query_params.get("login_hint", ""), following=following)


async def signin_submit(request: Request) -> Response:
    ctx = context(request)
    form = await read_form(request)
    ctx.csrf.verify(request, first(form, CSRF_FIELD))
    email = normalise_email(first(form, "email"))
    password = first(form, "password")
    following = safe_next(first(form, "next"))
    user = await ctx.store.users.by_email(email) if email else None
    # Verified against a dummy hash when there is no such user: same time either way.
    matches, rehashed = await ctx.passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches:
        return _render(
            request, email=email, following=following, error=N_("Incorrect email or password.")
        )
    if rehashed:
        await ctx.store.users.update_password_hash(user.id, rehashed)
    response = RedirectResponse(following, status_code=303)
    await start_session(request, response, user.id)
    return response
