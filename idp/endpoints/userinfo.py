"""`GET/POST /userinfo` (OIDC Core §5.3): claims by the token's scopes, one store read — two
at once when the `referencing` claim is asked for (the user's customer accounts are read
concurrently with the token's grant, keyed by the token's `sub`, so the latency stays one
round-trip).

RFC 6750: the token comes in the `Authorization` header, or (§2.2) as `access_token` in a
POST form body, never both; a request with no token at all gets a bare `Bearer` challenge
(§3.1: no error code); a valid token of ours that is not meant for userinfo (another audience,
no `openid` scope) gets 403 `insufficient_scope`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.api.bearer import check_proof_of_possession
from idp.context import AppContext, context
from idp.domain.claims_request import released as claims_released
from idp.domain.claims_request import scopes_for
from idp.domain.referencing import Account
from idp.oauth.claims import user_claims
from idp.oauth.errors import ProtocolError, invalid_request
from idp.oauth.tokens import GRANT_CLAIM, USERINFO_CLAIMS_CLAIM
from idp.store.records import UserRecord
from idp.web.forms import FORM_TYPE, BadForm, read_form
from idp.web.oauth_response import JSON_HEADERS
from shared.scopes import REFERENCING

REALM = 'Bearer realm="userinfo"'


def _no_token() -> Response:
    return Response(status_code=401, headers={"WWW-Authenticate": REALM, **JSON_HEADERS})


async def _authorization(request: Request) -> str | None:
    """The `Bearer` credentials, from the header or (POST, §2.2) from the form body."""
    header = request.headers.get("authorization")
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(
        FORM_TYPE
    ):
        return header
    try:
        form = await read_form(request)
    except BadForm as error:
        raise invalid_request(f"The body is not readable: {error}.") from None
    tokens = [value for key, value in form if key == "access_token"]
    if not tokens:
        return header
    if header is not None or len(tokens) > 1:
        raise InvalidRequestError("Send the access token one way only (RFC 6750, section 2).")
    return f"Bearer {tokens[0]}"


def _not_for_userinfo(ctx: AppContext, token: str, now: float) -> bool:
    """A live token of ours whose audience or scope is not userinfo's (checked only once the
    token was refused: no cost on the accepted path)."""
    try:
        claims = ctx.userinfo_validator.authenticate_token(token)
    except (JoseError, OAuth2Error):
        return False
    audience = claims.get("aud") or []
    audience = [audience] if isinstance(audience, str) else audience
    scopes = str(claims.get("scope", "")).split()
    live = float(claims.get("exp", 0)) > now
    return live and (ctx.settings.url("/userinfo") not in audience or "openid" not in scopes)


def _bearer_refusal(error: OAuth2Error) -> ProtocolError:
    """RFC 6750 §3: every refusal of a token carries the challenge, a 403 too."""
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    headers.setdefault("WWW-Authenticate", f'{REALM}, error="{error.error}"')
    description = error.get_error_description() or error.error
    return ProtocolError(error.error, description, error.status_code, headers)


def _token_claims(ctx: AppContext, authorization: str, token: str) -> dict[str, Any]:
    """The token's claims, if it is valid for userinfo; a valid token of ours for another
    audience or without `openid` is `insufficient_scope` (403)."""
    try:
        claims: dict[str, Any] = ctx.userinfo_validator.claims(authorization, ["openid"])
    except InvalidTokenError:
        if _not_for_userinfo(ctx, token, ctx.clock.now()):
            raise InsufficientScopeError() from None
        raise
    return claims


async def _active_user(
    ctx: AppContext, claims: dict[str, Any], scopes: set[str]
) -> tuple[UserRecord, Sequence[Account] | None]:
    """The token's user while its grant is active (one read), and their customer accounts
    when the `referencing` claim is asked for (read at the same time)."""
    grant_id = claims.get(GRANT_CLAIM)
    if not grant_id:
        raise InvalidTokenError(description="The token is not bound to a user.")
    subject = str(claims.get("sub", ""))
    read_user = ctx.store.grants.active_user(grant_id, claims["jti"], ctx.clock.now())
    accounts: Sequence[Account] | None = None
    if REFERENCING not in scopes:
        user = await read_user  # one read: no task (a task costs a turn of the event loop)
    else:
        async with asyncio.TaskGroup() as reads:
            active = reads.create_task(read_user)
            accounts_read = reads.create_task(ctx.store.customers.accounts_of(subject))
        user, accounts = active.result(), accounts_read.result()
    if user is None:
        raise InvalidTokenError(description="The token was revoked.")
    if accounts is not None and user.id != subject:  # never for our tokens; never trust blindly
        accounts = await ctx.store.customers.accounts_of(user.id)
    return user, accounts


async def userinfo(request: Request) -> Response:
    ctx = context(request)
    authorization = await _authorization(request)
    scheme, _, token = (authorization or "").partition(" ")
    if authorization is None or scheme.lower() not in ("bearer", "dpop") or not token.strip():
        return _no_token()
    try:
        claims = _token_claims(ctx, authorization, token.strip())
        await check_proof_of_possession(ctx, request, authorization, claims, "/userinfo")
        scopes = set(claims["scope"].split())
        user, accounts = await _active_user(ctx, claims, scopes)
    except ProtocolError:
        raise  # already the answer (a DPoP refusal and its challenge)
    except OAuth2Error as error:
        raise _bearer_refusal(error) from None
    released = user_claims(user, scopes, accounts)
    if asked := claims.get(USERINFO_CLAIMS_CLAIM):
        # OIDC Core §5.5: claims asked for userinfo by name, beyond the token's scopes.
        extra = set(asked)
        wanted = scopes | scopes_for(extra)
        if REFERENCING in wanted and accounts is None:
            accounts = await ctx.store.customers.accounts_of(user.id)
        released = claims_released(user_claims(user, wanted, accounts), scopes, extra)
    return JSONResponse(released, headers=JSON_HEADERS)
