"""`GET/POST /userinfo` (OIDC Core §5.3): claims by the token's scopes, one store read."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6750 import InvalidTokenError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.context import context
from idp.oauth.claims import user_claims
from idp.oauth.tokens import GRANT_CLAIM
from idp.web.errors import JSON_HEADERS, oauth_error


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
        user = await ctx.store.grants.active_user(grant_id, claims["jti"], ctx.clock.now())
        if user is None:
            raise InvalidTokenError(description="The token was revoked.")
    except OAuth2Error as error:
        return _bearer_error(error)
    return JSONResponse(user_claims(user, set(claims["scope"].split())), headers=JSON_HEADERS)
