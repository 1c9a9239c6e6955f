"""Access tokens (RFC 9068 JWTs, ES256) and refresh tokens (opaque, 256 bits).

Authlib's token generator gets no request object, so a grant hands it a `TokenSubject`
instead of the bare user: the user plus the grant and sign-in time the token belongs to
(`IssuesToSubject`, shared by the code and device grants).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc.jws import JWSRegistry
from joserfc.util import json_b64encode, urlsafe_b64encode

from idp.domain.claims_request import RequestedClaims
from idp.keys import KeyRing, KeySnapshot, SigningKey
from idp.oauth.dpop import CURRENT_PROOF
from idp.oauth.profiles import may_have_bearer_refresh_token
from idp.settings import Settings
from idp.store.records import ClientRecord, UserRecord
from shared.scopes import EDI, OFFLINE_ACCESS, OPENID

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

# A private claim linking an access token to its grant, so revoking the grant (logout, refresh
# token reuse, code replay) deactivates the token at userinfo, introspection and the API.
GRANT_CLAIM = "grant_id"
# Claims asked for userinfo by name (the `claims` parameter), carried by the token itself so
# that userinfo stays one store read; only present when the parameter was used.
USERINFO_CLAIMS_CLAIM = "userinfo_claims"


@dataclass(frozen=True)
class TokenSubject:
    user: UserRecord
    grant_id: str
    auth_time: float
    sid: str | None = None  # the browser session signed in (OIDC `sid`), if any
    claims: RequestedClaims | None = None  # the `claims` request parameter (OIDC Core §5.5)
    # A grant without `offline_access` ends with its browser session (issue 15).
    session_expires_at: float | None = None
    amr: str = "pwd"  # the sign-in's methods, kept by every refresh (issue 17)

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
        self._keys = keys
        self._es256 = JWSRegistry(algorithms=["ES256"]).get_alg("ES256")
        self._signer = self._signer_of(keys.current)

    @staticmethod
    def _signer_of(snapshot: KeySnapshot) -> tuple[KeySnapshot, SigningKey, bytes]:
        """The key and the protected header, encoded once per key (as joserfc would)."""
        key = snapshot.signing["ES256"]
        header = json_b64encode({"typ": "at+jwt", "alg": "ES256", "kid": str(key.kid)})
        return snapshot, key, header

    def access_token_generator(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        """The RFC 9068 token of Authlib's `access_token_generator`, claim for claim and byte
        for byte (tests/lifecycle/test_access_token_format.py holds the two side by side), signed
        with joserfc's ES256 algorithm over a header encoded once: going through `jwt.encode`
        re-validates the header and resolves the key on every token, a tenth of a
        client-credentials request (figures: bench/README.md). Authlib's `get_acr`/`get_amr` are
        not used (no values)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "exp": now + self._get_expires_in(client, grant_type),
            "client_id": client.get_client_id(),
            "iat": now,
            "jti": self.get_jti(client, grant_type, user, scope),
            "scope": scope,
            "sub": str(user.get_user_id()) if user else client.get_client_id(),
            "aud": self.get_audiences(client, user, scope),
        }
        if auth_time := self.get_auth_time(user):
            claims["auth_time"] = auth_time
        claims.update(self.get_extra_claims(client, grant_type, user, scope))
        if (proof := CURRENT_PROOF.get()) is not None:
            claims["cnf"] = {"jkt": proof.jkt}  # RFC 9449 §6.1: bound to the proof's key
        payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
        signer = self._signer
        if signer[0] is not self._keys.current:  # the keys were rolled over
            signer = self._signer = self._signer_of(self._keys.current)
        _, key, header = signer
        signing_input = header + b"." + urlsafe_b64encode(payload)
        signature = urlsafe_b64encode(self._es256.sign(signing_input, key))
        return (signing_input + b"." + signature).decode("ascii")

    def generate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = super().generate(*args, **kwargs)
        if CURRENT_PROOF.get() is not None:
            token["token_type"] = "DPoP"  # RFC 9449 §5
        return token

    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return secrets.token_urlsafe(16)

    def get_audiences(self, client: ClientRecord, user: Any, scope: str) -> list[str]:
        return audiences(self.settings, client, scope)

    def get_auth_time(self, user: Any) -> int | None:
        return int(user.auth_time) if isinstance(user, TokenSubject) else None

    def get_extra_claims(
        self, client: Any, grant_type: str, user: Any, scope: str
    ) -> dict[str, Any]:
        if not isinstance(user, TokenSubject):
            return {}
        if user.claims is not None and user.claims.userinfo:
            return {
                GRANT_CLAIM: user.grant_id,
                USERINFO_CLAIMS_CLAIM: sorted(user.claims.userinfo),
            }
        return {GRANT_CLAIM: user.grant_id}


def wants_refresh_token(client: ClientRecord, scope: str) -> bool:
    """`offline_access` asks for one (OIDC Core §11); native (public) clients always get one:
    the desktop app stays signed in for 30 days (the seed, step 4)."""
    if not client.check_grant_type("refresh_token") or not may_have_bearer_refresh_token(client):
        return False
    return OFFLINE_ACCESS in scope.split() or client.is_public


class IssuesToSubject:
    """Tokens for `request.subject` (user, grant, sign-in time) instead of the bare user, with
    a refresh token when `wants_refresh_token` says so."""

    request: Any
    server: SageAuthorizationServer
    GRANT_TYPE: str | None

    def generate_token(
        self,
        user: Any = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        token: dict[str, Any] = self.server.generate_token(
            grant_type=grant_type or self.GRANT_TYPE,
            client=self.request.client,
            user=self.request.subject,
            scope=scope,
            expires_in=expires_in,
            include_refresh_token=wants_refresh_token(self.request.client, scope or ""),
        )
        return token
