"""`/.well-known/*` and `/jwks.json`: bytes computed at start-up, served with an ETag."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context

CACHE = "public, max-age=300"


def _cached(request: Request, body: bytes, etag: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": CACHE, "Access-Control-Allow-Origin": "*"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def openid_configuration(request: Request) -> Response:
    ctx = context(request)
    return _cached(request, ctx.discovery_bytes, ctx.discovery_etag)


async def jwks(request: Request) -> Response:
    keys = context(request).keys
    return _cached(request, keys.jwks_bytes, keys.jwks_etag)
