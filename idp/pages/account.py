"""`/account`, where `/` leads (issue 18): who is signed in, their name (editable), email
(changed through a code mailed to the new address), password (the current one asked; other
sessions end), customer accounts and profiles, *Appareils et applications connectés* with a
*Déconnecter* button each, links to the portal, and signing out."""

from __future__ import annotations

import asyncio
from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import audit
from idp.accounts.codes import CodeStatus, check_code, send_code
from idp.accounts.referencing import Outcome, ensure_referenced
from idp.accounts.sign_in import PasswordStatus, check_password
from idp.context import context
from idp.domain.email_address import is_plausible_email, normalise_email
from idp.i18n import N_
from idp.pages.activity import recent_sign_ins, record_own_action
from idp.pages.feedback import AfterSend, Message, after_send, code_feedback, minutes
from idp.pages.portal import format_time
from idp.pages.referencing import congratulations_url
from idp.pages.security import NOTICES as SECURITY_NOTICES
from idp.pages.signup import NAME_MAX_LENGTH, Errors, password_errors
from idp.store.records import UserRecord
from idp.store.users import EmailTaken
from idp.web.client_ip import client_ip
from idp.web.forms import Form, first, posted_form
from idp.web.navigation import sign_in_redirect
from idp.web.sessions import current_session, end_session, start_session
from idp.web.templating import request_locale

ACCOUNT: Final = "/account"

# `?done=` keys a form leaves for the account page (fixed messages, never text from the URL).
NOTICES: Final = {
    "name": N_("Your name was changed."),
    "email": N_("Your email address was changed."),
    "password": N_(
        "Your password was changed. Your other sessions and applications are signed out."
    ),
    "disconnected": N_("The application was disconnected. It will have to sign in again."),
}
EMAIL_INVALID = N_("Enter a valid email address, for example name@example.com.")


async def _signed_in_user(request: Request) -> UserRecord | None:
    session = await current_session(request)
    return session.user if session else None


async def _render(
    request: Request,
    user: UserRecord,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ctx = context(request)
    locale = request_locale(request)
    async with asyncio.TaskGroup() as reads:
        accounts = reads.create_task(ctx.store.customers.accounts_of(user.id))
        apps = reads.create_task(ctx.store.connected_apps.of_user(user.id, ctx.clock.now()))
        sign_ins = reads.create_task(recent_sign_ins(ctx, user.id, locale))
        factors = reads.create_task(ctx.store.factors.of_user(user.id))
    return ctx.templates.render(
        request,
        "account.html",
        {
            "user": user,
            "accounts": accounts.result(),
            "apps": [
                {
                    "app": app,
                    "first_used": format_time(app.first_used, locale),
                    "last_used": format_time(app.last_used, locale),
                }
                for app in apps.result()
            ],
            "sign_ins": sign_ins.result(),
            "factors": factors.result(),
            "factor_items": [
                {
                    "factor": factor,
                    "created": format_time(factor.created_at, locale),
                    "used": format_time(factor.last_used_at or factor.created_at, locale),
                }
                for factor in factors.result().factors
            ],
            "notice": NOTICES.get(request.query_params.get("done", ""))
            or SECURITY_NOTICES.get(request.query_params.get("done", "")),
            "errors": errors or {},
            "values": values or {},
        },
        status=status,
    )


def _back(done: str) -> Response:
    return RedirectResponse(f"{ACCOUNT}?done={done}", status_code=303)


async def _posted(request: Request) -> tuple[UserRecord | None, Form]:
    form = await posted_form(request)
    return await _signed_in_user(request), form


async def account_page(request: Request) -> Response:
    ctx = context(request)
    user = await _signed_in_user(request)
    if user is None:
        return ctx.templates.render(request, "account.html", {"user": None})
    # Seed, étape 3: « à la connexion », referenced automatically (issue 18).
    if await ensure_referenced(ctx, user) is Outcome.AUTO_REFERENCED:
        return RedirectResponse(congratulations_url(ACCOUNT), status_code=303)
    return await _render(request, user)


async def name_submit(request: Request) -> Response:
    user, form = await _posted(request)
    if user is None:
        return sign_in_redirect(ACCOUNT)
    name = " ".join(first(form, "name").split())
    if not name or len(name) > NAME_MAX_LENGTH:
        error = Message(N_("Enter your name.") if not name else N_("Use at most 200 characters."))
        return await _render(request, user, errors={"name": [error]}, status=400)
    await context(request).store.users.set_name(user.id, name)
    return _back("name")


async def password_change(request: Request) -> Response:
    """The current password first (throttled like a sign-in); a new one by the policy. Every
    session ends, this browser gets a new one; the applications' grants predate the change,
    so they end too (the live-grant rule, `idp.store.grants`)."""
    user, form = await _posted(request)
    if user is None:
        return sign_in_redirect(ACCOUNT)
    ctx = context(request)
    checked = await check_password(ctx, user.email, first(form, "current"), client_ip(request))
    errors: Errors = {}
    if checked.status in (PasswordStatus.ACCOUNT_LOCKED, PasswordStatus.NETWORK_LOCKED):
        wait = {"minutes": minutes(checked.retry_after)}
        errors["current"] = [
            Message(N_("Too many wrong passwords. Try again in %(minutes)s min."), wait)
        ]
    elif checked.status is not PasswordStatus.OK:
        errors["current"] = [Message(N_("This is not your current password."))]
    new = first(form, "password")
    errors.update(password_errors(new, first(form, "confirmation"), user.email))
    if errors:
        return await _render(request, user, errors=errors, status=400)
    await ctx.store.users.set_password(user.id, await ctx.passwords.hash(new), ctx.clock.now())
    await ctx.store.sessions.end_for_user(user.id, ctx.clock.now())
    await record_own_action(request, audit.Kind.PASSWORD_CHANGED, user.id)
    response = _back("password")
    await start_session(request, response, user.id)
    return response


async def email_submit(request: Request) -> Response:
    """Mail a code to the new address; the change happens when it is typed back."""
    user, form = await _posted(request)
    if user is None:
        return sign_in_redirect(ACCOUNT)
    ctx = context(request)
    new_email = normalise_email(first(form, "new_email"))
    error = None
    if not is_plausible_email(new_email):
        error = Message(EMAIL_INVALID)
    elif new_email == user.email:
        error = Message(N_("This already is your email address."))
    elif await ctx.store.users.by_email(new_email) is not None:
        error = Message(N_("Another Sage ID already uses this email address."))
    if error is not None:
        values = {"new_email": new_email}
        return await _render(
            request, user, errors={"new_email": [error]}, values=values, status=400
        )
    sent = await send_code(ctx, user, "email", request_locale(request), new_email=new_email)
    return _email_code_page(request, new_email, sent=after_send(sent, new_email, first_mail=True))


def _email_code_page(
    request: Request,
    new_email: str,
    *,
    sent: AfterSend | None = None,
    error: Message | None = None,
    status: int = 200,
) -> Response:
    values = {
        "new_email": new_email,
        "error": error or (sent.error if sent else None),
        "notice": sent.notice if sent else None,
    }
    if sent is not None and sent.error is not None:
        status = sent.status
    return context(request).templates.render(request, "account_email.html", values, status=status)


async def email_confirm(request: Request) -> Response:
    """The code binds the new address (`idp.accounts.codes.code_subject`): a code mailed
    to one address cannot confirm another."""
    user, form = await _posted(request)
    if user is None:
        return sign_in_redirect(ACCOUNT)
    ctx = context(request)
    new_email = normalise_email(first(form, "new_email"))
    result = await check_code(
        ctx, user.id, "email", first(form, "code"), client_ip(request), new_email=new_email
    )
    if result.status is not CodeStatus.ACCEPTED:
        status = 429 if result.status is CodeStatus.LOCKED else 400
        return _email_code_page(request, new_email, error=code_feedback(result), status=status)
    try:
        await ctx.store.users.set_email(user.id, new_email)
    except EmailTaken:
        taken = Message(N_("Another Sage ID already uses this email address."))
        return _email_code_page(request, new_email, error=taken, status=409)
    await record_own_action(request, audit.Kind.EMAIL_CHANGED, user.id)
    return _back("email")


async def disconnect_app(request: Request) -> Response:
    user, form = await _posted(request)
    if user is None:
        return sign_in_redirect(ACCOUNT)
    ctx = context(request)
    grant_id = first(form, "grant_id")
    await ctx.store.connected_apps.disconnect(user.id, grant_id, ctx.clock.now())
    detail = {"grant_id": grant_id[:64], "via": "account page"}
    await record_own_action(request, audit.Kind.REVOCATION, user.id, detail)
    return _back("disconnected")


async def signout(request: Request) -> Response:
    await posted_form(request)
    response = RedirectResponse("/account", status_code=303)
    await end_session(request, response)
    return response
