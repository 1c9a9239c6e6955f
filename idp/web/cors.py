"""CORS for the endpoints a browser application calls (token, userinfo, revocation, device
authorization): preflights answered, and `Access-Control-Allow-Origin` set, for the origins
clients registered (`clients add --web-origin`) only. Discovery and JWKS answer `*` from the
prebuilt documents. A pure ASGI middleware: a request without `Origin` (every desktop and
server client) costs one path lookup and one header scan."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Path -> methods a browser may use there.
CORS_PATHS = {
    "/token": "POST",
    "/userinfo": "GET, POST",
    "/revoke": "POST",
    "/device_authorization": "POST",
}
ALLOW_HEADERS = b"Authorization, Content-Type, DPoP"
EXPOSE_HEADERS = b"WWW-Authenticate, DPoP-Nonce"
MAX_AGE = b"600"


class Cors:
    def __init__(self, app: ASGIApp, origins: Callable[[], frozenset[str]]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The hot paths come through here: no call, no allocation unless `Origin` is present.
        if scope["type"] == "http" and (methods := CORS_PATHS.get(scope["path"])):
            for name, value in scope["headers"]:
                if name == b"origin":
                    await self._cors(scope, receive, send, bytes(value), methods)
                    return
        await self.app(scope, receive, send)

    async def _cors(
        self, scope: Scope, receive: Receive, send: Send, origin: bytes, methods: str
    ) -> None:
        allowed = origin.decode("latin-1") in self.origins()
        if scope["method"] == "OPTIONS":
            await self._preflight(send, origin if allowed else None, methods)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"access-control-allow-origin", origin),
                    (b"access-control-expose-headers", EXPOSE_HEADERS),
                    (b"vary", b"Origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, origin: bytes | None, methods: str) -> None:
        """204 with the allowed methods and headers for a registered origin; 403 otherwise
        (Fetch §3.2.3: the browser then refuses the request)."""
        headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
        if origin is not None:
            headers += [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-methods", methods.encode()),
                (b"access-control-allow-headers", ALLOW_HEADERS),
                (b"access-control-max-age", MAX_AGE),
            ]
        status = 204 if origin is not None else 403
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
