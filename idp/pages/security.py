"""The *Sécurité* section of `/account` (issue 17): add an authenticator app (a QR code and
the secret as text, confirmed by a first code), remove it, get ten recovery codes (shown
once) and regenerate them. Removing a factor or regenerating codes asks for a recent sign-in;
every change is audited and mailed to the user."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import audit
from idp.accounts.second_factor import (
    enrolment_secret,
    enrolment_token,
    new_recovery_codes,
    notify,
    seal_secret,
)
from idp.accounts.throttling import Limit, reserve
from idp.context import context
from idp.domain import second_factor as rules
from idp.domain.throttle import SECOND_FACTOR_PER_ACCOUNT
from idp.i18n import N_
from idp.mail.notices import Notice
from idp.pages.activity import record_own_action
from idp.pages.feedback import Message, minutes
from idp.store.records import SessionRecord
from idp.web.forms import Form, first, posted_form
from idp.web.navigation import safe_next, sign_in_redirect
from idp.web.sessions import current_session, session_id_of
from idp.web.templating import request_locale

ACCOUNT = "/account"
NAME_MAX = 100
# Account page notices (`?done=`), next to `idp.pages.account.NOTICES`.
NOTICES = {
    "app_removed": N_("The authenticator app was removed."),
    "passkey_removed": N_("The passkey was removed."),
    "passkey_failed": N_("The passkey could not be added. Try again."),
}


async def _posted(request: Request) -> tuple[SessionRecord | None, Form]:
    form = await posted_form(request)
    return await current_session(request), form


RecentSignInHandler = Callable[[Request, SessionRecord, Form], Awaitable[Response]]


def recent_sign_in_form(handler: RecentSignInHandler) -> Callable[[Request], Awaitable[Response]]:
    """A change that asks for a recent sign-in (remove a factor, new recovery codes): CSRF
    checked, then signed in, and again (as the same user) if the sign-in is too old."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        session, form = await _posted(request)
        if session is None:
            return sign_in_redirect(ACCOUNT)
        if context(request).clock.now() - session.auth_time > rules.RECENT_SIGN_IN:
            return sign_in_redirect(ACCOUNT, login_hint=session.user.email)
        return await handler(request, session, form)

    return endpoint


def _app_form(
    request: Request,
    session: SessionRecord,
    secret: str,
    following: str,
    *,
    required: bool,
    name: str = "",
    error: Message | None = None,
    status: int = 200,
) -> Response:
    ctx = context(request)
    host = ctx.settings.issuer.split("//", 1)[-1].split("/", 1)[0]
    uri = rules.provisioning_uri(secret, session.user.email, f"Sage ID ({host})")
    qr = segno.make(uri, error="m").svg_inline(scale=4, title="QR code", border=2)
    values: dict[str, Any] = {
        "qr_svg": Markup(qr),  # noqa: S704 - segno's own SVG markup, no user text
        "secret_text": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "token": enrolment_token(ctx, session.user.id, secret),
        "next": following,
        "required": required,
        "name": name,
        "error": error,
    }
    return ctx.templates.render(request, "account_app.html", values, status=status)


async def app_page(request: Request) -> Response:
    """Start enrolment: a new secret, sealed in the form until the first code confirms it."""
    session = await current_session(request)
    following = safe_next(request.query_params.get("next") or ACCOUNT)
    if session is None:
        return sign_in_redirect(f"{ACCOUNT}/security/app?" + urlencode({"next": following}))
    required = request.query_params.get("required") == "1"
    return _app_form(request, session, rules.new_totp_secret(), following, required=required)


async def app_submit(request: Request) -> Response:
    session, form = await _posted(request)
    if session is None:
        return sign_in_redirect(ACCOUNT)
    ctx = context(request)
    user = session.user
    following = safe_next(first(form, "next") or ACCOUNT)
    required = first(form, "required") == "1"
    name = " ".join(first(form, "name").split())[:NAME_MAX] or "Authenticator"
    secret = enrolment_secret(ctx, user.id, first(form, "token"))
    if secret is None:  # too old or tampered with: start again with a new secret
        expired = Message(N_("This page expired. Scan the new QR code and enter its code."))
        secret = rules.new_totp_secret()
        return _app_form(request, session, secret, following, required=required, error=expired)
    now = ctx.clock.now()
    # Enrolment codes are guesses too: the account's second-factor budget counts them.
    limit = Limit(f"second-factor:user:{user.id}", SECOND_FACTOR_PER_ACCOUNT)

    def again(error: Message, status: int) -> Response:
        return _app_form(
            request,
            session,
            secret,
            following,
            required=required,
            name=name,
            error=error,
            status=status,
        )

    reservation = await reserve(ctx.store, [limit], now)
    if reservation.refused is not None:
        wait = {"minutes": minutes(reservation.retry_after)}
        locked = Message(N_("Too many wrong codes: try again in %(minutes)s min."), wait)
        return again(locked, 429)
    step = rules.matching_step(secret, first(form, "code"), now, 0)
    if step is None:
        wrong = Message(N_("This code is not valid. Enter the code your app shows now."))
        return again(wrong, 400)
    await ctx.store.throttle.clear(limit.key)
    await ctx.store.factors.add_totp(
        user.id, name=name, sealed_secret=seal_secret(ctx, user.id, secret), step=step, now=now
    )
    # Confirming a code is a second factor given now: this session is multi-factor.
    if session_id := session_id_of(request):
        methods = [*session.amr.split(), rules.ONE_TIME_PASSWORD, rules.MULTIPLE_FACTORS]
        await ctx.store.sessions.add_methods(session_id, rules.amr_text(methods))
    await record_own_action(request, audit.Kind.SECOND_FACTOR_ADDED, user.id, {"kind": "totp"})
    await notify(ctx, user, Notice.APP_ADDED, request_locale(request))
    if (await ctx.store.factors.of_user(user.id)).recovery_codes_left:
        return RedirectResponse(following, status_code=303)
    codes = await new_recovery_codes(ctx, user.id)
    await record_own_action(request, audit.Kind.RECOVERY_CODES_GENERATED, user.id)
    return codes_page(request, codes, following)


def codes_page(request: Request, codes: list[str], following: str) -> Response:
    values = {"codes": codes, "next": following}
    response = context(request).templates.render(request, "account_recovery_codes.html", values)
    response.headers["Cache-Control"] = "no-store"
    return response


@recent_sign_in_form
async def app_remove(request: Request, session: SessionRecord, form: Form) -> Response:
    ctx = context(request)
    factor_id = first(form, "factor_id")[:36]
    summary = await ctx.store.factors.of_user(session.user.id)
    factor = next((f for f in summary.factors if f.id == factor_id), None)
    if factor is None or not await ctx.store.factors.remove(session.user.id, factor_id):
        return RedirectResponse(ACCOUNT, status_code=303)
    kind = {"kind": factor.kind}
    await record_own_action(request, audit.Kind.SECOND_FACTOR_REMOVED, session.user.id, kind)
    notice = Notice.PASSKEY_REMOVED if factor.kind == "passkey" else Notice.APP_REMOVED
    await notify(ctx, session.user, notice, request_locale(request))
    done = "passkey_removed" if factor.kind == "passkey" else "app_removed"
    return RedirectResponse(f"{ACCOUNT}?done={done}", status_code=303)


@recent_sign_in_form
async def recovery_regenerate(request: Request, session: SessionRecord, _: Form) -> Response:
    ctx = context(request)
    if not (await ctx.store.factors.of_user(session.user.id)).enrolled:
        return RedirectResponse(ACCOUNT, status_code=303)
    codes = await new_recovery_codes(ctx, session.user.id)
    await record_own_action(request, audit.Kind.RECOVERY_CODES_GENERATED, session.user.id)
    await notify(ctx, session.user, Notice.RECOVERY_CODES, request_locale(request))
    return codes_page(request, codes, ACCOUNT)
