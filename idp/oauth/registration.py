"""Dynamic client registration (RFC 7591) and its management (RFC 7592): Authlib's endpoints,
subclassed, with this provider's policy (`idp.domain.dynamic_registration`). Registering
needs an initial access token (`sageid-idp registration-tokens create`); the client is then
read, updated and deleted with its registration access token. Both are stored hashed."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint

from idp.domain.dynamic_registration import (
    RESTRICTED_SCOPES,
    RegisteredMetadata,
    RegistrationRefused,
    registered_metadata,
)
from idp.oauth.bridge import Bridge
from idp.oauth.client_assertions import public_key_set
from idp.store.records import ClientRecord, sha256_hex

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

REGISTRATION_PATH = "/register"
JSON_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
]


class JsonBody:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


class RegistrationRequest:
    """A JSON request, as Authlib's registration endpoints read it: `payload.data`, the
    bearer token, and the client a configuration request is about."""

    def __init__(
        self,
        method: str,
        data: dict[str, Any],
        bearer: str | None,
        client_id: str | None = None,
    ) -> None:
        self.method = method
        self.payload = JsonBody(data)
        self.bearer = bearer
        self.client_id = client_id
        self.headers: dict[str, str] = {}
        self.credential: Any = None
        self.client: Any = None
        self.registered: RegisteredMetadata | None = None
        # Filled for the handler, to audit what was done.
        self.audited_client_id: str | None = None


def _refused(error: RegistrationRefused) -> OAuth2Error:
    if error.error == "invalid_redirect_uri":
        return InvalidRedirectURIError(error.description)
    return InvalidClientMetadataError(error.description)


def _policy(data: dict[str, Any], allowed_scope: str) -> RegisteredMetadata:
    try:
        metadata = registered_metadata(data, allowed_scope)
        if metadata.jwks is not None:
            public_key_set(metadata.jwks)
    except RegistrationRefused as error:
        raise _refused(error) from error
    except ValueError as error:
        raise InvalidClientMetadataError(f"'jwks': {error}") from error
    return metadata


class InitialAccessToken:
    def __init__(self, value: str, allowed_scope: str, profile: str | None) -> None:
        self.value = value
        self.allowed_scope = allowed_scope
        self.profile = profile


class SageClientRegistrationEndpoint(ClientRegistrationEndpoint):  # type: ignore[misc]
    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(server)

    def authenticate_token(self, request: RegistrationRequest) -> InitialAccessToken | None:
        if not request.bearer:
            return None
        store = self.server.store
        allowed = Bridge.await_store(
            store.initial_access_tokens.usable, request.bearer, self._now()
        )
        if allowed is None:
            return None
        return InitialAccessToken(request.bearer, allowed.allowed_scope, allowed.profile)

    def _now(self) -> float:
        now: float = self.server.clock.now()
        return now

    def create_registration_response(
        self, request: RegistrationRequest
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        credential = self.authenticate_token(request)
        if credential is None:
            # RFC 7591 §3: the initial access token is an RFC 6750 bearer token.
            raise InvalidTokenError("A live initial access token with uses left is required.")
        data = request.payload.data
        if credential.profile is not None:
            # The initial access token imposes its profile (`registration-tokens --profile`).
            if data.get("profile", credential.profile) != credential.profile:
                raise InvalidClientMetadataError(
                    f"This registration is for '{credential.profile}'."
                )
            data = {**data, "profile": credential.profile}
        metadata = _policy(data, credential.allowed_scope)
        store, now = self.server.store, self._now()
        if not Bridge.await_store(store.initial_access_tokens.spend, credential.value, now):
            raise InvalidTokenError("The initial access token has no uses left.")
        registration_token = secrets.token_urlsafe(32)
        record, secret = Bridge.await_store(
            store.clients.add,
            name=metadata.name,
            public=metadata.auth_method == "none",
            redirect_uris=metadata.redirect_uris,
            post_logout_redirect_uris=(),
            grant_types=metadata.grant_types,
            scope=metadata.scope,
            first_party=False,  # a third party: its users are always asked to consent
            now=now,
            auth_method=metadata.auth_method,
            jwks=metadata.jwks,
            jwks_uri=metadata.jwks_uri,
            registration_token_hash=sha256_hex(registration_token),
            profile=metadata.profile,
            require_pushed_authorization_requests=metadata.profile is not None,
        )
        Bridge.await_store(store.client_cache.refresh)
        request.audited_client_id = record.client_id
        body = {
            "client_id": record.client_id,
            "client_id_issued_at": int(now),
            **metadata.as_metadata(),
            "registration_access_token": registration_token,
            "registration_client_uri": _client_uri(self.server, record.client_id),
        }
        if secret is not None:
            body.update(client_secret=secret, client_secret_expires_at=0)
        return 201, body, JSON_HEADERS


def _client_uri(server: SageAuthorizationServer, client_id: str) -> str:
    return server.settings.url(f"{REGISTRATION_PATH}/{client_id}")


class RegistrationAccessToken:
    def __init__(self, value: str) -> None:
        self.hash = sha256_hex(value)

    def check_client(self, client: ClientRecord) -> bool:
        expected = client.registration_token_hash
        return expected is not None and hmac.compare_digest(expected, self.hash)


class SageClientConfigurationEndpoint(ClientConfigurationEndpoint):  # type: ignore[misc]
    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(server)

    def authenticate_token(self, request: RegistrationRequest) -> RegistrationAccessToken:
        """Checked against the client in `authenticate_client`: a missing token too is an
        `invalid_token` (RFC 7592 §2, RFC 6750 §3.1)."""
        return RegistrationAccessToken(request.bearer or "")

    def authenticate_client(self, request: RegistrationRequest) -> ClientRecord:
        """The client named in the URL, if the token is its registration access token; any
        mismatch is one `invalid_token` (RFC 7592 §2), telling nothing about the client."""
        client: ClientRecord | None = None
        if request.client_id:
            client = Bridge.await_store(self.server.store.clients.get, request.client_id)
        if client is None or not RegistrationAccessToken(request.bearer or "").check_client(client):
            raise InvalidTokenError("Not the registration access token of this client.")
        request.audited_client_id = client.client_id
        return client

    def revoke_access_token(self, *args: Any) -> None:
        pass  # the token lives on the client's row

    def check_permission(self, client: ClientRecord, request: RegistrationRequest) -> bool:
        return True

    def create_configuration_response(self, request: RegistrationRequest) -> Any:
        if request.method == "PUT" and not isinstance(request.payload.data.get("client_id"), str):
            raise InvalidRequestError("The client's metadata must include its 'client_id'.")
        return super().create_configuration_response(request)

    def introspect_client(self, client: ClientRecord) -> dict[str, Any]:
        metadata = RegisteredMetadata(
            name=client.name,
            redirect_uris=client.redirect_uris,
            grant_types=client.grant_types,
            scope=client.scope,
            auth_method=client.token_endpoint_auth_method,
            jwks=client.jwks,
            jwks_uri=client.jwks_uri,
            profile=client.profile,
        )
        return {"client_id": client.client_id, **metadata.as_metadata()}

    def generate_client_registration_info(
        self, client: ClientRecord, request: RegistrationRequest
    ) -> dict[str, str]:
        return {
            "registration_client_uri": _client_uri(self.server, client.client_id),
            "registration_access_token": request.bearer or "",
        }

    def extract_client_metadata(self, request: RegistrationRequest) -> dict[str, Any]:
        client: ClientRecord = request.client
        # An update keeps the restricted scopes it was granted, and gains none.
        allowed = " ".join(sorted(client.scopes & RESTRICTED_SCOPES))
        data = {k: v for k, v in request.payload.data.items() if k != "client_secret"}
        request.registered = _policy(data, allowed)
        if request.registered.auth_method != client.token_endpoint_auth_method:
            raise InvalidClientMetadataError("'token_endpoint_auth_method' cannot change.")
        if request.registered.profile != client.profile:
            raise InvalidClientMetadataError("'profile' cannot change.")
        return request.registered.as_metadata()

    def update_client(
        self, client: ClientRecord, client_metadata: dict[str, Any], request: RegistrationRequest
    ) -> ClientRecord:
        metadata = request.registered
        assert metadata is not None
        store = self.server.store
        Bridge.await_store(
            store.clients.update_registered,
            client.client_id,
            self.server.clock.now(),
            name=metadata.name,
            redirect_uris=list(metadata.redirect_uris),
            grant_types=list(metadata.grant_types),
            scope=metadata.scope,
            jwks=metadata.jwks,
            jwks_uri=metadata.jwks_uri,
        )
        Bridge.await_store(store.client_cache.refresh)
        updated: ClientRecord | None = Bridge.await_store(store.clients.get, client.client_id)
        assert updated is not None
        return updated

    def delete_client(self, client: ClientRecord, request: RegistrationRequest) -> None:
        store = self.server.store
        Bridge.await_store(store.clients.remove, client.client_id)
        Bridge.await_store(store.client_cache.refresh)
