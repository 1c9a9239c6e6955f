"""Responses computed once: status, body and raw headers (PERFORMANCE.md: cache what rarely
changes, and serve it as ready-made bytes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

CACHE = b"public, max-age=300"


class PrebuiltResponse(Response):
    """A response whose status, body and raw headers were computed ahead of time."""

    def __init__(self, status_code: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]):
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


class CachedDocument:
    def __init__(self, body: bytes, etag: str) -> None:
        common = [
            (b"etag", etag.encode()),
            (b"cache-control", CACHE),
            (b"access-control-allow-origin", b"*"),
        ]
        self.etag = etag
        self.ok = PrebuiltResponse(
            200,
            body,
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *common,
            ],
        )
        self.not_modified = PrebuiltResponse(304, b"", common)

    def respond(self, request: Request) -> Response:
        if request.headers.get("if-none-match") == self.etag:
            return self.not_modified
        return self.ok
