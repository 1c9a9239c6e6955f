"""`/signin/second-factor` (issue 17): after the password, a Sage ID with a second factor
gives it before its session exists (the app's code, or a recovery code); a signed-in session
that a client or a customer's administrator requires more of gives it to step up."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.second_factor import FactorStatus, check_second_factor
from idp.context import AppContext, context
from idp.domain.second_factor import ACR_MFA, amr_text, is_multi_factor
from idp.i18n import N_
from idp.pages.feedback import Message, minutes
from idp.pages.journey import Journey
from idp.store.records import SessionRecord, UserRecord
from idp.web.client_ip import client_ip
from idp.web.forms import first
from idp.web.pending import clear_pending
from idp.web.second_step import clear_second_step, second_step_user, set_second_step
from idp.web.sessions import current_session, session_id_of, start_session

PAGE = "/signin/second-factor"
ENROL = "/account/security/app"


def second_factor_url(following: str) -> str:
    return f"{PAGE}?" + urlencode({"next": following})


def enrolment_url(following: str) -> str:
    return f"{ENROL}?" + urlencode({"next": following, "required": "1"})


async def after_password(
    request: Request, journey: Journey, user: UserRecord
) -> RedirectResponse | None:
    """The password was right: a Sage ID with a factor owes it now (no session yet)."""
    if not (await context(request).store.factors.of_user(user.id)).enrolled:
        return None
    response = RedirectResponse(journey.url(PAGE), status_code=303)
    set_second_step(request, response, user.id)
    return response


async def _who(request: Request) -> tuple[UserRecord, bool] | None:
    """The user giving their second factor, and whether they are signed in already."""
    ctx = context(request)
    if (user_id := second_step_user(request)) is not None:
        user = await ctx.store.users.by_id(user_id)
        return (user, False) if user is not None else None
    session = await current_session(request)
    return (session.user, True) if session is not None else None


def _form(
    request: Request,
    journey: Journey,
    method: str,
    error: Message | None = None,
    status: int = 200,
    *,
    passkeys: bool = False,
    app: bool = True,
) -> Response:
    values = {"method": method, "error": error, "passkeys": passkeys, "app": app}
    return journey.render(request, "signin_second_factor.html", values, status=status)


def _method(value: str | None) -> str:
    return "recovery" if value == "recovery" else "otp"


async def second_factor_page(request: Request) -> Response:
    """Passkey first when the user has one, then the app's code, then a recovery code."""
    journey = Journey.from_query(request)
    who = await _who(request)
    if who is None:
        return journey.redirect("/signin")
    summary = await context(request).store.factors.of_user(who[0].id)
    asked = request.query_params.get("method")
    method = _method(asked if asked or summary.totp else "recovery")
    return _form(
        request, journey, method, passkeys=bool(summary.passkeys), app=summary.totp is not None
    )


async def second_factor_submit(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    ctx = context(request)
    method = _method(first(form, "method"))
    who = await _who(request)
    if who is None:
        return journey.redirect("/signin")
    user, signed_in = who
    result = await check_second_factor(
        ctx,
        user,
        first(form, "code"),
        client_ip(request),
        method=method,
        client_id=journey.client_id,
    )
    if result.status is FactorStatus.LOCKED:
        error = Message(
            N_("Too many wrong codes: try again in %(minutes)s min."),
            {"minutes": minutes(result.retry_after)},
        )
        return _form(request, journey, method, error, status=429)
    if result.status is not FactorStatus.ACCEPTED:
        error = Message(
            N_("This recovery code is not valid or was already used.")
            if method == "recovery"
            else N_("This code is not valid. Enter the code your app shows now.")
        )
        return _form(request, journey, method, error, status=400)
    response = RedirectResponse(journey.following, status_code=303)
    if signed_in and (session_id := session_id_of(request)):
        session = await current_session(request)
        methods = (session.amr if session else "").split() + result.amr.split()
        await ctx.store.sessions.add_methods(session_id, amr_text(methods))
    else:
        await start_session(request, response, user.id, amr=result.amr)
    clear_second_step(request, response)
    return response


async def required_enrolment(ctx: AppContext, user_id: str, following: str) -> str:
    """Where a Sage ID without a factor goes after its password: to enrolment first when an
    administrator of one of its customer accounts requires a second factor."""
    if await ctx.store.factors.required_by_customer(user_id):
        return enrolment_url(following)
    return following


async def password_confirmed(request: Request, journey: Journey, user: UserRecord) -> Response:
    """The password was right (sign-in, first verification, reset): the second factor the
    Sage ID has (issue 17), else a session, by way of the enrolment a customer's administrator
    requires (`required_enrolment`). The pending-account cookie ends either way."""
    if (second_step := await after_password(request, journey, user)) is not None:
        clear_pending(request, second_step)
        return second_step
    target = await required_enrolment(context(request), user.id, journey.following)
    response = RedirectResponse(target, status_code=303)
    await start_session(request, response, user.id)
    clear_pending(request, response)
    return response


async def second_factor_step(
    ctx: AppContext, session: SessionRecord, *, client_requires: bool, acr_values: str, resume: str
) -> str | None:
    """Where a signed-in browser must go before a client gets its code (or a device its
    approval), if a second factor is required of this sign-in and not given: the client
    registered `--require-mfa`, the request's `acr_values` name the MFA level, or a customer
    account of the user requires it. None when nothing more is owed."""
    if is_multi_factor(session.amr):
        return None
    required = client_requires or ACR_MFA in acr_values.split()
    if not required and not await ctx.store.factors.required_by_customer(session.user.id):
        return None
    if (await ctx.store.factors.of_user(session.user.id)).enrolled:
        return second_factor_url(resume)
    return enrolment_url(resume)
