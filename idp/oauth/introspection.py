"""`POST /introspect` (RFC 7662): is this token active, and what does it carry?

Confidential clients only (DESIGN §3): they are the resource servers, and RFC 7662 §4 wants
the endpoint protected; any authenticated confidential client may introspect any token, as a
resource server receives tokens issued to other clients. A public client gets `invalid_client`
(401).

One store read per request (PERFORMANCE.md): an access token is verified locally (signature,
`exp`), then its grant is checked to be live and its `jti` not denied, in the one query of
`GrantRepository.active_user`; a refresh token is one read of its row, grant and user. Inactive,
expired, revoked, unknown and foreign tokens all answer `{"active": false}` and nothing else
(§2.2). Authlib's rfc9068 `JWTIntrospectionEndpoint` does not fit: it never consults the grant,
so a revoked sign-in would stay active.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.oauth2 import rfc7662

from idp.domain.client_authentication import CONFIDENTIAL_CLIENTS
from idp.oauth.bridge import Bridge
from idp.oauth.token_reader import PresentedTokenEndpoint, looks_like_jwt
from idp.oauth.tokens import GRANT_CLAIM
from idp.store.records import ClientRecord, sha256_hex

# Access-token claims an introspection response repeats (RFC 7662 §2.2).
ACCESS_TOKEN_MEMBERS = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti")


@dataclass(frozen=True)
class IntrospectedToken:
    active: bool
    payload: dict[str, Any] = field(default_factory=dict)

    # Authlib's token interface: expiry is already folded into `active`.
    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return not self.active


INACTIVE = IntrospectedToken(active=False)


class IntrospectionEndpoint(PresentedTokenEndpoint, rfc7662.IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = CONFIDENTIAL_CLIENTS

    def query_token(self, token_string: str, token_type_hint: str | None) -> IntrospectedToken:
        if looks_like_jwt(token_string):
            return self._access_token(token_string)
        return self._refresh_token(token_string)

    def check_permission(
        self, token: IntrospectedToken, client: ClientRecord, request: Any
    ) -> bool:
        return True  # any confidential client: see the module docstring

    def introspect_token(self, token: IntrospectedToken) -> dict[str, Any]:
        return {"active": True, **token.payload}

    def _access_token(self, token_string: str) -> IntrospectedToken:
        claims = self.access_tokens.read(token_string)
        if claims is None:
            return INACTIVE
        grants = self.server.store.grants
        if grant_id := claims.get(GRANT_CLAIM):
            now = self.server.clock.now()
            active = (
                Bridge.await_store(grants.active_user, grant_id, claims["jti"], now) is not None
            )
        else:  # client credentials: no grant, only the deny-list
            active = not Bridge.await_store(grants.is_denied, claims["jti"])
        if not active:
            return INACTIVE
        payload = {key: claims[key] for key in ACCESS_TOKEN_MEMBERS if key in claims}
        if "cnf" in claims:  # RFC 9449 §6.2: a DPoP-bound token says so, with its key
            return IntrospectedToken(True, {"token_type": "DPoP", **payload, "cnf": claims["cnf"]})
        return IntrospectedToken(True, {"token_type": "Bearer", **payload})

    def _refresh_token(self, token_string: str) -> IntrospectedToken:
        state = Bridge.await_store(
            self.server.store.grants.refresh_token_state, sha256_hex(token_string)
        )
        if state is None or not state.is_active(self.server.clock.now()):
            return INACTIVE
        grant = state.grant
        return IntrospectedToken(
            True,
            {
                "scope": state.scope,
                "client_id": grant.client_id,
                "sub": grant.user_id,
                "iss": self.server.settings.issuer,
                "exp": int(grant.expires_at),
                "iat": int(state.created_at),
            },
        )
