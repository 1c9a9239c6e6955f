"""The Sage ID that gave its password and still owes its second factor (issue 17): a short
signed cookie, like `idp.web.pending`, so no session exists before the second step."""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context

LIFETIME = 10 * 60  # long enough to find the phone; the password is asked again after


def cookie_name(secure: bool) -> str:
    return "__Host-sageid_second_step" if secure else "sageid_second_step"


def _signature(request: Request, payload: str) -> str:
    key = context(request).keys.derive("second-step")
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def set_second_step(request: Request, response: Response, user_id: str) -> None:
    ctx = context(request)
    payload = f"{user_id}.{int(ctx.clock.now()) + LIFETIME}"
    response.set_cookie(
        cookie_name(ctx.settings.secure_cookies),
        f"{payload}.{_signature(request, payload)}",
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )


def second_step_user(request: Request) -> str | None:
    ctx = context(request)
    value = request.cookies.get(cookie_name(ctx.settings.secure_cookies), "")
    payload, _, signature = value.rpartition(".")
    user_id, _, expires = payload.partition(".")
    if not user_id or not hmac.compare_digest(_signature(request, payload), signature):
        return None
    if not expires.isdigit() or int(expires) <= ctx.clock.now():
        return None
    return user_id


def clear_second_step(request: Request, response: Response) -> None:
    ctx = context(request)
    response.delete_cookie(
        cookie_name(ctx.settings.secure_cookies),
        path="/",
        secure=ctx.settings.secure_cookies,
        httponly=True,
    )
