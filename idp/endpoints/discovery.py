"""`/.well-known/*` and `/jwks.json`: bytes computed at start-up, served with an ETag.

The responses, headers included, are built once per document: these endpoints are the hot
path of every relying party's start-up (PERFORMANCE.md, "cache what rarely changes").
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context


async def openid_configuration(request: Request) -> Response:
    return context(request).discovery.respond(request)


async def jwks(request: Request) -> Response:
    return context(request).jwks.respond(request)
