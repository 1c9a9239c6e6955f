"""A signed-in account: hands out fresh access tokens, refreshing under the cache lock.

The refresh is read → refresh → write with the OS file lock held and the cache re-read
after taking it, so when two processes need a refresh at once the second finds the
first's result instead of spending the already-rotated refresh token (which the provider
would treat as reuse and answer with `invalid_grant`, revoking the whole grant).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._cache import TokenCache
from ._clock import Clock
from ._entry import CacheEntry
from ._exceptions import (
    IdTokenError,
    OAuthError,
    SageIDError,
    SignInExpired,
    SignInRequired,
    SignInRevoked,
)
from ._http import Backoff, retry_unsent
from ._i18n import _
from ._tokens import TokenResponse, refresh_token_grant, request_token

if TYPE_CHECKING:
    import httpx

    from ._dpop import DPoPProofs

logger = logging.getLogger("sageid.client")

Refresher = Callable[[str], TokenResponse]
"""Spends a refresh token at the provider and returns the token response."""

RefreshedIdTokenValidator = Callable[[str, str], Mapping[str, Any]]
"""Validates a refreshed ID token (given it and the new access token); returns its claims."""

Revoker = Callable[[str], None]
"""Revokes a refresh token at the provider (RFC 7009)."""

DEFAULT_REFRESH_MARGIN = 60.0


def http_refresher(
    http: httpx.Client, token_endpoint: str, client_id: str, *, clock: Clock
) -> Refresher:
    """Return a `Refresher` posting the refresh_token grant to `token_endpoint` through `http`."""

    def refresh(refresh_token: str) -> TokenResponse:
        body = refresh_token_grant(refresh_token, client_id=client_id)
        return request_token(http, token_endpoint, body, now=clock.now())

    return refresh


class Session:
    """One account of one client at one issuer, backed by a `TokenCache`.

    `subject` pins the account; without it the cache must hold exactly one account for
    this issuer and client. Network failures that happened before the request was sent
    are retried with `backoff`; a refresh whose request may have reached the provider is
    never replayed, since the provider may already have rotated the token.
    """

    def __init__(
        self,
        cache: TokenCache,
        issuer: str,
        client_id: str,
        refresh: Refresher,
        *,
        subject: str | None = None,
        validate_refreshed_id_token: RefreshedIdTokenValidator | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        dpop: Callable[[], DPoPProofs | None] | None = None,
    ) -> None:
        self.cache = cache
        self.issuer = issuer
        self.client_id = client_id
        self.subject = subject
        self._refresh = refresh
        self._validate_id_token = validate_refreshed_id_token
        self.refresh_margin = refresh_margin
        self._backoff = backoff if backoff is not None else Backoff()
        self._sleep = sleep
        self._dpop = dpop

    def dpop_proofs(self) -> DPoPProofs | None:
        """The proofs resource calls need for this account's DPoP-bound tokens, if any."""
        return None if self._dpop is None else self._dpop()

    def entry(self) -> CacheEntry:
        """Return the cached entry (claims, expiry), or raise `SignInRequired`."""
        entry = self.cache.find(self.issuer, self.client_id, self.subject)
        self.subject = entry.subject
        return entry

    def get_access_token(self) -> str:
        """Return an access token valid for more than `refresh_margin` seconds.

        Refreshes if needed; raises `SignInRequired` when the sign-in is over (refresh token
        missing, past 30 days, or refused with `invalid_grant`).
        """
        return self.fresh_entry().access_token

    def fresh_entry(self) -> CacheEntry:
        """Return the entry with an access token valid for more than `refresh_margin`
        seconds (its `token_type` says how to send it), refreshing if needed."""
        entry = self.entry()
        if entry.access_token_fresh(self.cache.clock.now(), self.refresh_margin):
            return entry
        return self.refreshed_entry()

    def refresh_access_token(self, rejected: str | None = None) -> str:
        """Refresh under the cache lock and return the new access token.

        `rejected` is an access token a resource server refused (401): it is replaced even
        if not yet expired, unless another process already replaced it.
        """
        return self.refreshed_entry(rejected).access_token

    def refreshed_entry(self, rejected: str | None = None) -> CacheEntry:
        """`refresh_access_token`, returning the whole refreshed entry."""
        with self.cache.locked():
            entry = self.entry()  # Re-read: another process may have refreshed meanwhile.
            now = self.cache.clock.now()
            if entry.access_token != rejected and entry.access_token_fresh(
                now, self.refresh_margin
            ):
                return entry
            response = self._spend(
                entry,
                lambda token: retry_unsent(
                    lambda: self._refresh(token), self._backoff, self._sleep
                ),
            )
            refreshed = entry.refreshed(response, self._refreshed_claims(entry, response))
            self.cache.store(refreshed)
            return refreshed

    def narrowed_access_token(self, refresh: Refresher) -> TokenResponse:
        """Spend the refresh token with `refresh` (one asking fewer scopes or one audience,
        RFC 6749 §6 / RFC 8707) and return its answer; the rotated refresh token is stored,
        the cached access token and claims are kept (the narrowed token is for the caller).
        """
        with self.cache.locked():
            entry = self.entry()
            response = self._spend(entry, refresh)
            if response.refresh_token:
                self.cache.store(replace(entry, refresh_token=response.refresh_token))
            return response

    def _spend(self, entry: CacheEntry, refresh: Refresher) -> TokenResponse:
        # An ended sign-in (past its end, or refused with `invalid_grant`) is forgotten.
        refresh_token = entry.usable_refresh_token(self.cache.clock.now())
        if refresh_token is None:
            self._forget(entry)
            raise SignInExpired(_("the sign-in has expired; please sign in again"))
        try:
            return refresh(refresh_token)
        except OAuthError as error:
            if error.error != "invalid_grant":
                raise
            self._forget(entry)
            raise SignInRevoked(
                _("the provider ended this sign-in; please sign in again")
            ) from error

    def _refreshed_claims(
        self, entry: CacheEntry, response: TokenResponse
    ) -> Mapping[str, Any] | None:
        if response.id_token is None or self._validate_id_token is None:
            return None
        claims = self._validate_id_token(response.id_token, response.access_token)
        # OIDC Core §12.2: a refreshed ID token must be about the same account.
        if claims.get("sub") != entry.subject:
            raise IdTokenError("sub", "the refreshed ID token names another account")
        return claims

    def _forget(self, entry: CacheEntry) -> None:
        self.cache.remove(entry.issuer, entry.client_id, entry.subject)

    def sign_out(self, revoke: Revoker | None = None) -> CacheEntry | None:
        """Delete the cache entry, then revoke its refresh token (best effort).

        Returns the removed entry (its `id_token` serves as `id_token_hint` for RP-initiated
        logout), or `None` if nobody was signed in.
        """
        with self.cache.locked():
            try:
                entry = self.entry()
            except SignInRequired:
                return None
            self._forget(entry)
        if revoke is not None and entry.refresh_token is not None:
            try:
                revoke(entry.refresh_token)
            except SageIDError as error:
                logger.warning("Could not revoke the refresh token at the provider: %s", error)
        return entry
