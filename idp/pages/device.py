"""`/device`: the user types the code shown by a desktop app (RFC 8628 §3.3), signs in
(or creates a Sage ID) through the usual journey, then approves or denies.

`verification_uri_complete` (`/device?user_code=...`) only pre-fills the code: the user still
confirms, so a code sent by someone else can't be approved by a single click (RFC 8628 §5.4).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.referencing import Outcome, ensure_referenced
from idp.accounts.throttling import Limit, reserve, succeeded
from idp.context import AppContext, context
from idp.domain.device import format_user_code, hash_user_code, normalise_user_code
from idp.domain.throttle import DEVICE_USER_CODE_PER_IP, DEVICE_USER_CODE_PER_SESSION
from idp.i18n import N_
from idp.pages.feedback import Message, minutes
from idp.pages.referencing import congratulations_url, reference_url
from idp.pages.second_factor import second_factor_step
from idp.store.devices import DeviceRequest
from idp.store.records import SessionRecord
from idp.web.client_ip import client_ip
from idp.web.forms import first, posted_form
from idp.web.navigation import sign_in_redirect
from idp.web.sessions import current_session
from idp.web.templating import request_locale
from shared.scopes import REFERENCING

INVALID = N_("This code is not valid or has expired. Check the code shown by your application.")


def _limits(request: Request, ctx: AppContext) -> list[Limit]:
    browser = request.cookies.get(ctx.csrf.cookie, "")
    session_key = hashlib.sha256(browser.encode()).hexdigest()[:32]
    return [
        Limit(f"device:ip:{client_ip(request)}", DEVICE_USER_CODE_PER_IP),
        Limit(f"device:session:{session_key}", DEVICE_USER_CODE_PER_SESSION),
    ]


def _entry_form(
    request: Request, user_code: str, error: Message | None = None, status: int = 200
) -> Response:
    return context(request).templates.render(
        request, "device.html", {"user_code": user_code, "error": error}, status=status
    )


async def _find(ctx: AppContext, typed: str) -> tuple[str, DeviceRequest] | None:
    normalised = normalise_user_code(typed)
    if normalised is None:
        return None
    code_hash = hash_user_code(ctx.keys.derive("user-codes"), normalised)
    found = await ctx.store.devices.pending(code_hash, ctx.clock.now())
    return (normalised, found) if found else None


async def _lookup(request: Request, typed: str) -> tuple[str, DeviceRequest] | Response:
    """The pending request behind a typed code, or the page to show instead. Every lookup
    (entry form, confirmation page and decision alike) is throttled and counts its misses, so
    no route is a free oracle for guessing codes."""
    ctx = context(request)
    now = ctx.clock.now()
    limits = _limits(request, ctx)
    reservation = await reserve(ctx.store, limits, now)
    if reservation.refused is not None:
        wait = Message(
            N_("Too many wrong codes. Try again in %(minutes)s minutes."),
            {"minutes": minutes(reservation.retry_after)},
        )
        return _entry_form(request, typed, wait, status=429)
    found = await _find(ctx, typed)
    if found is None:
        return _entry_form(request, typed, Message(INVALID), status=400)
    await succeeded(ctx.store, limits)
    return found


def _to_sign_in(request: Request, user_code: str) -> Response:
    following = "/device/confirm?" + urlencode({"user_code": user_code})
    return sign_in_redirect(following, ui_locales=request_locale(request))


async def _second_factor_step(
    ctx: AppContext, session: SessionRecord, normalised: str, device: DeviceRequest
) -> Response | None:
    """Issue 17: the browser part gives the second factor a client or a customer's
    administrator requires, as at /authorize; the device itself sees nothing new."""
    client = ctx.store.client_cache.get(device.client_id)
    resume = "/device/confirm?" + urlencode({"user_code": format_user_code(normalised)})
    step = await second_factor_step(
        ctx,
        session,
        client_requires=bool(client and client.require_mfa),
        acr_values="",
        resume=resume,
    )
    return RedirectResponse(step, status_code=303) if step else None


async def _referencing_step(
    ctx: AppContext, session: SessionRecord, normalised: str, device: DeviceRequest
) -> Response | None:
    """The same journey as the browser flow: referenced before approving (seed, étape 3);
    automatically and silently for a client that did not ask `referencing` (issue 18)."""
    if REFERENCING not in device.scope.split():
        await ensure_referenced(ctx, session.user)
        return None
    resume = "/device/confirm?" + urlencode({"user_code": format_user_code(normalised)})
    outcome = await ensure_referenced(ctx, session.user)
    if outcome is Outcome.NEEDS_PROOF:
        return RedirectResponse(reference_url(resume), status_code=303)
    if outcome is Outcome.AUTO_REFERENCED:
        return RedirectResponse(congratulations_url(resume), status_code=303)
    return None


async def device_page(request: Request) -> Response:
    return _entry_form(request, request.query_params.get("user_code", "")[:20])


async def device_submit(request: Request) -> Response:
    form = await posted_form(request)
    found = await _lookup(request, first(form, "user_code")[:20])
    if isinstance(found, Response):
        return found
    normalised, _ = found
    query = {"user_code": format_user_code(normalised), "ui_locales": request_locale(request)}
    return RedirectResponse("/device/confirm?" + urlencode(query), status_code=303)


async def confirm_page(request: Request) -> Response:
    ctx = context(request)
    typed = request.query_params.get("user_code", "")[:20]
    found = await _lookup(request, typed)
    if isinstance(found, Response):
        return found
    session = await current_session(request)
    if session is None:
        return _to_sign_in(request, typed)
    normalised, device = found
    if step := await _second_factor_step(ctx, session, normalised, device):
        return step
    if step := await _referencing_step(ctx, session, normalised, device):
        return step
    client = await ctx.store.client_cache.lookup(device.client_id)
    return ctx.templates.render(
        request,
        "device_confirm.html",
        {
            "user_code": format_user_code(normalised),
            "client_name": client.name if client else device.client_id,
            "scopes": [s for s in device.scope.split() if s != "openid"],
            "user": session.user,
        },
    )


async def confirm_submit(request: Request) -> Response:
    ctx = context(request)
    form = await posted_form(request)
    typed = first(form, "user_code")[:20]
    session = await current_session(request)
    if session is None:
        return _to_sign_in(request, typed)
    found = await _lookup(request, typed)
    if isinstance(found, Response):
        return found
    normalised, device = found
    approve = first(form, "decision") == "approve"
    if approve and (step := await _second_factor_step(ctx, session, normalised, device)):
        return step
    if approve and (step := await _referencing_step(ctx, session, normalised, device)):
        return step
    decided = await ctx.store.devices.decide(
        hash_user_code(ctx.keys.derive("user-codes"), normalised),
        user_id=session.user.id,
        auth_time=session.auth_time,
        approve=approve,
        amr=session.amr,
        now=ctx.clock.now(),
    )
    if not decided:
        return _entry_form(request, typed, Message(INVALID), status=400)
    return ctx.templates.render(request, "device_done.html", {"approved": approve})
