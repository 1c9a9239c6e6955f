"""`/account`: who is signed in on this browser, and signing out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.context import context
from idp.web.csrf import FIELD as CSRF_FIELD
from idp.web.forms import first, read_form
from idp.web.sessions import current_session, end_session


async def account_page(request: Request) -> Response:
    session = await current_session(request)
    user = session.user if session else None
    return context(request).templates.render(request, "account.html", {"user": user})


async def signout(request: Request) -> Response:
    ctx = context(request)
    form = await read_form(request)
    ctx.csrf.verify(request, first(form, CSRF_FIELD))
    response = RedirectResponse("/account", status_code=303)
    await end_session(request, response)
    return response
