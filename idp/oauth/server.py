"""The authorization server: Authlib's, wired to our store, keys and clock.

Authlib runs through the bridge (`idp.oauth.bridge`); it returns `OAuthResult`s, plain data
that `idp.web.oauth_response` turns into responses. Its errors are raised, never rendered here:
one exception handler renders every `OAuth2Error` (an error redirect of the authorization
endpoint aside, which is a redirect, not an error body).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
)
from authlib.oauth2.rfc9207 import IssuerParameter

from idp.clock import Clock
from idp.domain.client_authentication import CLIENT_SECRET_BASIC, PRIVATE_KEY_JWT
from idp.keys import KeyRing
from idp.oauth.authorization_code import AuthorizationCodeGrant
from idp.oauth.bridge import Bridge
from idp.oauth.client_assertions import PrivateKeyJWTAuthentication
from idp.oauth.client_credentials import ClientCredentialsGrant
from idp.oauth.device import SageDeviceAuthorizationEndpoint, SageDeviceCodeGrant
from idp.oauth.dpop import CURRENT_PROOF
from idp.oauth.id_token import SageOpenIDCode
from idp.oauth.introspection import IntrospectionEndpoint
from idp.oauth.logout import LogoutEndpoint
from idp.oauth.pkce import S256CodeChallenge
from idp.oauth.profiles import requires_dpop
from idp.oauth.refresh import RefreshedIDToken, RefreshTokenGrant
from idp.oauth.registration import SageClientConfigurationEndpoint, SageClientRegistrationEndpoint
from idp.oauth.revocation import RevocationEndpoint
from idp.oauth.tokens import AccessTokenGenerator, TokenSubject
from idp.settings import Settings
from idp.store import Store
from idp.store.records import ClientRecord, GrantRecord, sha256_hex
from shared.scopes import ALL_SCOPES, OFFLINE_ACCESS

# One encoder for every response: `json.dumps` with options builds a new one per call.
COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


@dataclass
class OAuthResult:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "location"]
        self.headers.append(("Location", value))


class ClientAuthenticationFailed(InvalidClientError):  # type: ignore[misc]
    """`invalid_client` without Authlib's Python list of methods, and with the `realm` of the
    `Basic` challenge (RFC 7617 §2 makes it required)."""

    def __init__(self, status_code: int) -> None:
        super().__init__(
            status_code=status_code,
            description="Client authentication failed: unknown client, wrong secret, or an "
            "authentication method this client is not registered for.",
        )

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [
            (name, value.replace("Basic ", 'Basic realm="sageid", ', 1))
            if name == "WWW-Authenticate"
            else (name, value)
            for name, value in headers
        ]


class InvalidDPoPProof(OAuth2Error):  # type: ignore[misc]
    """RFC 9449 §5.2 / §7.1: `invalid_dpop_proof`."""

    error = "invalid_dpop_proof"


class Issuer(IssuerParameter):  # type: ignore[misc]
    """RFC 9207: `iss` in every authorization response, success or error."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


class SageAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, settings: Settings, store: Store, keys: KeyRing, clock: Clock) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self.settings = settings
        self.store = store
        self.keys = keys
        self.clock = clock
        self.issuer_parameter = Issuer(settings.issuer)
        self.register_token_generator("default", AccessTokenGenerator(settings, keys))
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(), SageOpenIDCode(self)])
        self.register_grant(RefreshTokenGrant, [RefreshedIDToken(self)])
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(SageDeviceCodeGrant, [SageOpenIDCode(self)])
        self.register_endpoint(SageDeviceAuthorizationEndpoint(self))
        self.register_endpoint(RevocationEndpoint(self))
        self.register_endpoint(IntrospectionEndpoint(self))
        self.register_endpoint(LogoutEndpoint(self))
        self.register_extension(self.issuer_parameter)
        # RFC 7523 §2.2 (issue 16): wherever a client secret is accepted, so is a signed JWT.
        self.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJWTAuthentication(self))
        # RFC 7591 / RFC 7592 (issue 16): third parties register their clients.
        self.register_endpoint(SageClientRegistrationEndpoint(self))
        self.register_endpoint(SageClientConfigurationEndpoint(self))

    @property
    def grant_types(self) -> list[str]:
        """What discovery advertises: computed from the registered grants."""
        return [cls.GRANT_TYPE for cls, _ in self._token_grants]

    def authenticate_client(self, request: Any, methods: list[str], endpoint: str = "token") -> Any:
        """Authlib's, refusing two authentication methods at once (RFC 6749 §2.3: a client MUST
        NOT use more than one), and saying a failure in plain words, with a `realm`."""
        if request.form.get("client_secret") and str(
            request.headers.get("authorization", "")
        ).lower().startswith("basic "):
            raise InvalidRequestError(
                "The client authenticated twice (HTTP Basic and client_secret): use one method."
            )
        if CLIENT_SECRET_BASIC in methods and PRIVATE_KEY_JWT not in methods:
            methods = [*methods, PRIVATE_KEY_JWT]
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            raise ClientAuthenticationFailed(error.status_code) from error
        must_prove = client.require_dpop or requires_dpop(client)
        if endpoint == "token" and must_prove and CURRENT_PROOF.get() is None:
            # RFC 9449 §5.2 `dpop_bound_access_tokens`: never a bearer token for this client.
            raise InvalidDPoPProof("This client must send a DPoP proof with token requests.")
        return client

    def query_client(self, client_id: str) -> ClientRecord | None:
        cache = self.store.client_cache
        return cache.get(client_id) or Bridge.await_store(cache.lookup, client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        subject = request.subject
        if not isinstance(subject, TokenSubject):
            return  # client credentials: the JWT is self-contained, nothing to write
        now = self.clock.now()
        scope = token.get("scope", "")
        expires_at = subject.auth_time + self.settings.lifetimes.refresh_token
        if subject.session_expires_at is not None and OFFLINE_ACCESS not in scope.split():
            # OIDC Core §11: without `offline_access` the grant ends with its browser session
            # (at its expiry here; logout and password reset revoke it sooner).
            expires_at = min(expires_at, subject.session_expires_at)
        grant = GrantRecord(
            id=subject.grant_id,
            user_id=subject.user.id,
            client_id=request.client.client_id,
            scope=scope,
            auth_time=subject.auth_time,
            expires_at=expires_at,
            revoked_at=None,
            sid=subject.sid,
            claims=subject.claims,
            amr=subject.amr,
            # RFC 9449 §5: a public client's refresh tokens are bound to its first proof's key
            # (a confidential client's are bound to its authentication).
            dpop_jkt=proof.jkt
            if request.client.is_public and (proof := CURRENT_PROOF.get()) is not None
            else None,
        )
        refresh = token.get("refresh_token")
        Bridge.await_store(
            self.store.grants.create,
            grant,
            refresh_token_hash=sha256_hex(refresh) if refresh else None,
            now=now,
        )

    def create_oauth2_request(self, request: Any) -> Any:
        return request  # already a ParsedOAuth2Request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> OAuthResult:
        return OAuthResult(status, body, list(headers))

    def handle_error_response(self, request: Any, error: OAuth2Error) -> OAuthResult:
        """Raised for the one handler to render (`idp.web.oauth_response`), wherever Authlib
        catches it (token, revocation, introspection, device, registration, logout); only an
        error going back to the client's redirect URI is answered here, as Authlib does."""
        if error.redirect_uri:
            result: OAuthResult = super().handle_error_response(request, error)
            return result
        raise error

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def error_redirect(self, error: Any) -> OAuthResult:
        """An error raised before `create_authorization_response`, once its redirect URI was
        validated: the same redirect Authlib would make, with `iss` (RFC 9207)."""
        result: OAuthResult = self.handle_response(*error())
        self.issuer_parameter.add_issuer_parameter(self, result)
        return result
