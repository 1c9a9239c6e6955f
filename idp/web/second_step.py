"""The Sage ID that gave its password and still owes its second factor (issue 17): a short
signed cookie, like `idp.web.pending`, so no session exists before the second step."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.web.signed_cookie import SignedCookie

LIFETIME = 10 * 60  # long enough to find the phone; the password is asked again after
SECOND_STEP = SignedCookie("sageid_second_step", "second-step", LIFETIME)


def cookie_name(secure: bool) -> str:
    return SECOND_STEP.cookie_name(secure)


def set_second_step(request: Request, response: Response, user_id: str) -> None:
    SECOND_STEP.set(request, response, [user_id])


def second_step_user(request: Request) -> str | None:
    fields = SECOND_STEP.fields(request, 1)
    return fields[0] if fields and fields[0] else None


def clear_second_step(request: Request, response: Response) -> None:
    SECOND_STEP.clear(request, response)
