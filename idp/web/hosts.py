"""Requests for a host other than the issuer's (and `SAGEID_ALLOWED_HOSTS`) are refused
(DESIGN §3: a URL built from a forged `Host` becomes an open redirect behind a permissive
proxy).

Starlette's `TrustedHostMiddleware` decides, as before; only its refusal changes: a plain-text
400 would be the one answer of the provider outside its error formats, so the refusal is
rendered by `idp.web.errors` like any other (RFC 6749 JSON at the protocol endpoints, a
problem at the API, the error page elsewhere).
"""

from __future__ import annotations

from starlette._utils import parse_host_header  # what TrustedHostMiddleware itself uses
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from idp.web.errors import host_refused


class TrustedHosts(TrustedHostMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] != "http" or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        response = host_refused(Request(scope, receive))
        await response(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        parsed = parse_host_header(Headers(scope=scope).get("host"))
        if parsed is None:
            return False
        host = parsed.host.lower()
        return any(
            host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts
        )
