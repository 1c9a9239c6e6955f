"""This client at one provider: discovery and keys fetched once, and only when needed, so
handing out a still-fresh access token never touches the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from ._cache import TokenCache
from ._clock import Clock, SystemClock
from ._dpop import DPoPAuth, DPoPProofs, installation_key, provider_supports_dpop
from ._exceptions import ProviderError
from ._http import get_json
from ._jwks import JWKSCache
from ._logout import build_end_session_url, http_revoker
from ._metadata import ProviderMetadata, fetch_provider_metadata
from ._session import Refresher, Session
from ._sign_in import refreshed_id_token_validator
from ._tokens import TokenResponse, refresh_token_grant, request_token


class RelyingParty:
    """The client `client_id` of the provider `issuer`, talking through `http`.

    `metadata` is fetched on first use (OIDC Discovery), then kept; the JWKS likewise
    (with one refetch for an unknown `kid`, see `JWKSCache`). Tokens are DPoP-bound
    (RFC 9449) to this installation's key whenever the provider advertises ES256 proofs;
    `dpop=False` keeps them bearer tokens everywhere.
    """

    def __init__(
        self,
        http: httpx.Client,
        issuer: str,
        client_id: str,
        *,
        clock: Clock | None = None,
        dpop: bool = True,
    ) -> None:
        self.http = http
        self.issuer = issuer
        self.client_id = client_id
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.dpop = dpop
        self._metadata: ProviderMetadata | None = None
        self._proofs: DPoPProofs | None = None
        self.jwks = JWKSCache(lambda: get_json(self.http, self.metadata.jwks_uri))

    @property
    def metadata(self) -> ProviderMetadata:
        """The provider metadata, fetched on first access."""
        if self._metadata is None:
            self._metadata = fetch_provider_metadata(self.http, self.issuer)
        return self._metadata

    def dpop_proofs(self, cache: TokenCache) -> DPoPProofs | None:
        """The proofs of this installation (its key kept beside `cache`, sealed like it),
        or `None` where tokens stay bearer: the provider takes no ES256 proofs, or `dpop`
        is off. One per relying party, so the server nonces it learns are kept."""
        if not self.dpop or not provider_supports_dpop(self.metadata):
            return None
        if self._proofs is None:
            self._proofs = DPoPProofs(installation_key(cache))
        return self._proofs

    def token_auth(self, cache: TokenCache) -> httpx.Auth | None:
        """What token requests carry: a DPoP proof (see `dpop_proofs`), else nothing."""
        proofs = self.dpop_proofs(cache)
        return None if proofs is None else DPoPAuth(proofs)

    def request_token(self, cache: TokenCache, body: dict[str, str]) -> TokenResponse:
        """POST `body` to the token endpoint, with a DPoP proof when tokens are bound."""
        endpoint = self.metadata.token_endpoint
        auth = self.token_auth(cache)
        return request_token(self.http, endpoint, body, now=self.clock.now(), auth=auth)

    def _refresh(
        self,
        cache: TokenCache,
        refresh_token: str,
        scope: str | None = None,
        audience: str | None = None,
    ) -> TokenResponse:
        body = refresh_token_grant(
            refresh_token, client_id=self.client_id, scope=scope, audience=audience
        )
        return self.request_token(cache, body)

    def session(
        self,
        cache: TokenCache,
        *,
        subject: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Session:
        """Return the `Session` of this client's account in `cache` (refreshes validate the
        returned ID token against this provider's keys)."""
        validator = refreshed_id_token_validator(
            self.jwks, issuer=self.issuer, client_id=self.client_id, clock=self.clock
        )
        return Session(
            cache,
            self.issuer,
            self.client_id,
            lambda refresh_token: self._refresh(cache, refresh_token),
            subject=subject,
            validate_refreshed_id_token=validator,
            sleep=sleep,
            dpop=lambda: self.dpop_proofs(cache),
        )

    def narrowed_refresher(
        self, cache: TokenCache, *, scope: str | None, audience: str | None
    ) -> Refresher:
        """A `Refresher` asking fewer scopes and/or one audience (see `Session`)."""
        return lambda refresh_token: self._refresh(cache, refresh_token, scope, audience)

    def revoke(self, refresh_token: str) -> None:
        """Revoke `refresh_token` at the provider (RFC 7009); usable as a `Revoker`."""
        endpoint = self.metadata.revocation_endpoint
        if endpoint is None:
            raise ProviderError(f"{self.issuer} publishes no revocation_endpoint")
        http_revoker(self.http, endpoint, self.client_id)(refresh_token)

    def end_session_url(self, id_token_hint: str | None) -> str:
        """Return the provider's sign-out URL for the browser (OIDC RP-Initiated Logout)."""
        endpoint = self.metadata.end_session_endpoint
        if endpoint is None:
            raise ProviderError(f"{self.issuer} publishes no end_session_endpoint")
        return build_end_session_url(
            endpoint, client_id=self.client_id, id_token_hint=id_token_hint
        )
