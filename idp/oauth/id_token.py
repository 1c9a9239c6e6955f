"""ID tokens (OIDC Core §2, §3.1.3.6), Authlib's `OpenIDCode` subclassed: the signing key of
the client's algorithm, `sid`, `acr`/`amr`, and the claims asked for by scope or by name.
Every grant that issues one (code, refresh, device) goes through `SageOpenIDCode`."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.oidc.core import OpenIDCode

from idp.domain.claims_request import released, scopes_for
from idp.domain.second_factor import SignInFacts
from idp.oauth.bridge import Bridge
from idp.oauth.claims import user_claims
from idp.oauth.tokens import TokenSubject
from idp.store.records import ClientRecord, UserRecord
from shared.scopes import REFERENCING

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

# The subject of the ID token being encoded: Authlib's `generate_user_info` gets only the user
# and scope (a context variable is per thread and per task, so requests never share it).
_SUBJECT: ContextVar[TokenSubject | None] = ContextVar("id_token_subject", default=None)


@dataclass(frozen=True)
class OriginalSignIn(SignInFacts):
    """What Authlib reads from "the authorization code" to fill an ID token, for grants
    without one (refresh, device): the original `auth_time` and no `nonce` (OIDC Core
    §12.2)."""

    auth_time: float
    amr: str = "pwd"

    def get_nonce(self) -> None:
        return None


class SageOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens: signed with the current key of the client's algorithm (RS256 unless it
    registered ES256), 10 minutes, claims by scope."""

    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # A nonce is bound to its single-use code; the client checks it in the ID token.
        return False

    def resolve_client_private_key(self, client: ClientRecord) -> Any:
        return self.server.keys.key_for(self.get_client_algorithm(client))

    def get_client_algorithm(self, client: ClientRecord) -> str:
        return client.id_token_signed_response_alg

    def get_encode_header(self, client: ClientRecord) -> dict[str, str]:
        alg = self.get_client_algorithm(client)
        return {"alg": alg, "typ": "JWT", "kid": self.server.keys.kid_for(alg)}

    def get_client_claims(self, client: ClientRecord) -> dict[str, Any]:
        now = int(self.server.clock.now())
        return {
            "iss": self.server.settings.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + self.server.settings.lifetimes.id_token,
        }

    def encode_id_token(self, token: dict[str, Any], request: Any) -> Any:
        """Authlib's, with `sid` (Back-Channel Logout §2.4) when the grant came from a browser
        session, and the claims the `claims` parameter asked for (OIDC Core §5.5)."""
        subject = getattr(request, "subject", None)
        reset = _SUBJECT.set(subject if isinstance(subject, TokenSubject) else None)
        try:
            return super().encode_id_token(token, request)
        finally:
            _SUBJECT.reset(reset)

    def get_compatible_claims(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_compatible_claims(request)
        subject = _SUBJECT.get()
        if subject is not None and subject.sid:
            claims["sid"] = subject.sid
        return claims

    def generate_user_info(self, user: UserRecord, scope: str) -> dict[str, Any]:
        scopes = set(scope.split())
        subject = _SUBJECT.get()
        extra = subject.claims.id_token if subject and subject.claims else frozenset()
        wanted = scopes | scopes_for(extra)
        # The customer accounts cost a store read: only when the claim was asked for.
        accounts = (
            Bridge.await_store(self.server.store.customers.accounts_of, user.id)
            if REFERENCING in wanted
            else None
        )
        claims = user_claims(user, wanted, accounts)
        return released(claims, scopes, extra) if extra else claims
