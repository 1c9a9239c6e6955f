"""Short-lived signed cookies: dot-separated fields, an expiry, and their HMAC under a key of
their own, so any worker can read them without a store (DESIGN §6). Used for the account being
verified (`idp.web.pending`), the second factor still owed (`idp.web.second_step`) and the
WebAuthn challenge (`idp.web.ceremony`). Signatures are compared as bytes: a forged value
with non-ASCII characters is refused, never an exception."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context


@dataclass(frozen=True)
class SignedCookie:
    name: str  # `__Host-` is added on https
    key_purpose: str  # `KeyRing.derive` purpose of its HMAC key
    lifetime: int  # seconds
    samesite: Literal["lax", "strict"] = "lax"

    def cookie_name(self, secure: bool) -> str:
        return f"__Host-{self.name}" if secure else self.name

    def _signature(self, request: Request, payload: str) -> bytes:
        key = context(request).keys.derive(self.key_purpose)
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest().encode()

    def set(self, request: Request, response: Response, fields: Sequence[str]) -> None:
        ctx = context(request)
        payload = ".".join([*fields, str(int(ctx.clock.now()) + self.lifetime)])
        response.set_cookie(
            self.cookie_name(ctx.settings.secure_cookies),
            f"{payload}.{self._signature(request, payload).decode()}",
            max_age=self.lifetime,
            httponly=True,
            samesite=self.samesite,
            secure=ctx.settings.secure_cookies,
            path="/",
        )

    def fields(self, request: Request, count: int) -> list[str] | None:
        """The `count` fields set, if the cookie is genuine and live; else None."""
        ctx = context(request)
        value = request.cookies.get(self.cookie_name(ctx.settings.secure_cookies), "")
        payload, _, signature = value.rpartition(".")
        expected = self._signature(request, payload)
        if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
            return None
        *fields, expires = payload.split(".")
        if len(fields) != count or not expires.isdigit() or int(expires) <= ctx.clock.now():
            return None
        return fields

    def clear(self, request: Request, response: Response) -> None:
        ctx = context(request)
        response.delete_cookie(
            self.cookie_name(ctx.settings.secure_cookies),
            path="/",
            secure=ctx.settings.secure_cookies,
            httponly=True,
            samesite=self.samesite,
        )
