"""The provider's signing keys, cached; an unknown `kid` triggers exactly one refetch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ._exceptions import IdTokenError, ProviderError
from ._http import get_json
from ._id_token import id_token_kid

JWKSFetcher = Callable[[], Mapping[str, Any]]


def jwks_fetcher(http: httpx.Client, jwks_uri: str) -> JWKSFetcher:
    """Return a fetcher that GETs `jwks_uri` through `http`."""
    return lambda: get_json(http, jwks_uri)


def _has_key(keys: KeySet, kid: str | None) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys)


class JWKSCache:
    """In-memory JWKS, refetched once when a token names a key it does not hold.

    Providers rotate keys by publishing the new key before signing with it (DESIGN.md §3),
    so an unknown `kid` means our copy is stale; one refetch per lookup bounds the load a
    forged `kid` can cause.
    """

    def __init__(self, fetch: JWKSFetcher) -> None:
        self._fetch = fetch
        self._keys: KeySet | None = None

    def _refetch(self) -> KeySet:
        data = self._fetch()
        try:
            keys = KeySet.import_key_set({"keys": list(data.get("keys", []))})
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise ProviderError(f"the provider's JWKS is invalid: {error}") from error
        self._keys = keys
        return keys

    def key_set_for(self, id_token: str) -> KeySet:
        """Return a key set holding the key `id_token` names, refetching once if needed."""
        kid = id_token_kid(id_token)
        keys = self._keys
        if keys is None or not _has_key(keys, kid):
            keys = self._refetch()
        if not _has_key(keys, kid):
            raise IdTokenError("kid", f"the provider publishes no key {kid!r}")
        return keys
