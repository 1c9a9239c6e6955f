"""`private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9): Authlib's
`JWTBearerClientAssertion`, with the client's registered keys or its `jwks_uri` (cached,
fetched again for an unknown `kid`), asymmetric algorithms only, a short `exp`, and each `jti`
accepted once across every node (the database)."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.domain.client_authentication import PRIVATE_KEY_JWT
from idp.oauth.bridge import Bridge
from idp.store.records import ClientRecord

if TYPE_CHECKING:
    from idp.oauth.server import SageAuthorizationServer

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
# An assertion is made for one request: one valid for longer is a bearer credential.
MAX_ASSERTION_LIFETIME = 300
# A client's key set is kept this long; an unknown `kid` fetches it again, at most this often.
JWKS_CACHE_SECONDS = 3600
JWKS_REFETCH_INTERVAL = 10
JWKS_FETCH_TIMEOUT = 5.0
JWKS_MAX_BYTES = 64 * 1024

_ASSERTION_KID: ContextVar[str | None] = ContextVar("assertion_kid", default=None)


class JwksUnavailable(Exception):
    pass


def public_key_set(document: Any) -> KeySet:
    """A JWK Set of public asymmetric keys, or ValueError (registration and fetched sets)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWK Set is a JSON object with a 'keys' list")
    for key in document["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC", "OKP"):
            raise ValueError("only RSA, EC and OKP public keys are accepted")
        if "d" in key:
            raise ValueError("a private key was given: register only the public key")
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as error:
        raise ValueError(f"the JWK Set cannot be read: {error}") from error


@dataclass
class _Fetched:
    keys: KeySet
    at: float


class JwksCache:
    """Key sets fetched from clients' `jwks_uri`s, per URI, thread-safe (the bridge's threads)."""

    def __init__(self) -> None:
        self._sets: dict[str, _Fetched] = {}
        self._lock = threading.Lock()

    def keys(self, uri: str, kid: str | None, now: float) -> KeySet:
        with self._lock:
            cached = self._sets.get(uri)
        fresh = cached is not None and now - cached.at < JWKS_CACHE_SECONDS
        if cached is not None and fresh and (kid is None or _has_kid(cached.keys, kid)):
            return cached.keys
        if cached is not None and fresh and now - cached.at < JWKS_REFETCH_INTERVAL:
            return cached.keys  # an unknown kid just after a fetch: not a reason to fetch again
        fetched = _Fetched(_fetch_keys(uri), now)
        with self._lock:
            self._sets[uri] = fetched
        return fetched.keys


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _fetch_keys(uri: str) -> KeySet:
    """On PostgreSQL, Authlib's greenlet waits for the fetch while the loop serves others.
    Embedded SQLite runs Authlib on the event loop: there the fetch blocks it, bounded by
    `JWKS_FETCH_TIMEOUT`, once an hour per client (and at most every `JWKS_REFETCH_INTERVAL`
    for an unknown `kid`); clients that register `jwks` instead cost nothing."""
    if Bridge.waiting_allowed():
        return Bridge.await_store(_fetch_async, uri)
    try:
        with httpx.Client(timeout=JWKS_FETCH_TIMEOUT, follow_redirects=False) as http:
            response = http.get(uri, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise JwksUnavailable(str(error)) from error
    return _key_set_of(response)


async def _fetch_async(uri: str) -> KeySet:
    try:
        async with httpx.AsyncClient(timeout=JWKS_FETCH_TIMEOUT, follow_redirects=False) as http:
            response = await http.get(uri, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise JwksUnavailable(str(error)) from error
    return _key_set_of(response)


def _key_set_of(response: httpx.Response) -> KeySet:
    if response.status_code != 200 or len(response.content) > JWKS_MAX_BYTES:
        raise JwksUnavailable(f"HTTP {response.status_code}")
    try:
        return public_key_set(response.json())
    except ValueError as error:
        raise JwksUnavailable(str(error)) from error


class PrivateKeyJWTAuthentication(JWTBearerClientAssertion):  # type: ignore[misc]
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, server: SageAuthorizationServer) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.server = server
        self.jwks_cache = JwksCache()

    def get_audiences(self) -> list[str]:
        """RFC 7523 §3: the issuer, or the token endpoint's URL (OIDC Core §9), wherever the
        assertion is presented (token, PAR, introspection, revocation)."""
        return [self.server.settings.issuer, self.server.settings.url("/token")]

    def extract_assertion(self, assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
        headers, claims = super().extract_assertion(assertion)
        kid = headers.get("kid")
        _ASSERTION_KID.set(kid if isinstance(kid, str) else None)
        return headers, claims

    def resolve_client_public_key(self, client: ClientRecord) -> KeySet:
        if client.token_endpoint_auth_method != PRIVATE_KEY_JWT:
            raise InvalidClientError(description="This client does not use private_key_jwt.")
        if client.jwks is not None:
            return public_key_set(client.jwks)
        if client.jwks_uri is None:
            raise InvalidClientError(description="This client has no registered keys.")
        try:
            return self.jwks_cache.keys(
                client.jwks_uri, _ASSERTION_KID.get(), self.server.clock.now()
            )
        except JwksUnavailable as error:
            raise InvalidClientError(description="The client's jwks_uri cannot be read.") from error

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=SIGNING_ALGORITHMS)
        except JoseError as error:
            raise InvalidClientError(description="The client assertion is not valid.") from error
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: Any) -> None:
        """Authlib's checks (`iss` = `sub`, `aud`, `exp` required, `jti` once), on our clock,
        and an `exp` at most `MAX_ASSERTION_LIFETIME` ahead."""
        now = int(self.server.clock.now())
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise InvalidClientError(description=error.description) from error
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="'iss' and 'sub' must both be the client_id.")
        if float(claims["exp"]) > now + MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(description="The client assertion lives too long.")
        if not self.validate_jti(claims, claims.get("jti")):
            raise InvalidClientError(description="A 'jti' is required, and used only once.")

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        if not isinstance(jti, str) or not jti:
            return False
        now = self.server.clock.now()
        expires_at = float(claims["exp"]) + self.leeway
        return Bridge.await_store(
            self.server.store.client_assertions.first_use, claims["sub"], jti, expires_at, now
        )
