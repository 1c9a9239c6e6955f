"""Checking our own RFC 9068 access tokens: at a resource (userinfo, the EDI API) and for
introspection and revocation (`idp.oauth.token_reader`)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from idp.keys import KeyRing

# The clock joserfc checks `exp`, `iat` and `nbf` against (the system's, in whole seconds).
CLAIMS_CLOCK = JWTClaimsRegistry()


class Verified:
    """A token string whose signature verified, and, once its claims validated, the seconds
    during which they stay valid: `iat`/`nbf` <= now < `exp`, as joserfc compares them."""

    __slots__ = ("claims", "window")

    def __init__(self, claims: JWTAccessTokenClaims) -> None:
        self.claims = claims
        self.window: tuple[float, float] | None = None


class OwnAccessTokens(JWTBearerTokenValidator):  # type: ignore[misc]
    """Authlib's RFC 9068 validator over the keys this provider publishes (rotated keys still
    verify), remembering the tokens it has checked.

    A desktop app or a service presents the same access token on every call of its lifetime,
    and a token string's claims never change: decoding and verifying it, then validating its
    claims with Authlib's `validate_token` (most of a userinfo request: bench/README.md), is
    done on its first use. On the next ones only what can change is checked: the time (`exp`,
    refused at the same second as Authlib would; `iat`, `nbf`) and the scopes the caller asks
    for, which differ per endpoint. The memo is emptied when the keys change (a retired key's
    tokens must stop verifying), is bounded, and holds only tokens that verified; one whose
    claims failed is validated in full again on its next use. Revocation is checked by the
    caller, through the grant.
    """

    MEMO_SIZE = 4096

    def __init__(self, issuer: str, resource: str | None, keys: KeyRing) -> None:
        super().__init__(issuer=issuer, resource_server=resource)
        self._keys = keys
        self._snapshot = keys.current
        self._verified: dict[str, Verified] = {}

    def get_jwks(self) -> KeySet:
        return self._keys.current.key_set

    def authenticate_token(self, token_string: str) -> JWTAccessTokenClaims:
        """The claims of a token signed by one of our keys, not yet validated."""
        return self._verify(token_string).claims

    def valid_claims(self, token_string: str, scopes: list[str]) -> JWTAccessTokenClaims:
        """The claims of a token valid now and granting one of `scopes` (Authlib's meaning),
        or `InvalidTokenError` / `InsufficientScopeError`."""
        verified = self._verify(token_string)
        claims = verified.claims
        if verified.window is None:
            self.validate_token(claims, scopes, None)
            verified.window = (max(claims["iat"], claims.get("nbf", 0)), claims["exp"])
            return claims
        not_before, expires = verified.window
        if not not_before <= CLAIMS_CLOCK.now < expires:
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)
        if self.scope_insufficient(claims.get("scope", []), scopes):
            raise InsufficientScopeError()
        return claims

    def _verify(self, token_string: str) -> Verified:
        if self._snapshot is not self._keys.current:
            self._snapshot, self._verified = self._keys.current, {}
        verified = self._verified.get(token_string)
        if verified is None:
            verified = Verified(super().authenticate_token(token_string))  # raises unless valid
            if len(self._verified) >= self.MEMO_SIZE:
                # The oldest out (`pop` with a default: never a KeyError, whatever runs it).
                self._verified.pop(next(iter(self._verified), ""), None)
            self._verified[token_string] = verified
        return verified


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
        return dict(self.valid_claims(token.strip(), scopes))
