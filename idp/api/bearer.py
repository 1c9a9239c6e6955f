"""Who calls the submissions API: an RFC 9068 access token, checked locally, then its grant.

Local checks (`AccessTokenValidator`, with the keys this provider publishes, rotated ones
included): the signature, `typ: at+jwt`, `iss`, `exp`, `aud` naming `<issuer>/api/v1`, and the
`edi` scope.

Revocation: a JWT alone stays valid until it expires (10 minutes), so every call also checks
its grant, as userinfo does — one indexed read (`GrantRepository.active_user`) that fails if
the grant was revoked (sign-out, refresh token reuse, code replay, `users revoke`), has expired
(30 days after the sign-in), predates a password change, or if this very token's `jti` was
revoked (RFC 7009). The caller's customer accounts are read at the same time, keyed by the
token's `sub`, so the check costs no extra round-trip. A token without a grant (client
credentials) is refused: submissions are sent on behalf of a Sage ID.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from starlette.requests import Request

from idp.api.problems import Problem
from idp.context import AppContext, context
from idp.domain.submissions import CustomerAccess, Visibility
from idp.oauth.dpop import DPoPError, check_resource_request
from idp.oauth.dpop import challenge as dpop_challenge
from idp.oauth.errors import ProtocolError
from idp.oauth.tokens import GRANT_CLAIM
from idp.store.records import UserRecord
from shared.scopes import EDI

REALM = "sage-edi-online"


@dataclass(frozen=True)
class Caller:
    user: UserRecord
    client_id: str | None
    access: dict[str, CustomerAccess]

    @property
    def visibility(self) -> Visibility:
        return Visibility.of(self.user.id, self.access.values())


def _challenge(error: str, description: str, *, scope: str | None = None) -> dict[str, str]:
    """RFC 6750 §3: the Bearer challenge rides along with the problem details."""
    params = [f'realm="{REALM}"', f'error="{error}"', f'error_description="{description}"']
    if scope:
        params.append(f'scope="{scope}"')
    return {"WWW-Authenticate": "Bearer " + ", ".join(params)}


def invalid_token(description: str) -> Problem:
    return Problem(
        401,
        "Invalid access token",
        description,
        slug="invalid-token",
        headers=_challenge("invalid_token", description),
    )


def _refusal(error: OAuth2Error) -> Problem:
    if isinstance(error, InsufficientScopeError):
        description = f"The access token lacks the {EDI!r} scope."
        return Problem(
            403,
            "Insufficient scope",
            description,
            slug="insufficient-scope",
            headers=_challenge("insufficient_scope", description, scope=EDI),
        )
    description = error.get_error_description() or ""
    if not description or description == error.error:
        description = "The access token is missing, malformed, expired or not for this API."
    return invalid_token(description)


async def check_proof_of_possession(
    ctx: AppContext, request: Request, authorization: str, claims: dict[str, Any], path: str
) -> None:
    """RFC 9449 §7 at a resource server (this API, and userinfo): a DPoP-bound token with its
    proof for this request, a bearer token as `Bearer` only; nothing to do (no cost) for a
    bearer token sent as such. Raises a 401 `ProtocolError` carrying the `DPoP` challenge."""
    scheme, _, token = authorization.partition(" ")
    if "cnf" not in claims and scheme.lower() != "dpop":
        return
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
            uri=ctx.settings.url(path),  # never the Host header's
            now=now,
        )
    except DPoPError as error:
        headers = dpop_challenge(ctx.dpop, error.error, error.description, now)
        raise ProtocolError(error.error, error.description, 401, headers) from None


async def authenticate(request: Request) -> Caller:
    """The caller of an API request, or a `Problem` (401 / 403)."""
    ctx = context(request)
    header = request.headers.get("authorization")
    if not header:  # RFC 6750 §3.1: no error code when no credentials were sent
        description = "A Bearer access token with the 'edi' scope is required."
        challenge = {"WWW-Authenticate": f'Bearer realm="{REALM}", scope="{EDI}"'}
        raise Problem(
            401, "Authentication required", description, slug="invalid-token", headers=challenge
        )
    try:
        claims = ctx.api_validator.claims(header, [EDI])
    except (InvalidTokenError, InsufficientScopeError) as error:
        raise _refusal(error) from None
    try:
        await check_proof_of_possession(ctx, request, header, claims, request.url.path)
    except ProtocolError as error:
        raise Problem(
            401,
            "Invalid DPoP proof" if error.error != "invalid_token" else "Invalid access token",
            error.description,
            slug=error.error.replace("_", "-"),
            headers=error.headers,
        ) from None
    grant_id = claims.get(GRANT_CLAIM)
    if not grant_id:
        raise invalid_token("The access token is not bound to a Sage ID.")
    subject = str(claims.get("sub", ""))
    async with asyncio.TaskGroup() as reads:
        active = reads.create_task(
            ctx.store.grants.active_user(grant_id, claims["jti"], ctx.clock.now())
        )
        access_read = reads.create_task(ctx.store.submissions.access_of(subject))
    user = active.result()
    if user is None:
        raise invalid_token("The access token was revoked, or its sign-in has ended.")
    access = access_read.result()
    if user.id != subject:  # never for our tokens; never trusted blindly either
        access = await ctx.store.submissions.access_of(user.id)
    client_id = claims.get("client_id")
    return Caller(user, str(client_id) if client_id else None, access)
