"""Pushed authorization requests (RFC 9126): what `/par` validates and `/authorize` trusts.

A request is validated when pushed exactly as `/authorize` would validate it (client and
redirect URI, PKCE S256, scopes, the checks of `authorization_checks`), then referenced by a
single-use `request_uri`. Once `/authorize` consumed it, the pushed parameters travel through
the sign-in and consent pages with a signature (`pushed_request`, HMAC under a key derived from
the server's), so a page never has to trust parameters a browser could have edited, and a
client that must push (`require_pushed_authorization_requests`) is told apart from one that
did not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error

from idp.domain.client_authentication import ANY_CLIENT
from idp.oauth.authorization_checks import (
    check_claims_request,
    check_prompt,
    check_request_objects,
    check_response_mode,
)
from idp.oauth.requests import ParsedOAuth2Request
from idp.store.records import ClientRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
SIGNATURE_FIELD = "pushed_request"
# What the pages themselves rewrite on the way (sign-in drops `prompt=login` and `max_age`,
# an `id_token_hint` becomes a `login_hint`): not signed. Changing them can only ask for more
# sign-in or consent, or pre-fill another email; the client, redirect URI, scopes, PKCE
# challenge, state and nonce stay the pushed ones.
UNSIGNED = frozenset({SIGNATURE_FIELD, "prompt", "max_age", "login_hint", "id_token_hint"})
# Client authentication (RFC 9126 §2: as at the token endpoint) and our own field never pushed.
NOT_PUSHED = frozenset({"client_secret", "client_assertion", "client_assertion_type"})
Items = Sequence[tuple[str, str]]


class InvalidRequestURIError(OAuth2Error):  # type: ignore[misc]
    """RFC 9101 §7 / RFC 9126 §4: a `request_uri` unknown, expired, used or another client's."""

    error = "invalid_request_uri"


def new_request_uri() -> str:
    return REQUEST_URI_PREFIX + secrets.token_urlsafe(32)


def is_pushed_reference(value: str | None) -> bool:
    return value is not None and value.startswith(REQUEST_URI_PREFIX)


def validate_pushed_request(
    server: SageAuthorizationServer, request: ParsedOAuth2Request, items: Items
) -> tuple[ClientRecord, list[tuple[str, str]]]:
    """The authenticated client and the parameters to keep; raises the `OAuth2Error` to answer
    (synchronous: Authlib's client authentication and grant validation, run in the bridge)."""
    client: ClientRecord = server.authenticate_client(
        request, ANY_CLIENT, endpoint="pushed_authorization_request"
    )
    params = dict(items)
    if "request_uri" in params:
        raise InvalidRequestError("'request_uri' cannot be pushed (RFC 9126 section 2.1).")
    if params.get("client_id", client.client_id) != client.client_id:
        raise InvalidRequestError("'client_id' is not the client that authenticated.")
    kept = [(k, v) for k, v in items if k not in NOT_PUSHED and k not in ("client_id",)]
    kept.insert(0, ("client_id", client.client_id))
    for check in (check_request_objects, check_response_mode, check_prompt):
        if refused := check(params):
            raise refused
    _, refused = check_claims_request(params, client)
    if refused:
        raise refused
    # Authlib's validation, as /authorize runs it; `prompt` was checked above and needs a
    # signed-in user to go further, which a push does not have.
    validation = ParsedOAuth2Request(
        "GET", server.settings.url("/authorize"), {}, query=[p for p in kept if p[0] != "prompt"]
    )
    server.get_consent_grant(validation, None)
    return client, kept


def _signature(key: bytes, items: Items, expires: int) -> str:
    canonical = urlencode(sorted((k, v) for k, v in items if k not in UNSIGNED))
    digest = hmac.new(key, f"{expires}\n{canonical}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{digest}"


def signed(key: bytes, items: Items, expires: int) -> list[tuple[str, str]]:
    """The pushed parameters with their signature, to carry through the pages."""
    return [*items, (SIGNATURE_FIELD, _signature(key, items, expires))]


def signature_valid(key: bytes, items: Items, now: float) -> bool:
    """Whether these parameters are a consumed pushed request's, unchanged and not stale."""
    given = dict(items).get(SIGNATURE_FIELD, "")
    expires, _, _ = given.partition(".")
    if not expires.isdigit() or int(expires) <= now:
        return False
    return hmac.compare_digest(_signature(key, items, int(expires)), given)
