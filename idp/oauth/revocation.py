"""`POST /revoke` (RFC 7009): a client gives up a token it holds.

- A refresh token revokes its whole grant (§2.1: "the authorization server SHOULD also
  invalidate all access tokens based on the same authorization grant"), so the access tokens
  of that sign-in go inactive too.
- An access token goes on the `jti` deny-list and nothing else: the client keeps its 30-day
  sign-in (the refresh token), which §2.1 leaves to the server ("MAY revoke the respective
  refresh token as well"). Revoking the refresh token is how a client signs out for good.
- Unknown, expired or already revoked tokens answer 200 (§2.2); another client's token is
  refused with `invalid_grant` (§2.1: the server verifies the token was issued to the caller).
- Client authentication as at `/token`; public clients identify with `client_id` (§2.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.oauth2 import rfc7009

from idp.audit import AuditEvent, Kind, client_actor, observe
from idp.domain.client_authentication import ANY_CLIENT
from idp.oauth.bridge import Bridge
from idp.oauth.token_reader import PresentedTokenEndpoint, looks_like_jwt
from idp.store.records import ClientRecord, sha256_hex


@dataclass(frozen=True)
class RevocableToken:
    client_id: str
    grant_id: str | None = None  # a refresh token: its grant goes
    jti: str | None = None  # an access token: its `jti` is denied until `expires_at`
    expires_at: float = 0.0
    subject: str | None = None  # the user, for the audit trail

    def check_client(self, client: ClientRecord) -> bool:
        return self.client_id == client.client_id


class RevocationEndpoint(PresentedTokenEndpoint, rfc7009.RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ANY_CLIENT

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        if looks_like_jwt(token_string):
            claims = self.access_tokens.read(token_string)
            if claims is None:
                return None  # not ours, or expired: nothing left to revoke
            return RevocableToken(
                claims["client_id"],
                jti=claims["jti"],
                expires_at=claims["exp"],
                subject=claims.get("sub") if claims.get("sub") != claims["client_id"] else None,
            )
        state = Bridge.await_store(
            self.server.store.grants.refresh_token_state, sha256_hex(token_string)
        )
        if state is None:
            return None
        return RevocableToken(state.grant.client_id, grant_id=state.grant.id, subject=state.user.id)

    def revoke_token(self, token: RevocableToken, request: Any) -> None:
        grants = self.server.store.grants
        now = self.server.clock.now()
        revoked = AuditEvent(
            Kind.REVOCATION,
            now,
            subject=token.subject,
            actor=client_actor(token.client_id),
            client_id=token.client_id,
            detail={"token": "refresh_token" if token.grant_id else "access_token"},
        )
        if token.grant_id is not None:
            Bridge.await_store(grants.revoke, token.grant_id, now, revoked)
        elif token.jti is not None:
            Bridge.await_store(grants.deny_access_token, token.jti, token.expires_at, now, revoked)
        else:
            return
        observe(revoked)
