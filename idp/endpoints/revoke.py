"""`POST /revoke` (RFC 7009): Authlib's revocation endpoint, in the bridge."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context
from idp.endpoints.token import refuse_malformed_client_request
from idp.oauth.requests import ParsedOAuth2Request
from idp.oauth.server import OAuthResult
from idp.web.forms import read_form
from idp.web.oauth_response import oauth_response
from idp.web.observe import note_client


async def token_endpoint_response(request: Request, endpoint: str, path: str) -> Response:
    """The shared shape of `/revoke` and `/introspect`: a strict form read on the event loop,
    then the Authlib endpoint (RFC 6749 §2.3 client authentication) through the bridge."""
    ctx = context(request)
    items = await read_form(request)
    refuse_malformed_client_request(request, items)

    attempts: list[ParsedOAuth2Request] = []  # the request Authlib saw (its client)

    def respond() -> OAuthResult:
        oauth_request = ParsedOAuth2Request(
            "POST", ctx.settings.url(path), request.headers, form=items
        )
        attempts.append(oauth_request)
        return ctx.server.create_endpoint_response(endpoint, oauth_request)  # type: ignore[no-any-return]

    try:
        result = await ctx.bridge.run_authlib(respond)
    finally:  # an error too (raised for the error handler)
        client = attempts[-1].client if attempts else None
        note_client(request, client and client.client_id)
    return oauth_response(result)


async def revoke(request: Request) -> Response:
    return await token_endpoint_response(request, "revocation", "/revoke")
