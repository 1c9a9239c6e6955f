"""The WebAuthn challenge between the options a page fetched and the credential it posts
(issue 17): a short signed cookie naming the purpose, the user (or none, for a passwordless
sign-in) and the challenge, so any worker can check it (DESIGN §6)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from idp.web.signed_cookie import SignedCookie

LIFETIME = 180  # the browser's own timeout is 120 s
CEREMONY = SignedCookie("sageid_webauthn", "webauthn-ceremony", LIFETIME, samesite="strict")


def cookie_name(secure: bool) -> str:
    return CEREMONY.cookie_name(secure)


@dataclass(frozen=True)
class Ceremony:
    purpose: str  # register | authenticate
    user_id: str  # "" for a passwordless sign-in
    challenge: bytes


def start_ceremony(
    request: Request, response: Response, purpose: str, user_id: str, challenge: bytes
) -> None:
    encoded = base64.urlsafe_b64encode(challenge).decode().rstrip("=")
    CEREMONY.set(request, response, [purpose, user_id, encoded])


def ceremony(request: Request, purpose: str) -> Ceremony | None:
    fields = CEREMONY.fields(request, 3)
    if fields is None or fields[0] != purpose:
        return None
    kind, user_id, encoded = fields
    challenge = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return Ceremony(kind, user_id, challenge)


def end_ceremony(request: Request, response: Response) -> None:
    CEREMONY.clear(request, response)
