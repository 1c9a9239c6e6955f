"""`GET/POST /userinfo` (OIDC Core §5.3): claims by the token's scopes, one store read — two
at once when the `referencing` claim is asked for (the user's customer accounts are read
concurrently with the token's grant, keyed by the token's `sub`, so the latency stays one
round-trip)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6750 import InvalidTokenError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.context import context
from idp.domain.referencing import Account
from idp.oauth.claims import user_claims
from idp.oauth.tokens import GRANT_CLAIM
from idp.web.errors import JSON_HEADERS, oauth_error
from shared.scopes import REFERENCING


def _bearer_error(error: OAuth2Error) -> Response:
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    return oauth_error(
        error.error, error.get_error_description() or error.error, error.status_code, headers
    )


async def userinfo(request: Request) -> Response:
    ctx = context(request)
    try:
        claims = ctx.userinfo_validator.claims(request.headers.get("authorization"), ["openid"])
        grant_id = claims.get(GRANT_CLAIM)
        if not grant_id:
            raise InvalidTokenError(description="The token is not bound to a user.")
        scopes = set(claims["scope"].split())
        subject = str(claims.get("sub", ""))
        accounts: Sequence[Account] | None = None
        async with asyncio.TaskGroup() as reads:
            active = reads.create_task(
                ctx.store.grants.active_user(grant_id, claims["jti"], ctx.clock.now())
            )
            if REFERENCING in scopes:
                accounts_read = reads.create_task(ctx.store.customers.accounts_of(subject))
        user = active.result()
        if user is None:
            raise InvalidTokenError(description="The token was revoked.")
        if REFERENCING in scopes:
            accounts = accounts_read.result()
            if user.id != subject:  # never for our tokens; never trust it blindly either
                accounts = await ctx.store.customers.accounts_of(user.id)
    except OAuth2Error as error:
        return _bearer_error(error)
    return JSONResponse(user_claims(user, scopes, accounts), headers=JSON_HEADERS)
