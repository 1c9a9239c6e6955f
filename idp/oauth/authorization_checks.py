"""Checks of an authorization request that Authlib leaves to the provider (OIDC Core §3.1.2.1,
§5.5, §6; OAuth 2.0 Form Post Response Mode), each a small named step. `/authorize` runs
them once the client and its redirect URI are validated, so their errors are redirected to
the client (RFC 6749 §4.1.2.1); before that, they show as an error page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError

from idp.domain.claims_request import MalformedClaimsRequest, RequestedClaims, requested_claims
from idp.store.records import ClientRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

RESPONSE_MODES = ("query", "form_post")
PROMPT_VALUES = ("none", "login", "consent", "create")


def check_request_objects(params: Mapping[str, str]) -> OAuth2Error | None:
    """§6.1, §6.2: request objects are refused until pushed authorization requests carry them;
    silently ignoring one would issue a code from the outer parameters."""
    if "request" in params:
        return RequestNotSupportedError("Request objects ('request') are not supported.")
    if "request_uri" in params:
        return RequestURINotSupportedError("'request_uri' is not supported.")
    return None


def check_response_mode(params: Mapping[str, str]) -> OAuth2Error | None:
    mode = params.get("response_mode")
    if mode is not None and mode not in RESPONSE_MODES:
        return InvalidRequestError("'response_mode' must be 'query' or 'form_post'.")
    return None


def response_mode(params: Mapping[str, str]) -> str:
    """The mode an answer (success or error) goes back in; an unsupported one falls back to
    the query string, which carries the error saying so."""
    mode = params.get("response_mode", "query")
    return mode if mode in RESPONSE_MODES else "query"


def check_prompt(params: Mapping[str, str]) -> OAuth2Error | None:
    """§3.1.2.1: the values we implement; `none` only alone."""
    prompts = params.get("prompt", "").split()
    unknown = [p for p in prompts if p not in PROMPT_VALUES]
    if unknown:
        return InvalidRequestError(f"Unsupported 'prompt' value: {unknown[0]}.")
    if "none" in prompts and len(prompts) > 1:
        return InvalidRequestError("'prompt=none' cannot be combined with another value.")
    return None


def check_claims_request(
    params: Mapping[str, str], client: ClientRecord
) -> tuple[RequestedClaims | None, OAuth2Error | None]:
    """§5.5: the `claims` parameter, kept to the claims the client's scopes may carry."""
    raw = params.get("claims")
    if raw is None:
        return None, None
    try:
        return requested_claims(raw, client.scopes), None
    except MalformedClaimsRequest as error:
        return None, InvalidRequestError(str(error))


def verify_id_token_hint(
    server: SageAuthorizationServer, params: Mapping[str, str]
) -> tuple[dict[str, Any] | None, OAuth2Error | None]:
    """§3.1.2.1 `id_token_hint`: an ID token we issued (our issuer, a published key, not an
    access token); expired is fine. The same verification as RP-initiated logout's."""
    hint = params.get("id_token_hint")
    if hint is None:
        return None, None
    endpoint = server._endpoints["end_session"][0]
    try:
        claims: dict[str, Any] = endpoint._validate_id_token_hint(hint)
    except OAuth2Error as error:
        return None, InvalidRequestError(
            f"'id_token_hint' cannot be verified: {error.get_error_description() or ''}".strip()
        )
    return claims, None
