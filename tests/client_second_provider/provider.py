"""A second, independent OpenID provider for the CLI's tests, built with Authlib's generic
server (no Sage ID code): authorization code with PKCE, device flow (RFC 8628), refresh
tokens rotated and ending one day after the sign-in, userinfo, revocation. Unlike Sage ID:
its ID tokens carry no `name` (only userinfo does), its subjects look like `usr_alice_0001`,
it refuses scopes it does not know (`referencing`, `edi`), it publishes no sign-in lifetime
in its metadata and says it per token response instead (`refresh_token_expires_in`).

Served by the standard library's WSGI server on a loopback port, in a thread of the test.
The user is always Alice and always consents: `/authorize` answers at once, and
`approve(user_code)` is her visit to the device page.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any, ClassVar
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Error,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin, TokenMixin
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant
from authlib.oauth2.rfc8628.models import DeviceCredentialDict
from authlib.oidc.core import OpenIDCode, OpenIDToken, UserInfo
from joserfc.jwk import RSAKey

CLIENT_ID = "acme-cli"
SCOPES = ("openid", "profile", "email", "offline_access", "orders")
SIGN_IN_LIFETIME = 86_400  # one day from the sign-in, never extended
ACCESS_TOKEN_LIFETIME = 300
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
Environ = dict[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class User:
    sub: str = "usr_alice_0001"
    name: str = "Alice Liddell"
    email: str = "alice@acme.example"


ALICE = User()


class Client(ClientMixin):  # type: ignore[misc]
    """The public native client: any loopback port (RFC 8252 §7.3), PKCE, no secret."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return "http://127.0.0.1/callback"

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        scheme, _, rest = redirect_uri.partition("://")
        host, _, path = rest.partition("/")
        return scheme == "http" and host.startswith("127.0.0.1:") and path == "callback"

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token", DEVICE_GRANT)


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Token(TokenMixin):  # type: ignore[misc]
    access_token: str
    refresh_token: str | None
    scope: str
    issued_at: float
    auth_time: float
    revoked: bool = False

    def check_client(self, client: ClientMixin) -> bool:
        return bool(client.get_client_id() == CLIENT_ID)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return ACCESS_TOKEN_LIFETIME

    def is_expired(self) -> bool:
        return time.time() > self.auth_time + SIGN_IN_LIFETIME

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> User:
        return ALICE

    def get_client(self) -> Client:
        return Client()


@dataclass
class Store:
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    devices: dict[str, DeviceCredentialDict] = field(default_factory=dict)
    approved: set[str] = field(default_factory=set)  # user codes Alice approved
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    dpop_headers: int = 0  # requests that came with a DPoP proof (this provider takes none)

    def token(self, **match: str) -> Token | None:
        for token in self.tokens:
            if all(getattr(token, name) == value for name, value in match.items()):
                return token
        return None


class Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, method: str, uri: str, headers: dict[str, str], query: str, body: str):
        super().__init__(method, uri, headers=headers)
        self._args = dict(parse_qsl(query))
        self._form = dict(parse_qsl(body))
        self.payload = BasicOAuth2Payload({**self._args, **self._form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class IdToken(OpenIDToken):  # type: ignore[misc]
    """ID tokens without a name (sub and email only), signed RS256 with the provider's key."""

    def __init__(self, provider: SecondProvider) -> None:
        self.provider = provider

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.provider.key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        return {"iss": self.provider.issuer, "aud": [CLIENT_ID], "exp": int(time.time()) + 300}

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": str(self.provider.key.kid)}

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        claims = {"sub": user.sub}
        if "email" in scope.split():
            claims["email"] = user.email
        return UserInfo(claims)


class CodeIdToken(IdToken, OpenIDCode):  # type: ignore[misc]
    def __init__(self, provider: SecondProvider) -> None:
        super().__init__(provider)
        self.require_nonce = True

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return any(code.nonce == nonce for code in self.provider.store.codes.values())


class SecondProvider:
    """The provider at `issuer` (set once its server listens)."""

    def __init__(self) -> None:
        self.issuer = ""
        self.key = RSAKey.generate_key(2048, parameters={"use": "sig"}, auto_kid=True)
        self.store = Store()
        self.server = self._authorization_server()

    # --- Authlib's server, wired to this object ---------------------------------------

    def _authorization_server(self) -> AuthorizationServer:
        provider, store = self, self.store

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> Client | None:
                return Client() if client_id == CLIENT_ID else None

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                previous = request.refresh_token  # set by the refresh grant
                auth_time = previous.auth_time if previous else time.time()
                store.tokens.append(
                    Token(
                        token["access_token"],
                        token.get("refresh_token"),
                        token["scope"],
                        time.time(),
                        auth_time,
                    )
                )
                if token.get("refresh_token"):
                    # Not in RFC 6749; Azure AD and GitHub say so: the refresh token's life.
                    token["refresh_token_expires_in"] = int(
                        auth_time + SIGN_IN_LIFETIME - time.time()
                    )

            def create_oauth2_request(self, request: Request) -> Request:
                return request

            def create_json_request(self, request: Request) -> Request:
                return request

            def handle_response(
                self, status: int, body: Any, headers: list[tuple[str, str]]
            ) -> tuple[int, Any, list[tuple[str, str]]]:
                return status, body, list(headers)

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

        class Codes(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                data = request.payload.data
                store.codes[code] = Code(
                    code,
                    request.payload.redirect_uri,
                    request.payload.scope,
                    data.get("nonce"),
                    data.get("code_challenge"),
                    data.get("code_challenge_method"),
                    int(time.time()),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                return store.codes.get(code)

            def delete_authorization_code(self, authorization_code: Code) -> None:
                store.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> User:
                return ALICE

        class Refresh(grants.RefreshTokenGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
            INCLUDE_NEW_REFRESH_TOKEN = True

            def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
                token = store.token(refresh_token=refresh_token)
                if token is None or token.is_revoked() or token.is_expired():
                    return None
                return token

            def authenticate_user(self, refresh_token: Token) -> User:
                return ALICE

            def revoke_old_credential(self, refresh_token: Token) -> None:
                refresh_token.revoked = True

        class Device(DeviceCodeGrant):  # type: ignore[misc]
            def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
                return store.devices.get(device_code)

            def query_user_grant(self, user_code: str) -> tuple[User, bool] | None:
                return (ALICE, True) if user_code in store.approved else None

            def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
                return False

        class DeviceEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
            INTERVAL = 1

            def get_verification_uri(self) -> str:
                return f"{provider.issuer}/activate"

            def save_device_credential(
                self, client_id: str, scope: str, data: dict[str, Any]
            ) -> None:
                expires_at = int(time.time()) + data["expires_in"]
                credential = {"client_id": client_id, "scope": scope, "expires_at": expires_at}
                store.devices[data["device_code"]] = DeviceCredentialDict({**data, **credential})

        class Revocation(RevocationEndpoint):  # type: ignore[misc]
            CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

            def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
                return store.token(refresh_token=token_string) or store.token(
                    access_token=token_string
                )

            def revoke_token(self, token: Token, request: OAuth2Request) -> None:
                token.revoked = True

        server = Server(scopes_supported=list(SCOPES))
        server.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda *a, **k: "acme-at-" + secrets.token_urlsafe(16),
                refresh_token_generator=lambda *a, **k: "acme-rt-" + secrets.token_urlsafe(16),
                expires_generator=lambda client, grant_type: ACCESS_TOKEN_LIFETIME,
            ),
        )
        server.register_grant(Codes, [CodeChallenge(required=True), CodeIdToken(provider)])
        server.register_grant(Refresh, [IdToken(provider)])
        server.register_grant(Device, [IdToken(provider)])
        server.register_endpoint(DeviceEndpoint)
        server.register_endpoint(Revocation)
        return server

    # --- the user's side ------------------------------------------------------------------

    def approve(self, user_code: str) -> None:
        """Alice enters `user_code` on the device page and approves."""
        self.store.approved.add(user_code)

    # --- HTTP -----------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "device_authorization_endpoint": f"{base}/device/code",
            "revocation_endpoint": f"{base}/revoke",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode() if length else ""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        query = environ.get("QUERY_STRING", "")
        self.store.requests.append((method, path, dict(parse_qsl(query or body))))
        self.store.dpop_headers += "Dpop" in headers
        request = Request(method, self.issuer + path, headers, query, body)
        status, answer, extra = self._route(method, path, request)
        if isinstance(answer, dict):
            payload = json.dumps(answer).encode()
            extra = [*extra, ("Content-Type", "application/json")]
        else:
            payload = str(answer).encode()
        start_response(f"{status} -", [*extra, ("Cache-Control", "no-store")])
        return [payload]

    def _route(
        self, method: str, path: str, request: Request
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        server = self.server
        if path == "/.well-known/openid-configuration":
            return 200, self.metadata(), []
        if path == "/jwks":
            return 200, {"keys": [self.key.as_dict(private=False)]}, []
        if path == "/authorize":  # Alice is signed in and consents
            try:
                grant = server.get_consent_grant(request=request, end_user=ALICE)
            except OAuth2Error as error:  # before the redirect URI is known good: no redirect
                return error.status_code, dict(error.get_body()), []
            return server.create_authorization_response(  # type: ignore[no-any-return]
                request, grant_user=ALICE, grant=grant
            )
        if path == "/token" and method == "POST":
            return server.create_token_response(request)  # type: ignore[no-any-return]
        if path == "/device/code" and method == "POST":
            return server.create_endpoint_response("device_authorization", request)  # type: ignore[no-any-return]
        if path == "/revoke" and method == "POST":
            return server.create_endpoint_response("revocation", request)  # type: ignore[no-any-return]
        if path == "/userinfo":
            return self._userinfo(request)
        return 404, {"error": "not_found"}, []

    def _userinfo(self, request: Request) -> tuple[int, Any, list[tuple[str, str]]]:
        # OIDC Core §5.3: the name is here, never in the ID token.
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        token = self.store.token(access_token=value) if scheme == "Bearer" else None
        if token is None or token.revoked or time.time() > token.issued_at + ACCESS_TOKEN_LIFETIME:
            return 401, "", [("WWW-Authenticate", 'Bearer error="invalid_token"')]
        scope = token.scope.split()
        claims = {"sub": ALICE.sub}
        if "profile" in scope:
            claims["name"] = ALICE.name
        if "email" in scope:
            claims["email"] = ALICE.email
        return 200, claims, []


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(provider: SecondProvider) -> Iterator[SecondProvider]:
    """Serve `provider` on a free loopback port for the duration of the block."""
    httpd = make_server("127.0.0.1", 0, provider, _Threading, _Quiet)
    provider.issuer = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
