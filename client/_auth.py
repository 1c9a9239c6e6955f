"""`httpx.Auth` that sends the session's access token — as a bearer token (RFC 6750 §2.1)
or, when it is DPoP-bound, as `Authorization: DPoP` with a proof (RFC 9449 §7) — answering
one `use_dpop_nonce` challenge and, after a 401, retrying once with a refreshed token.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import anyio.to_thread
import httpx

from ._dpop import DPOP_TOKEN_TYPE, DPoPProofs
from ._entry import CacheEntry
from ._session import Session


def _authorize(
    request: httpx.Request, access_token: str, proofs: DPoPProofs | None = None
) -> httpx.Request:
    if proofs is not None:
        return proofs.sign(request, access_token)
    request.headers["Authorization"] = f"Bearer {access_token}"
    return request


def _sent(
    request: httpx.Request, access_token: str, proofs: DPoPProofs | None
) -> Generator[httpx.Request, httpx.Response, httpx.Response]:
    # A DPoP nonce challenge (RFC 9449 §9) is answered once, with the nonce it brought.
    response = yield _authorize(request, access_token, proofs)
    if proofs is not None and proofs.challenged(response):
        response = yield _authorize(request, access_token, proofs)
    return response


class AccessTokenAuth(httpx.Auth):
    """Send one given access token (RFC 6750 §2.1): a token from the environment
    (`SAGEID_TOKEN`, for CI) or one just issued. Nothing to refresh, so no retry.

    With `proofs`, the token is DPoP-bound: it goes with a proof, retried once for a nonce.
    """

    def __init__(self, access_token: str, proofs: DPoPProofs | None = None) -> None:
        self.access_token = access_token
        self.proofs = proofs

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send the request with the token."""
        yield from _sent(request, self.access_token, self.proofs)


class BearerAuth(httpx.Auth):
    """Authenticate httpx requests as the `session`'s account (bearer or DPoP tokens alike,
    as the cache entry's `token_type` says).

    Works with `httpx.Client` and `httpx.AsyncClient`; in the async case the cache and
    refresh work (file lock, keyring, token endpoint) runs in a worker thread so the event
    loop never blocks.
    """

    requires_request_body = True  # The body is replayed on the retry after a 401.

    def __init__(self, session: Session) -> None:
        self.session = session

    def _proofs(self, entry: CacheEntry) -> DPoPProofs | None:
        return self.session.dpop_proofs() if entry.token_type == DPOP_TOKEN_TYPE else None

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the current token; on 401, refresh and send once more."""
        entry = self.session.fresh_entry()
        response = yield from _sent(request, entry.access_token, self._proofs(entry))
        if response.status_code == 401:
            fresh = self.session.refreshed_entry(rejected=entry.access_token)
            yield from _sent(request, fresh.access_token, self._proofs(fresh))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The same flow with the blocking token work off the event loop (an async
        generator cannot `yield from` the sync one)."""
        entry = await anyio.to_thread.run_sync(self.session.fresh_entry)
        proofs = await anyio.to_thread.run_sync(lambda: self._proofs(entry))
        response = yield _authorize(request, entry.access_token, proofs)
        if proofs is not None and proofs.challenged(response):
            response = yield _authorize(request, entry.access_token, proofs)
        if response.status_code == 401:
            fresh = await anyio.to_thread.run_sync(
                lambda: self.session.refreshed_entry(rejected=entry.access_token)
            )
            proofs = await anyio.to_thread.run_sync(lambda: self._proofs(fresh))
            response = yield _authorize(request, fresh.access_token, proofs)
            if proofs is not None and proofs.challenged(response):
                yield _authorize(request, fresh.access_token, proofs)
