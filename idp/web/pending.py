"""The account a browser is verifying or resetting, between the form that started it (sign-up,
password, forgot password) and the emailed code that finishes it.

A short-lived signed cookie, not a URL parameter: the emailed code alone signs nobody in, it
must be typed in the browser that knew the password or created the account. Stateless, so any
worker can read it (DESIGN §6).
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context
from idp.domain.email_codes import RESEND_WINDOW, Purpose

# As long as the resend rules can still let the user ask for a new code.
PENDING_LIFETIME = int(RESEND_WINDOW)


def cookie_name(secure: bool) -> str:
    return "__Host-sageid_pending" if secure else "sageid_pending"


def _signature(request: Request, payload: str) -> str:
    key = context(request).keys.derive("pending-account")
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def set_pending(request: Request, response: Response, user_id: str, purpose: Purpose) -> None:
    ctx = context(request)
    expires = int(ctx.clock.now()) + PENDING_LIFETIME
    payload = f"{purpose}.{user_id}.{expires}"
    response.set_cookie(
        cookie_name(ctx.settings.secure_cookies),
        f"{payload}.{_signature(request, payload)}",
        max_age=PENDING_LIFETIME,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )


def pending_user(request: Request, purpose: Purpose) -> str | None:
    """The user id this browser is verifying (or resetting), if the cookie is genuine and live."""
    ctx = context(request)
    value = request.cookies.get(cookie_name(ctx.settings.secure_cookies), "")
    payload, _, signature = value.rpartition(".")
    parts = payload.split(".")
    expected = _signature(request, payload).encode()
    if len(parts) != 3 or not hmac.compare_digest(expected, signature.encode()):
        return None
    kind, user_id, expires = parts
    if kind != purpose or not expires.isdigit() or int(expires) <= ctx.clock.now():
        return None
    return user_id


def clear_pending(request: Request, response: Response) -> None:
    ctx = context(request)
    response.delete_cookie(
        cookie_name(ctx.settings.secure_cookies),
        path="/",
        secure=ctx.settings.secure_cookies,
        httponly=True,
    )
