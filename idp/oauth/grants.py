"""Authlib grants, subclassed: where codes are saved and redeemed, and tokens recorded."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import grants
from authlib.oidc.core import OpenIDCode

from idp.domain.claims_request import released, scopes_for
from idp.domain.second_factor import acr_for, amr_list
from idp.oauth.bridge import Bridge
from idp.oauth.claims import user_claims
from idp.oauth.profiles import code_lifetime, may_have_bearer_refresh_token
from idp.oauth.tokens import TokenSubject
from idp.store.records import AuthorizationCodeRecord, ClientRecord, UserRecord
from shared.scopes import OFFLINE_ACCESS, REFERENCING

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

# The subject of the ID token being encoded: Authlib's `generate_user_info` gets only the user
# and scope (a context variable is per thread and per task, so requests never share it).
_SUBJECT: ContextVar[TokenSubject | None] = ContextVar("id_token_subject", default=None)


class AuthenticatedUser:
    """The signed-in user handed to Authlib at the authorization endpoint."""

    def __init__(
        self, user: UserRecord, auth_time: float, sid: str | None = None, amr: str = "pwd"
    ) -> None:
        self.user = user
        self.auth_time = auth_time
        self.sid = sid
        self.amr = amr

    def get_user_id(self) -> str:
        return self.user.id


def wants_refresh_token(client: ClientRecord, scope: str) -> bool:
    """`offline_access` asks for one (OIDC Core §11); native (public) clients always get one:
    the desktop app stays signed in for 30 days (the seed, step 4)."""
    if not client.check_grant_type("refresh_token") or not may_have_bearer_refresh_token(client):
        return False
    return OFFLINE_ACCESS in scope.split() or client.is_public


@dataclass(frozen=True)
class OriginalSignIn:
    """What Authlib reads from "the authorization code" to fill an ID token, for grants
    without one (refresh, device): the original `auth_time` and no `nonce` (OIDC Core
    §12.2)."""

    auth_time: float
    amr: str = "pwd"

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> int:
        return int(self.auth_time)

    def get_acr(self) -> str:
        return acr_for(self.amr)

    def get_amr(self) -> list[str]:
        return amr_list(self.amr)


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


class AuthorizationCodeGrant(IssuesToSubject, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    server: SageAuthorizationServer

    def save_authorization_code(self, code: str, request: Any) -> None:
        signed_in: AuthenticatedUser = request.user
        data = request.payload.data
        now = self.server.clock.now()
        record = AuthorizationCodeRecord(
            client_id=request.client.client_id,
            user_id=signed_in.user.id,
            grant_id=str(uuid.uuid4()),
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            auth_time=signed_in.auth_time,
            expires_at=now
            + code_lifetime(request.client, self.server.settings.lifetimes.authorization_code),
            sid=signed_in.sid,
            claims=getattr(request, "requested_claims", None),
            amr=signed_in.amr,
        )
        Bridge.await_store(self.server.store.codes.save, code, record)

    def query_authorization_code(self, code: str, client: ClientRecord) -> Any:
        now = self.server.clock.now()
        found = Bridge.await_store(self.server.store.codes.consume, code, client.client_id, now)
        if found is None:
            return None
        record, user, session_expires_at = found
        self.request.subject = TokenSubject(
            user,
            record.grant_id,
            record.auth_time,
            sid=record.sid,
            claims=record.claims,
            session_expires_at=session_expires_at,
            amr=record.amr,
        )
        return record

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Nothing to do: `query_authorization_code` consumed it atomically."""

    def authenticate_user(self, authorization_code: Any) -> UserRecord:
        subject: TokenSubject = self.request.subject
        return subject.user


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
