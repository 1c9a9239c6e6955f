"""Completing a sign-in: the token response's ID token validated into a cache entry, and
the same validation reused for the ID tokens that come with refreshes.
"""

from __future__ import annotations

from typing import Any

from ._clock import Clock
from ._entry import CacheEntry
from ._exceptions import ProviderError
from ._id_token import DEFAULT_LEEWAY, validate_id_token
from ._jwks import JWKSCache
from ._session import RefreshedIdTokenValidator
from ._tokens import TokenResponse


def entry_from_sign_in(
    response: TokenResponse,
    *,
    jwks: JWKSCache,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: float,
    leeway: int = DEFAULT_LEEWAY,
    refresh_token_lifetime: float | None = None,
) -> CacheEntry:
    """Validate the ID token of a fresh sign-in and return the entry to store.

    `refresh_token_lifetime` is the provider's (its metadata), when it publishes one.

    `nonce` is the one sent in the authorization request (browser flow); the device flow
    has none (RFC 8628 carries no nonce), so pass `None` there.
    """
    if response.id_token is None:
        raise ProviderError("the token response has no ID token (was the openid scope granted?)")
    claims = validate_id_token(
        response.id_token,
        keys=jwks.key_set_for(response.id_token),
        issuer=issuer,
        client_id=client_id,
        now=now,
        nonce=nonce,
        access_token=response.access_token,
        leeway=leeway,
    )
    return CacheEntry.from_sign_in(
        issuer,
        client_id,
        response,
        claims,
        now=now,
        refresh_token_lifetime=refresh_token_lifetime,
    )


def refreshed_id_token_validator(
    jwks: JWKSCache,
    *,
    issuer: str,
    client_id: str,
    clock: Clock,
    leeway: int = DEFAULT_LEEWAY,
) -> RefreshedIdTokenValidator:
    """Return the validator `Session` applies to ID tokens returned by a refresh."""

    def validate(id_token: str, access_token: str) -> dict[str, Any]:
        return validate_id_token(
            id_token,
            keys=jwks.key_set_for(id_token),
            issuer=issuer,
            client_id=client_id,
            now=clock.now(),
            nonce=None,  # OIDC Core §12.2: no nonce on refresh.
            access_token=access_token,
            leeway=leeway,
        )

    return validate
