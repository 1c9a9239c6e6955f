"""Plain frozen records the store hands out. They are safe to pass to Authlib's worker thread
(no lazy loading) and implement the small interfaces Authlib expects (ClientMixin, code, token).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from idp.domain.claims_request import RequestedClaims
from idp.domain.client_authentication import SHARED_SECRET_METHODS
from idp.domain.redirects import redirect_uri_matches
from idp.domain.second_factor import SignInFacts
from shared.scopes import DEVICE_CODE_GRANT


def sha256_hex(secret: str) -> str:
    """Hash for high-entropy secrets (tokens, client secrets, device codes): a slow hash would
    only burn CPU there (DESIGN §5)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    name: str
    email_verified: bool
    locale: str | None
    password_hash: str = field(repr=False)
    password_changed_at: float = 0.0

    def get_user_id(self) -> str:
        return self.id


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    name: str
    token_endpoint_auth_method: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scope: str
    first_party: bool
    id_token_signed_response_alg: str = "RS256"
    secret_hash: str | None = field(default=None, repr=False)
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    web_origins: tuple[str, ...] = ()
    require_mfa: bool = False  # issue 17
    require_pushed_authorization_requests: bool = False
    # `private_key_jwt` (issue 16): registered public keys (a JWK Set) or where to fetch them.
    jwks: dict[str, Any] | None = field(default=None, hash=False, compare=False, repr=False)
    jwks_uri: str | None = None
    registration_token_hash: str | None = field(default=None, repr=False)
    profile: str | None = None  # `fapi2` (idp.oauth.profiles)
    require_dpop: bool = False  # RFC 9449 §5.2 `dpop_bound_access_tokens`

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    # -- authlib ClientMixin ------------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only a single registered URI may be implied (OAuth 2.1 §4.1.1 requires the parameter
        # otherwise).
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(self.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(self.secret_hash, sha256_hex(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        if self.token_endpoint_auth_method == "private_key_jwt" or self.profile == "fapi2":
            return method == "private_key_jwt"  # FAPI 2.0 §5.3.1.1: no shared secrets
        return method in SHARED_SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials" and self.is_public:
            return False
        return grant_type in self.grant_types

    @property
    def uses_device_flow(self) -> bool:
        return DEVICE_CODE_GRANT in self.grant_types


@dataclass(frozen=True)
class AuthorizationCodeRecord(SignInFacts):
    client_id: str
    user_id: str
    grant_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: float
    expires_at: float
    sid: str | None = None
    claims: RequestedClaims | None = None
    amr: str = "pwd"  # RFC 8176 methods, space-separated (issue 17)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce


@dataclass(frozen=True)
class GrantRecord:
    id: str
    user_id: str
    client_id: str
    scope: str
    auth_time: float
    expires_at: float
    revoked_at: float | None
    sid: str | None = None
    claims: RequestedClaims | None = None
    amr: str = "pwd"
    dpop_jkt: str | None = None  # RFC 9449 §5: a public client's refresh tokens' key


@dataclass(frozen=True)
class SessionRecord:
    """A signed-in browser: the session and its user, read in one query."""

    user: UserRecord
    auth_time: float
    expires_at: float
    sid: str | None = None  # the public session id (OIDC `sid`)
    amr: str = "pwd"


def client_from_row(row: Any) -> ClientRecord:
    return ClientRecord(
        client_id=row.client_id,
        name=row.name,
        token_endpoint_auth_method=row.token_endpoint_auth_method,
        redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris),
        grant_types=tuple(row.grant_types),
        scope=row.scope,
        first_party=bool(row.first_party),
        id_token_signed_response_alg=row.id_token_signed_response_alg,
        secret_hash=row.secret_hash,
        backchannel_logout_uri=getattr(row, "backchannel_logout_uri", None),
        backchannel_logout_session_required=bool(
            getattr(row, "backchannel_logout_session_required", False)
        ),
        web_origins=tuple(getattr(row, "web_origins", None) or ()),
        require_mfa=bool(getattr(row, "require_mfa", False)),
        require_pushed_authorization_requests=bool(
            getattr(row, "require_pushed_authorization_requests", False)
        ),
        jwks=getattr(row, "jwks", None),
        jwks_uri=getattr(row, "jwks_uri", None),
        registration_token_hash=getattr(row, "registration_token_hash", None),
        profile=getattr(row, "profile", None),
        require_dpop=bool(getattr(row, "require_dpop", False)),
    )


def user_from_row(row: Any) -> UserRecord:
    return UserRecord(
        id=row.id,
        email=row.email,
        name=row.name,
        email_verified=bool(row.email_verified),
        locale=row.locale,
        password_hash=row.password_hash,
        password_changed_at=row.password_changed_at,
    )
