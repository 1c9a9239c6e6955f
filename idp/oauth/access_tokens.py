"""Checking our own RFC 9068 access tokens: at a resource (userinfo, the EDI API) and for
introspection and revocation (`idp.oauth.token_reader`)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc.jwk import KeySet

from idp.keys import KeyRing


class OwnAccessTokens(JWTBearerTokenValidator):  # type: ignore[misc]
    """Authlib's RFC 9068 validator over the keys this provider publishes (rotated keys still
    verify), remembering the tokens whose signature it has checked.

    A desktop app or a service presents the same access token on every call of its lifetime;
    decoding and verifying it (most of a userinfo request: bench/README.md) once is enough: the
    exact string was signed by one of our keys. The memo is emptied when the keys change (a
    retired key's tokens must stop verifying). Only
    the signature is remembered: the claims (`exp`, `aud`, scopes) are validated on every use
    by `validate_token`, and revocation is checked by the caller, through the grant. The memo
    is bounded and holds only tokens that verified.
    """

    MEMO_SIZE = 4096

    def __init__(self, issuer: str, resource: str | None, keys: KeyRing) -> None:
        super().__init__(issuer=issuer, resource_server=resource)
        self._keys = keys
        self._snapshot = keys.current
        self._verified: dict[str, JWTAccessTokenClaims] = {}

    def get_jwks(self) -> KeySet:
        return self._keys.current.key_set

    def authenticate_token(self, token_string: str) -> JWTAccessTokenClaims:
        if self._snapshot is not self._keys.current:
            self._snapshot, self._verified = self._keys.current, {}
        claims = self._verified.get(token_string)
        if claims is None:
            claims = super().authenticate_token(token_string)  # raises unless it verifies
            if len(self._verified) >= self.MEMO_SIZE:
                # The oldest out (`pop` with a default: never a KeyError, whatever runs it).
                self._verified.pop(next(iter(self._verified), ""), None)
            self._verified[token_string] = claims
        return claims


class AccessTokenValidator(OwnAccessTokens):
    """Signature, `typ: at+jwt`, `iss`, `exp`, `aud` = this resource, and scopes."""

    def __init__(self, issuer: str, resource: str, keys: KeyRing) -> None:
        super().__init__(issuer, resource, keys)

    def claims(self, header_value: str | None, scopes: list[str]) -> dict[str, Any]:
        """Validated claims of a `Bearer` (or `DPoP`, RFC 9449 §7.1) header, or
        `InvalidTokenError` / `InsufficientScopeError` (RFC 6750 §3.1). Whether the scheme fits
        the token (`cnf`) and the proof are the caller's checks (`idp.oauth.dpop`)."""
        kind, _, token = (header_value or "").partition(" ")
        if kind.lower() not in ("bearer", "dpop") or not token.strip():
            raise InvalidTokenError(description="A Bearer access token is required.")
        claims = self.authenticate_token(token.strip())
        self.validate_token(claims, scopes, None)
        return dict(claims)
