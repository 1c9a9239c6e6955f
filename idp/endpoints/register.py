"""`POST /register` (RFC 7591) and `GET/PUT/DELETE /register/{client_id}` (RFC 7592):
the JSON body read on the event loop, Authlib's endpoints in the bridge, each change audited."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from idp.audit import Kind, record
from idp.context import context
from idp.oauth.errors import ProtocolError
from idp.oauth.registration import RegistrationRequest
from idp.web.oauth_response import oauth_response

MAX_BODY = 64 * 1024
AUDITED = {
    ("POST", 201): Kind.CLIENT_REGISTERED,
    ("PUT", 200): Kind.CLIENT_REGISTRATION_UPDATED,
    ("DELETE", 204): Kind.CLIENT_REGISTRATION_DELETED,
}


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def _respond(request: Request, endpoint: str, client_id: str | None) -> Response:
    ctx = context(request)
    data: object = {}
    if request.method in ("POST", "PUT"):
        body = await request.body()
        try:
            data = json.loads(body) if len(body) <= MAX_BODY else None
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            raise ProtocolError("invalid_client_metadata", "The body must be a JSON object.")
    assert isinstance(data, dict)
    registration = RegistrationRequest(request.method, data, _bearer(request), client_id)
    result = await ctx.bridge.run_authlib(
        ctx.server.create_endpoint_response, endpoint, registration
    )
    kind = AUDITED.get((request.method, result.status))
    if kind is not None and registration.audited_client_id is not None:
        await record(
            ctx.store,
            kind,
            at=ctx.clock.now(),
            actor="registration",
            client_id=registration.audited_client_id,
            ip=request.client.host if request.client else None,
        )
    return oauth_response(result)


async def register(request: Request) -> Response:
    return await _respond(request, "client_registration", None)


async def client_configuration(request: Request) -> Response:
    return await _respond(request, "client_configuration", request.path_params["client_id"])
