"""Access tokens (RFC 9068 JWTs, ES256) and refresh tokens (opaque, 256 bits).

Authlib's token generator gets no request object, so a grant hands it a `TokenSubject`
instead of the bare user: the user plus the grant and sign-in time the token belongs to.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc.jwk import GuestProtocol

from idp.keys import KeyRing, SigningKey
from idp.settings import Settings
from idp.store.records import ClientRecord, UserRecord
from shared.scopes import EDI, OPENID

# A private claim linking an access token to its grant, so revoking the grant (logout, refresh
# token reuse, code replay) deactivates the token at userinfo, introspection and the API.
GRANT_CLAIM = "grant_id"


@dataclass(frozen=True)
class TokenSubject:
    user: UserRecord
    grant_id: str
    auth_time: float

    def get_user_id(self) -> str:
        return self.user.id


def new_refresh_token(**_: Any) -> str:
    return secrets.token_urlsafe(32)


def audiences(settings: Settings, client: ClientRecord, scope: str | None) -> list[str]:
    """RFC 9068 §3: `aud` names the resource servers: userinfo for `openid`, the submissions
    API for `edi`; the client itself otherwise."""
    scopes = set((scope or "").split())
    audience = []
    if OPENID in scopes:
        audience.append(settings.url("/userinfo"))
    if EDI in scopes:
        audience.append(settings.url("/api/v1"))
    return audience or [client.client_id]


class AccessTokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    def __init__(self, settings: Settings, keys: KeyRing) -> None:
        lifetime = settings.lifetimes.access_token
        super().__init__(
            issuer=settings.issuer,
            alg="ES256",
            refresh_token_generator=new_refresh_token,
            expires_generator=lambda client, grant_type: lifetime,
        )
        self.settings = settings
        self._key = keys.key_for("ES256")
        self._kid = keys.kid_for("ES256")

    def get_jwks(self) -> Callable[[GuestProtocol], SigningKey]:
        """joserfc takes a key resolver as well as a key set: it hands over the token being
        signed, so the resolver names the key in the header. A one-key `KeySet` gives the same
        token but searches and draws from the set on every signature (~5 µs of ~50)."""
        return self._current_key

    def _current_key(self, token: GuestProtocol) -> SigningKey:
        token.set_kid(self._kid)
        return self._key

    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return secrets.token_urlsafe(16)

    def get_audiences(self, client: ClientRecord, user: Any, scope: str) -> list[str]:
        return audiences(self.settings, client, scope)

    def get_auth_time(self, user: Any) -> int | None:
        return int(user.auth_time) if isinstance(user, TokenSubject) else None

    def get_extra_claims(
        self, client: Any, grant_type: str, user: Any, scope: str
    ) -> dict[str, Any]:
        return {GRANT_CLAIM: user.grant_id} if isinstance(user, TokenSubject) else {}
