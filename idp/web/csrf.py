"""CSRF protection for every form: a signed double-submit token (OWASP).

A random value lives in an HttpOnly cookie; forms carry HMAC(server key, that value). A
cross-site page can neither read the cookie nor compute the HMAC. It needs no storage, so it
works before sign-in (the sign-in form itself is protected).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

FIELD = "csrf_token"


class CsrfError(Exception):
    pass


class Csrf:
    def __init__(self, key: bytes, secure: bool) -> None:
        self._key = key
        self.secure = secure
        self.cookie = "__Host-sageid_csrf" if secure else "sageid_csrf"

    def _sign(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def token(self, request: Request) -> str:
        value = request.cookies.get(self.cookie) or getattr(request.state, "new_csrf", None)
        if not value:
            value = secrets.token_urlsafe(32)
            request.state.new_csrf = value
        return self._sign(value)

    def verify(self, request: Request, submitted: str | None) -> None:
        value = request.cookies.get(self.cookie)
        # As bytes: `compare_digest` refuses str with non-ASCII characters (a 500 for a forged
        # form, found by tests/hardening/test_fuzz_routes.py).
        expected = self._sign(value).encode() if value else b""
        if not submitted or not hmac.compare_digest(expected, submitted.encode()) or not value:
            raise CsrfError()

    def set_cookie(self, request: Request, response: Response) -> None:
        value = getattr(request.state, "new_csrf", None)
        if value:
            response.set_cookie(
                self.cookie, value, httponly=True, samesite="lax", secure=self.secure, path="/"
            )
