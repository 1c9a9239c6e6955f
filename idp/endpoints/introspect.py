"""`POST /introspect` (RFC 7662): Authlib's introspection endpoint, in the bridge."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.endpoints.revoke import token_endpoint_response


async def introspect(request: Request) -> Response:
    return await token_endpoint_response(request, "introspection", "/introspect")
