"""Responses computed once: status, body and raw headers (PERFORMANCE.md: cache what rarely
changes, and serve it as ready-made bytes).

`PrebuiltDocuments` answers GET and HEAD on the documents' paths before the rest of the
application sees the request: no `Request`, no router, no exception middleware. Everything it
does not answer for certain goes to the application unchanged, so other methods still get the
router's 405, unknown paths its 404, `/jwks.json/` its slash redirect, a request under a
`root_path` the router's own path matching.

It is the first user middleware, so `idp.web.observe` still wraps it: a failure here is
logged and rendered like any other (one place for unexpected errors), and these requests are
counted in the metrics like the rest.

Trusted hosts still apply. The documents do not depend on the Host header, so serving them to
any Host would leak nothing and forge nothing. But the rule "this server answers only on its
own names" is one operators and the tests rely on (a misrouted proxy or a DNS-rebinding page
gets 400 on every path, not on all but three). The documents are served only to a Host that
`idp.web.hosts.HostRule` allows (one set look-up for a Host seen before); anything else falls
through to `idp.web.hosts.TrustedHosts`, which stays the one place that refuses a host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from idp.web.hosts import HostRule, first_header

CACHE = b"public, max-age=300"
Headers = list[tuple[bytes, bytes]]


class CachedDocument:
    """A JSON document and its ETag, served as an ASGI app: 200, or 304 on a matching
    `If-None-Match`; HEAD gets the same headers without the body."""

    def __init__(self, body: bytes, etag: str) -> None:
        self.replace(body, etag)

    def replace(self, body: bytes, etag: str) -> None:
        """A new version of the document (the JWKS after a key rollover); called on the event
        loop, where responses are sent."""
        common = [
            (b"etag", etag.encode()),
            (b"cache-control", CACHE),
            (b"access-control-allow-origin", b"*"),
        ]
        self.etag = etag
        self.body = body
        self.etag_bytes = etag.encode()
        self.ok_headers: Headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *common,
        ]
        self.not_modified_headers: Headers = common

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        if first_header(scope["headers"], b"if-none-match") == self.etag_bytes:
            await send(
                {"type": "http.response.start", "status": 304, "headers": self.not_modified_headers}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": self.ok_headers})
        body = b"" if scope["method"] == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body})


class PrebuiltDocuments:
    """ASGI middleware: GET and HEAD on `documents`' paths, from a trusted host, answered
    without the application."""

    def __init__(
        self, app: ASGIApp, documents: Mapping[str, CachedDocument], allowed_hosts: Sequence[str]
    ) -> None:
        self.app = app
        self.documents = dict(documents)
        self.hosts = HostRule(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope.get("root_path")
            and (document := self.documents.get(scope["path"])) is not None
            and self.hosts.allows(first_header(scope["headers"], b"host"))
        ):
            await document(scope, receive, send)
            return
        await self.app(scope, receive, send)
