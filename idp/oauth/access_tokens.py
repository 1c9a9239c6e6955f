"""Checking our own RFC 9068 access tokens at a resource: userinfo and, later, the EDI API."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from joserfc.jwk import KeySet

from idp.keys import KeyRing


class AccessTokenValidator(JWTBearerTokenValidator):  # type: ignore[misc]
    """Signature (any published key: rotated keys still verify), `typ: at+jwt`, `iss`, `exp`,
    `aud` = this resource, and scopes. Revocation is checked by the caller, through the grant."""

    def __init__(self, issuer: str, resource: str, keys: KeyRing) -> None:
        super().__init__(issuer=issuer, resource_server=resource)
        self._jwks = KeySet(list(keys.verifying.values()))

    def get_jwks(self) -> KeySet:
        return self._jwks

    def claims(self, header_value: str | None, scopes: list[str]) -> dict[str, Any]:
        """Validated claims of a `Bearer` header, or `InvalidTokenError` /
        `InsufficientScopeError` (RFC 6750 §3.1)."""
        kind, _, token = (header_value or "").partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise InvalidTokenError(description="A Bearer access token is required.")
        claims = self.authenticate_token(token.strip())
        self.validate_token(claims, scopes, None)
        return dict(claims)
