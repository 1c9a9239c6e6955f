"""DPoP (RFC 9449): this installation's P-256 key, the proofs it signs, the server nonces
it remembers, and the `httpx.Auth` that sends a proof and answers one `use_dpop_nonce`.

The key is generated on first use and kept beside the token cache, sealed exactly like it
(`TokenCache.installation_secret`): a stolen refresh token is useless without it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Generator
from typing import TYPE_CHECKING, Final

import httpx
from joserfc import jws
from joserfc.jwk import ECKey

from ._clock import Clock, SystemClock

if TYPE_CHECKING:
    from ._cache import TokenCache
    from ._metadata import ProviderMetadata

DPOP_ALGORITHM: Final = "ES256"
DPOP_TOKEN_TYPE: Final = "DPoP"
KEY_SECRET_NAME: Final = "dpop-key"


def provider_supports_dpop(metadata: ProviderMetadata) -> bool:
    """True if the provider takes our proofs (RFC 9449 §5.1 metadata names ES256)."""
    return DPOP_ALGORITHM in metadata.dpop_signing_alg_values_supported


def installation_key(cache: TokenCache) -> ECKey:
    """Return this installation's DPoP key, created (and sealed beside `cache`) on first use."""
    secret = cache.installation_secret(
        KEY_SECRET_NAME, lambda: dict(ECKey.generate_key("P-256").as_dict(private=True))
    )
    return ECKey.import_key(secret)


def access_token_hash(access_token: str) -> str:
    """The `ath` claim: base64url(SHA-256(access token)) without padding (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _is_nonce_challenge(response: httpx.Response, *, token_endpoint: bool) -> bool:
    # §8: a 400 `use_dpop_nonce` from the token endpoint; §9: a 401 DPoP challenge.
    if "dpop-nonce" not in response.headers:
        return False
    if response.status_code == 401:
        return "use_dpop_nonce" in response.headers.get("www-authenticate", "")
    if response.status_code == 400 and token_endpoint:  # Its body was read (`DPoPAuth`).
        try:
            return bool(json.loads(response.read()).get("error") == "use_dpop_nonce")
        except (ValueError, AttributeError):
            return False
    return False


class DPoPProofs:
    """Signs proofs with `key` and remembers the latest `DPoP-Nonce` of each server.

    `clock` gives `iat`: the provider compares it with its own clock, so it is always the
    wall clock, never a client clock moved to age tokens.
    """

    def __init__(self, key: ECKey, *, clock: Clock | None = None) -> None:
        self.key = key
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.nonces: dict[str, str] = {}
        self._public_jwk = dict(key.as_dict(private=False))

    @property
    def thumbprint(self) -> str:
        """The key's JWK SHA-256 thumbprint (RFC 7638), the `cnf.jkt` of bound tokens."""
        return str(self.key.thumbprint())

    def proof(self, method: str, url: str, *, access_token: str | None = None) -> str:
        """Return a proof for `method` `url` (`htu` without query and fragment, §4.2),
        bound to `access_token` (`ath`) at resource servers, with the server's nonce if any."""
        target = httpx.URL(url)
        claims: dict[str, object] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": str(target.copy_with(query=None, fragment=None)),
            "iat": int(self.clock.now()),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        nonce = self.nonces.get(_origin(target))
        if nonce is not None:
            claims["nonce"] = nonce
        header = {"typ": "dpop+jwt", "alg": DPOP_ALGORITHM, "jwk": self._public_jwk}
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return str(jws.serialize_compact(header, payload, self.key, algorithms=[DPOP_ALGORITHM]))

    def remember_nonce(self, response: httpx.Response) -> None:
        """Keep the `DPoP-Nonce` a response carries for the next proofs to its server."""
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            self.nonces[_origin(response.request.url)] = nonce

    def challenged(self, response: httpx.Response, *, token_endpoint: bool = False) -> bool:
        """Remember the response's `DPoP-Nonce`; True if it asks to retry with it (the
        token endpoint's body must have been read)."""
        self.remember_nonce(response)
        return _is_nonce_challenge(response, token_endpoint=token_endpoint)

    def sign(self, request: httpx.Request, access_token: str | None = None) -> httpx.Request:
        """Put a fresh proof in `request` (and `Authorization: DPoP` with `access_token`)."""
        url = str(request.url)
        request.headers["DPoP"] = self.proof(request.method, url, access_token=access_token)
        if access_token is not None:
            request.headers["Authorization"] = f"{DPOP_TOKEN_TYPE} {access_token}"
        return request


class DPoPAuth(httpx.Auth):
    """A proof on every request (token endpoint: no access token), with one nonce retry."""

    requires_request_body = True  # The form is sent again after a nonce challenge.
    requires_response_body = True  # The token endpoint's challenge is in its JSON body.

    def __init__(self, proofs: DPoPProofs, access_token: str | None = None) -> None:
        self.proofs = proofs
        self.access_token = access_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send `request` with a proof, answering one nonce challenge."""
        response = yield self.proofs.sign(request, self.access_token)
        if self.proofs.challenged(response, token_endpoint=self.access_token is None):
            response = yield self.proofs.sign(request, self.access_token)
            self.proofs.remember_nonce(response)
