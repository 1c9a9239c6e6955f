"""The account a browser is verifying or resetting, between the form that started it (sign-up,
password, forgot password) and the emailed code that finishes it.

A short-lived signed cookie, not a URL parameter: the emailed code alone signs nobody in, it
must be typed in the browser that knew the password or created the account. Stateless, so any
worker can read it (DESIGN §6).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.domain.email_codes import RESEND_WINDOW, Purpose
from idp.web.signed_cookie import SignedCookie

# As long as the resend rules can still let the user ask for a new code.
PENDING_LIFETIME = int(RESEND_WINDOW)
PENDING = SignedCookie("sageid_pending", "pending-account", PENDING_LIFETIME)


def cookie_name(secure: bool) -> str:
    return PENDING.cookie_name(secure)


def set_pending(request: Request, response: Response, user_id: str, purpose: Purpose) -> None:
    PENDING.set(request, response, [purpose, user_id])


def pending_user(request: Request, purpose: Purpose) -> str | None:
    """The user id this browser is verifying (or resetting), if the cookie is genuine and live."""
    fields = PENDING.fields(request, 2)
    if fields is None or fields[0] != purpose:
        return None
    return fields[1]


def clear_pending(request: Request, response: Response) -> None:
    PENDING.clear(request, response)
