"""Passkeys in the pages (issue 17). Without JavaScript the passkey forms stay hidden; with it,
`/static/passkey.js` fetches the options, calls `navigator.credentials`, puts the answer in the
form's `credential` field and submits the form, so every answer is an ordinary page.

- `/account/security/passkey`: add one (the session becomes multi-factor, as for an app);
- `/signin/passkey`: after the password (the second step), in a signed-in session (a step-up),
  or passwordless from the email page with a discoverable credential, user verified."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import audit
from idp.accounts.passkeys import (
    PasskeyError,
    authentication_options,
    credential_id_of,
    registration_options,
    verify_assertion,
    verify_registration,
)
from idp.accounts.second_factor import new_recovery_codes, notify
from idp.context import context
from idp.domain import second_factor as rules
from idp.i18n import N_
from idp.mail.notices import Notice
from idp.pages.feedback import Message
from idp.pages.journey import Journey
from idp.pages.security import ACCOUNT, NAME_MAX, codes_page
from idp.web.ceremony import ceremony, end_ceremony, start_ceremony
from idp.web.client_ip import client_ip
from idp.web.forms import first, posted_form
from idp.web.navigation import safe_next, sign_in_redirect
from idp.web.second_step import clear_second_step, second_step_user
from idp.web.sessions import current_session, session_id_of, start_session
from idp.web.templating import request_locale

NOT_RECOGNISED = N_("This passkey is not recognised. Use your password, or another passkey.")
NOTICES = {
    "passkey_failed": N_("The passkey could not be added. Try again."),
}


def _json(body: str, status: int = 200) -> Response:
    return Response(
        body, status, media_type="application/json", headers={"Cache-Control": "no-store"}
    )


async def register_options(request: Request) -> Response:
    ctx = context(request)
    await posted_form(request)
    session = await current_session(request)
    if session is None:
        return _json('{"error": "login_required"}', 401)
    existing = (await ctx.store.factors.of_user(session.user.id)).passkeys
    options, challenge = registration_options(ctx.settings, session.user, existing)
    response = _json(options)
    start_ceremony(request, response, "register", session.user.id, challenge)
    return response


async def register(request: Request) -> Response:
    ctx = context(request)
    form = await posted_form(request)
    session = await current_session(request)
    if session is None:
        return sign_in_redirect(ACCOUNT)
    user = session.user
    started = ceremony(request, "register")
    try:
        if started is None or started.user_id != user.id:
            raise PasskeyError("no registration under way")
        passkey = verify_registration(ctx.settings, first(form, "credential"), started.challenge)
    except PasskeyError:
        failed = RedirectResponse(f"{ACCOUNT}?done=passkey_failed", status_code=303)
        end_ceremony(request, failed)
        return failed
    now = ctx.clock.now()
    await ctx.store.factors.add_passkey(
        user.id,
        name=" ".join(first(form, "name").split())[:NAME_MAX] or "Passkey",
        credential_id=passkey.credential_id,
        public_key=passkey.public_key,
        sign_count=passkey.sign_count,
        method=passkey.method,
        now=now,
    )
    if session_id := session_id_of(request):
        methods = [*session.amr.split(), passkey.method, rules.MULTIPLE_FACTORS]
        await ctx.store.sessions.add_methods(session_id, rules.amr_text(methods))
    await audit.record_own(
        ctx.store,
        audit.Kind.SECOND_FACTOR_ADDED,
        user.id,
        at=now,
        ip=client_ip(request),
        detail={"kind": "passkey"},
    )
    await notify(ctx, user, Notice.PASSKEY_ADDED, request_locale(request))
    following = safe_next(first(form, "next") or ACCOUNT)
    if (await ctx.store.factors.of_user(user.id)).recovery_codes_left:
        response: Response = RedirectResponse(following, status_code=303)
    else:
        response = codes_page(request, await new_recovery_codes(ctx, user.id), following)
    end_ceremony(request, response)
    return response


async def _user_to_assert(request: Request) -> str:
    """The user a sign-in ceremony is for: after the password, or signed in; "" for none."""
    if (user_id := second_step_user(request)) is not None:
        return user_id
    session = await current_session(request)
    return session.user.id if session else ""


async def sign_in_options(request: Request) -> Response:
    ctx = context(request)
    form = await posted_form(request)
    user_id = "" if first(form, "mode") == "passwordless" else await _user_to_assert(request)
    allowed = (await ctx.store.factors.of_user(user_id)).passkeys if user_id else None
    options, challenge = authentication_options(ctx.settings, allowed)
    response = _json(options)
    start_ceremony(request, response, "authenticate", user_id, challenge)
    return response


async def sign_in(request: Request) -> Response:
    journey, form = await Journey.from_form(request)
    ctx = context(request)
    started = ceremony(request, "authenticate")
    credential = first(form, "credential")
    found = credential_id_of(credential)
    factor = await ctx.store.factors.passkey(found) if found else None
    passwordless = started is not None and not started.user_id
    page = "/signin" if passwordless or started is None else "/signin/second-factor"
    refused = journey.render(
        request,
        "signin.html" if page == "/signin" else "signin_second_factor.html",
        {"error": Message(NOT_RECOGNISED), "email": "", "method": "otp", "passkeys": True},
        status=400,
    )
    end_ceremony(request, refused)
    if started is None or factor is None:
        return refused
    if started.user_id and factor.user_id != started.user_id:
        return refused
    try:
        # Passwordless, the passkey is both factors: the user must be verified (PIN, biometry).
        assertion = verify_assertion(
            ctx.settings,
            credential,
            started.challenge,
            factor,
            require_user_verification=passwordless,
        )
    except PasskeyError:
        return refused
    now = ctx.clock.now()
    if not await ctx.store.factors.use_passkey(
        factor.id, factor.sign_count, assertion.sign_count, now
    ):
        return refused
    method = factor.method or "hwk"
    if passwordless:
        amr = rules.amr_text([method, "user", rules.MULTIPLE_FACTORS])
    else:
        amr = rules.with_second_factor(method)
    await audit.record(
        ctx.store,
        audit.Kind.SECOND_FACTOR_USED if not passwordless else audit.Kind.SIGN_IN,
        at=now,
        subject=factor.user_id,
        client_id=journey.client_id,
        ip=client_ip(request),
        detail={"method": "passkey"},
    )
    response = RedirectResponse(journey.following, status_code=303)
    session = await current_session(request)
    second_step = second_step_user(request) == factor.user_id
    if (
        not second_step
        and not passwordless
        and session is not None
        and (sid := session_id_of(request))
    ):
        await ctx.store.sessions.add_methods(
            sid, rules.amr_text([*session.amr.split(), *amr.split()])
        )
    else:
        await start_session(request, response, factor.user_id, amr=amr)
    clear_second_step(request, response)
    end_ceremony(request, response)
    return response
