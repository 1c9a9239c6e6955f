"""Requests for a host other than the issuer's (and `SAGEID_ALLOWED_HOSTS`) are refused
(DESIGN §3: a URL built from a forged `Host` becomes an open redirect behind a permissive
proxy).

`HostRule` is the one rule, Starlette's `TrustedHostMiddleware`'s (its Host parsing, exact
names and `*.domain` patterns): `TrustedHosts` refuses with it, and `idp.web.prebuilt` serves
its documents only to a Host it allows. Only the refusal changes from Starlette's: a plain-text
400 would be the one answer of the provider outside its error formats, so the refusal is
rendered by `idp.web.errors` like any other (RFC 6749 JSON at the protocol endpoints, a
problem at the API, the error page elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette._utils import parse_host_header  # what TrustedHostMiddleware itself uses
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from idp.web.errors import host_refused


class HostRule:
    """Whether a request's raw `Host` value names this server.

    Clients send the same few values on every request (`id.example`, `127.0.0.1:8000`): an
    allowed value is remembered as raw bytes, so the common case is one set look-up instead of
    Starlette's parsing and pattern loop (bench/README.md). A refused value is never
    remembered, and the set is bounded: allowed values are unbounded too (ports, letter case,
    wildcard subdomains), so once full it starts again empty.
    """

    MEMO_SIZE = 64

    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        self.patterns = [pattern.lower() for pattern in allowed_hosts]
        self.allow_any = "*" in self.patterns
        self._allowed: set[bytes] = set()

    def allows(self, raw: bytes | None) -> bool:
        if self.allow_any or raw in self._allowed:
            return True
        if raw is None or not self._matches(raw.decode("latin-1")):
            return False
        if len(self._allowed) >= self.MEMO_SIZE:
            self._allowed.clear()
        self._allowed.add(raw)
        return True

    def _matches(self, value: str) -> bool:
        parsed = parse_host_header(value)
        if parsed is None:
            return False
        host = parsed.host.lower()
        return any(
            host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:]))
            for pattern in self.patterns
        )


class TrustedHosts(TrustedHostMiddleware):
    """Starlette's middleware (its checks of the patterns), refusing in our error formats."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        super().__init__(app, allowed_hosts)
        self.rule = HostRule(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rule.allows(first_header(scope["headers"], b"host")):
            await self.app(scope, receive, send)
            return
        response = host_refused(Request(scope, receive))
        await response(scope, receive, send)


def first_header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of a header, as Starlette's `Headers.get` reads it."""
    for key, value in headers:
        if key == name:
            return value
    return None
