"""`/verify`: the emailed code that validates a new Sage ID (seed, étape 2, 4°). Reached after
creating the account, or after the password of an account not yet validated: an unverified
account can't finish a sign-in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.accounts.codes import CodeStatus, SendResult, check_code, has_open_code, send_code
from idp.audit import Kind
from idp.context import context
from idp.pages.activity import record_own_action
from idp.pages.feedback import Message, after_send, code_feedback
from idp.pages.journey import Journey
from idp.pages.second_factor import password_confirmed
from idp.store.records import UserRecord
from idp.web.client_ip import client_ip
from idp.web.forms import first
from idp.web.pending import pending_user, set_pending


def _render(
    request: Request,
    journey: Journey,
    user: UserRecord,
    *,
    sent: SendResult | None = None,
    error: Message | None = None,
    code_error: Message | None = None,
    status: int = 200,
    first_mail: bool = False,
) -> Response:
    shown = after_send(sent, user.email, first_mail=first_mail)
    values = {
        "email": user.email,
        "error": error or shown.error,
        "errors": {"code": [code_error]} if code_error else {},
        "notice": shown.notice,
        "mail_failed": shown.mail_failed,
    }
    status = shown.status if sent is not None else status
    response = journey.render(request, "verify.html", values, status=status)
    # Renewed on every showing: the user may come back for new codes within the hour.
    set_pending(request, response, user.id, "verify")
    return response


async def start_verification(request: Request, journey: Journey, user: UserRecord) -> Response:
    """Mail a code unless one can still be entered, then show the code page to this browser."""
    sent = None
    if not await has_open_code(context(request), user.id, "verify"):
        sent = await send_code(context(request), user, "verify", journey.locale)
    return _render(request, journey, user, sent=sent, first_mail=True)


async def _pending(request: Request) -> UserRecord | None:
    user_id = pending_user(request, "verify")
    user = await context(request).store.users.by_id(user_id) if user_id else None
    return user if user and not user.email_verified else None


async def verify_page(request: Request) -> Response:
    journey = Journey.from_query(request)
    user = await _pending(request)
    if user is None:
        return journey.redirect("/signin")
    return _render(request, journey, user)


async def verify_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    user = await _pending(request)
    if user is None:
        return journey.redirect("/signin")
    ctx = context(request)
    result = await check_code(ctx, user.id, "verify", first(form, "code"), client_ip(request))
    if result.status is not CodeStatus.ACCEPTED:
        status = 429 if result.status is CodeStatus.LOCKED else 400
        return _render(request, journey, user, code_error=code_feedback(result), status=status)
    await ctx.store.users.mark_verified(user.id)
    await record_own_action(request, Kind.EMAIL_VERIFIED, user.id, client_id=journey.client_id)
    return await password_confirmed(request, journey, user)


async def verify_resend(request: Request) -> Response:
    journey, _ = await Journey.from_form(request)
    user = await _pending(request)
    if user is None:
        return journey.redirect("/signin")
    sent = await send_code(context(request), user, "verify", journey.locale)
    return _render(request, journey, user, sent=sent)
