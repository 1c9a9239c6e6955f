"""Forgot password: `/password/forgot` (email) → a code by email → `/password/reset` (code and
new password, same policy as sign-up) → every grant revoked, every other session ended, and
this browser signed in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.accounts.codes import CodeStatus, SendResult, check_code, send_code
from idp.accounts.password_reset import set_new_password
from idp.context import context
from idp.domain.email_address import is_plausible_email, normalise_email
from idp.i18n import N_
from idp.pages.feedback import Message, after_send, code_feedback
from idp.pages.journey import Journey
from idp.pages.second_factor import password_confirmed
from idp.pages.signup import Errors, password_errors
from idp.store.records import UserRecord
from idp.web.client_ip import client_ip
from idp.web.forms import first
from idp.web.pending import pending_user, set_pending


def _forgot_form(
    request: Request,
    journey: Journey,
    email: str,
    error: Message | None = None,
    *,
    unknown: bool = False,
) -> Response:
    values = {"email": email, "error": error, "unknown": unknown}
    return journey.render(request, "password_forgot.html", values, status=400 if error else 200)


def _reset_form(
    request: Request,
    journey: Journey,
    user: UserRecord,
    *,
    sent: SendResult | None = None,
    first_mail: bool = False,
    code: str = "",
    error: Message | None = None,
    errors: Errors | None = None,
    status: int = 200,
) -> Response:
    shown = after_send(sent, user.email, first_mail=first_mail)
    values = {
        "email": user.email,
        "code": code,
        "error": error or shown.error,
        "notice": shown.notice,
        "errors": errors or {},
        "mail_failed": shown.mail_failed,
    }
    status = shown.status if sent is not None else status
    response = journey.render(request, "password_reset.html", values, status=status)
    set_pending(request, response, user.id, "reset")  # renewed on every showing
    return response


async def _pending(request: Request) -> UserRecord | None:
    user_id = pending_user(request, "reset")
    return await context(request).store.users.by_id(user_id) if user_id else None


async def forgot_page(request: Request) -> Response:
    journey = Journey.from_query(request)
    return _forgot_form(request, journey, request.query_params.get("login_hint", ""))


async def forgot_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    email = normalise_email(first(form, "email"))
    if not is_plausible_email(email):
        error = Message(N_("Enter a valid email address, for example name@example.com."))
        return _forgot_form(request, journey, email, error)
    ctx = context(request)
    user = await ctx.store.users.by_email(email)
    if user is None:  # the email-first step tells as much already
        error = Message(N_("No Sage ID uses this email address."))
        return _forgot_form(request, journey, email, error, unknown=True)
    sent = await send_code(ctx, user, "reset", journey.locale)
    return _reset_form(request, journey, user, sent=sent, first_mail=True)


async def reset_page(request: Request) -> Response:
    journey = Journey.from_query(request)
    user = await _pending(request)
    if user is None:
        return journey.redirect("/password/forgot")
    return _reset_form(request, journey, user)


async def reset_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    user = await _pending(request)
    if user is None:
        return journey.redirect("/password/forgot")
    code, password = first(form, "code"), first(form, "password")
    # The policy first: a refused password must not spend one of the code's attempts.
    if errors := password_errors(password, first(form, "confirmation"), user.email):
        return _reset_form(request, journey, user, code=code, errors=errors, status=400)
    ctx = context(request)
    result = await check_code(ctx, user.id, "reset", code, client_ip(request))
    if result.status is not CodeStatus.ACCEPTED:
        status = 429 if result.status is CodeStatus.LOCKED else 400
        wrong = {"code": [code_feedback(result)]}  # under the field it is about
        return _reset_form(request, journey, user, errors=wrong, status=status)
    await set_new_password(ctx, user.id, password, ip=client_ip(request))
    return await password_confirmed(request, journey, user)


async def reset_resend(request: Request) -> Response:
    journey, _ = await Journey.from_form(request)
    user = await _pending(request)
    if user is None:
        return journey.redirect("/password/forgot")
    sent = await send_code(context(request), user, "reset", journey.locale)
    return _reset_form(request, journey, user, sent=sent)
