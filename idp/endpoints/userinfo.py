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

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.context import AppContext, context
from idp.domain.claims_request import released as claims_released
from idp.domain.claims_request import scopes_for
from idp.domain.referencing import Account
from idp.oauth.claims import user_claims
from idp.oauth.dpop import DPoPError, challenge, check_resource_request
from idp.oauth.tokens import GRANT_CLAIM, USERINFO_CLAIMS_CLAIM
from idp.web.errors import JSON_HEADERS, oauth_error
from idp.web.forms import FORM_TYPE, BadForm, read_form
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
    form = await read_form(request)
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


def _bearer_error(error: OAuth2Error) -> Response:
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    # RFC 6750 §3: every refusal of a token carries the challenge, a 403 too.
    headers.setdefault("WWW-Authenticate", f'{REALM}, error="{error.error}"')
    return oauth_error(
        error.error, error.get_error_description() or error.error, error.status_code, headers
    )


async def userinfo(request: Request) -> Response:
    ctx = context(request)
    try:
        authorization = await _authorization(request)
    except BadForm as error:
        return oauth_error("invalid_request", f"The body is not readable: {error}.")
    except InvalidRequestError as error:
        return oauth_error("invalid_request", error.get_error_description() or "")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() not in ("bearer", "dpop") or not token.strip():
        return _no_token()
    try:
        try:
            claims = ctx.userinfo_validator.claims(authorization, ["openid"])
        except InvalidTokenError:
            if _not_for_userinfo(ctx, token.strip(), ctx.clock.now()):
                raise InsufficientScopeError() from None
            raise
        if "cnf" in claims or scheme.lower() == "dpop":  # RFC 9449 §7: nothing for Bearer
            now = ctx.clock.now()
            try:
                await check_resource_request(
                    ctx.dpop,
                    ctx.store.dpop_proofs.remember,
                    request.headers,
                    scheme=scheme,
                    token=token.strip(),
                    claims=claims,
                    method=request.method,
                    uri=ctx.settings.url("/userinfo"),
                    now=now,
                )
            except DPoPError as error:
                headers = challenge(ctx.dpop, error.error, error.description, now)
                return oauth_error(error.error, error.description, 401, headers)
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
    released = user_claims(user, scopes, accounts)
    if asked := claims.get(USERINFO_CLAIMS_CLAIM):
        # OIDC Core §5.5: claims asked for userinfo by name, beyond the token's scopes.
        extra = set(asked)
        wanted = scopes | scopes_for(extra)
        if REFERENCING in wanted and accounts is None:
            accounts = await ctx.store.customers.accounts_of(user.id)
        released = claims_released(user_claims(user, wanted, accounts), scopes, extra)
    return JSONResponse(released, headers=JSON_HEADERS)
