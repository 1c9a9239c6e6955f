"""`POST /device_authorization` (RFC 8628 §3.1): Authlib's endpoint, in the bridge."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.endpoints.revoke import token_endpoint_response


async def device_authorization(request: Request) -> Response:
    return await token_endpoint_response(request, "device_authorization", "/device_authorization")
