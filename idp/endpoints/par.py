"""`POST /par` (RFC 9126): a client pushes its authorization request, authenticated like at
the token endpoint (public clients name themselves), and gets a single-use `request_uri`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.context import context
from idp.endpoints.token import refuse_malformed_client_request
from idp.oauth.pushed_requests import new_request_uri, validate_pushed_request
from idp.oauth.requests import ParsedOAuth2Request
from idp.store.records import ClientRecord
from idp.web.forms import read_form
from idp.web.oauth_response import JSON_HEADERS


async def pushed_authorization_request(request: Request) -> Response:
    ctx = context(request)
    items = await read_form(request)
    refuse_malformed_client_request(request, items)

    def validate() -> tuple[ClientRecord, list[tuple[str, str]]]:
        # Its errors are raised as they are: the handler answers an error body, never a
        # redirect nor `state` (the client is on the back channel, §2.3).
        oauth_request = ParsedOAuth2Request(
            "POST", ctx.settings.url("/par"), request.headers, form=items
        )
        return validate_pushed_request(ctx.server, oauth_request, items)

    client, parameters = await ctx.bridge.run_authlib(validate)
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
