"""`POST /token`: every grant goes through Authlib's token endpoint, in the bridge."""

from __future__ import annotations

import base64

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import Response

from idp.context import context
from idp.oauth.dpop import CURRENT_PROOF, DPoPError, ProofTarget, proof_header, verify
from idp.oauth.errors import ProtocolError, invalid_request
from idp.oauth.requests import ParsedOAuth2Request, duplicated
from idp.oauth.server import OAuthResult
from idp.web.forms import first, read_form
from idp.web.oauth_response import oauth_response
from idp.web.observe import note_client


def basic_credentials_readable(authorization: str | None) -> bool:
    """A `Basic` header must decode to UTF-8 `id:secret` (RFC 6749 §2.3.1). The header is
    split as Authlib splits it, which fails on undecodable bytes, or a space but only one
    word, instead of answering `invalid_client`."""
    if not authorization or " " not in authorization:
        return True
    parts = authorization.split(None, 1)
    if len(parts) != 2:
        return False
    if parts[0].lower() != "basic":
        return True
    try:
        decoded = base64.b64decode(parts[1].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # binascii.Error, or a non-ASCII header
        return False
    return ":" in decoded


def refuse_malformed_client_request(request: Request, items: list[tuple[str, str]]) -> None:
    """What every client-authenticated endpoint (token, PAR, revocation, introspection)
    refuses before Authlib sees the request: a repeated parameter (RFC 6749 §3.2), or a
    `Basic` header that does not decode."""
    if repeated := duplicated(items):
        raise invalid_request(f"Repeated parameter: {repeated[0]}.")
    if not basic_credentials_readable(request.headers.get("authorization")):
        raise ProtocolError(
            "invalid_client",
            "Malformed HTTP Basic credentials.",
            401,
            {"WWW-Authenticate": 'Basic realm="sageid"'},
        )


async def token(request: Request) -> Response:
    ctx = context(request)
    items = await read_form(request)
    refuse_malformed_client_request(request, items)
    grant_type = first(items, "grant_type")
    if not grant_type:
        raise invalid_request("Missing 'grant_type'.")

    attempts: list[ParsedOAuth2Request] = []  # the request Authlib saw (its client)
    proof = None
    if "dpop" in request.headers:  # no DPoP work at all for bearer requests
        now = ctx.clock.now()
        try:
            raw = proof_header(request.headers)
            assert raw is not None
            target = ProofTarget("POST", ctx.settings.url("/token"), now)
            proof = await verify(ctx.dpop, ctx.store.dpop_proofs.remember, raw, target)
        except DPoPError as error:
            # RFC 9449 §5 and §8: 400 with the error; a nonce to use when one is due.
            nonce = {"DPoP-Nonce": ctx.dpop.nonce(now)} if error.error == "use_dpop_nonce" else {}
            raise ProtocolError(error.error, error.description, 400, nonce) from None

    def respond() -> OAuthResult:
        oauth_request = ParsedOAuth2Request(
            "POST", ctx.settings.url("/token"), request.headers, form=items
        )
        attempts.append(oauth_request)
        return ctx.server.create_token_response(oauth_request)  # type: ignore[no-any-return]

    bound = CURRENT_PROOF.set(proof) if proof is not None else None  # the grants read it
    try:
        result = await ctx.bridge.run_authlib(respond)
    except OAuth2Error:  # raised for the error handler, counted here
        if attempts[-1].reuse_detected:
            ctx.metrics.refresh_reuse.inc()
        raise
    finally:
        if bound is not None:
            CURRENT_PROOF.reset(bound)
        client = attempts[-1].client if attempts else None
        note_client(request, client and client.client_id)
    if result.status == 200:
        ctx.metrics.token_issued(grant_type)
    return oauth_response(result)
