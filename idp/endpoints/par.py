"""`POST /par` (RFC 9126): a client pushes its authorization request, authenticated like at
the token endpoint (public clients name themselves), and gets a single-use `request_uri`."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.context import context
from idp.endpoints.token import malformed_client_request
from idp.oauth.pushed_requests import new_request_uri, validate_pushed_request
from idp.oauth.requests import ParsedOAuth2Request
from idp.oauth.server import OAuthResult
from idp.store.records import ClientRecord
from idp.web.errors import JSON_HEADERS
from idp.web.forms import read_form


async def pushed_authorization_request(request: Request) -> Response:
    ctx = context(request)
    items = await read_form(request)
    if (refused := malformed_client_request(request, items)) is not None:
        return refused

    def validate() -> tuple[ClientRecord, list[tuple[str, str]]] | OAuthResult:
        oauth_request = ParsedOAuth2Request(
            "POST", ctx.settings.url("/par"), request.headers, form=items
        )
        try:
            return validate_pushed_request(ctx.server, oauth_request, items)
        except OAuth2Error as error:
            # An error body, never a redirect: the client is on the back channel (§2.3).
            error.redirect_uri = None
            error.state = None
            return ctx.server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]

    validated = await ctx.bridge.run_authlib(validate)
    if isinstance(validated, OAuthResult):
        return validated.to_response()
    client, parameters = validated
    now = ctx.clock.now()
    lifetime = ctx.settings.lifetimes.pushed_authorization_request
    request_uri = new_request_uri()
    await ctx.store.pushed_requests.save(
        request_uri, client.client_id, parameters, now=now, expires_at=now + lifetime
    )
    return JSONResponse(
        {"request_uri": request_uri, "expires_in": lifetime},
        status_code=201,
        headers=JSON_HEADERS,
    )
