"""The WebAuthn challenge between the options a page fetched and the credential it posts
(issue 17): a short signed cookie naming the purpose, the user (or none, for a passwordless
sign-in) and the challenge, so any worker can check it (DESIGN §6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context

LIFETIME = 180  # the browser's own timeout is 120 s


def cookie_name(secure: bool) -> str:
    return "__Host-sageid_webauthn" if secure else "sageid_webauthn"


@dataclass(frozen=True)
class Ceremony:
    purpose: str  # register | authenticate
    user_id: str  # "" for a passwordless sign-in
    challenge: bytes


def _signature(request: Request, payload: str) -> str:
    key = context(request).keys.derive("webauthn-ceremony")
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def start_ceremony(
    request: Request, response: Response, purpose: str, user_id: str, challenge: bytes
) -> None:
    ctx = context(request)
    encoded = base64.urlsafe_b64encode(challenge).decode().rstrip("=")
    payload = f"{purpose}.{user_id}.{int(ctx.clock.now()) + LIFETIME}.{encoded}"
    response.set_cookie(
        cookie_name(ctx.settings.secure_cookies),
        f"{payload}.{_signature(request, payload)}",
        max_age=LIFETIME,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        path="/",
    )


def ceremony(request: Request, purpose: str) -> Ceremony | None:
    ctx = context(request)
    value = request.cookies.get(cookie_name(ctx.settings.secure_cookies), "")
    payload, _, signature = value.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 4 or not hmac.compare_digest(_signature(request, payload), signature):
        return None
    kind, user_id, expires, encoded = parts
    if kind != purpose or not expires.isdigit() or int(expires) <= ctx.clock.now():
        return None
    challenge = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return Ceremony(kind, user_id, challenge)


def end_ceremony(request: Request, response: Response) -> None:
    ctx = context(request)
    response.delete_cookie(
        cookie_name(ctx.settings.secure_cookies),
        path="/",
        secure=ctx.settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
