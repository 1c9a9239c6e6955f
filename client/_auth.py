"""`httpx.Auth` that sends the session's bearer token (RFC 6750 §2.1) and, after a 401,
retries once with a refreshed token.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import anyio.to_thread
import httpx

from ._session import Session


def _authorize(request: httpx.Request, access_token: str) -> httpx.Request:
    request.headers["Authorization"] = f"Bearer {access_token}"
    return request


class AccessTokenAuth(httpx.Auth):
    """Send one given access token (RFC 6750 §2.1): a token from the environment
    (`SAGEID_TOKEN`, for CI) or one just issued. Nothing to refresh, so no retry."""

    def __init__(self, access_token: str) -> None:
        self.access_token = access_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send the request with the token."""
        yield _authorize(request, self.access_token)


class BearerAuth(httpx.Auth):
    """Authenticate httpx requests as the `session`'s account.

    Works with `httpx.Client` and `httpx.AsyncClient`; in the async case the cache and
    refresh work (file lock, keyring, token endpoint) runs in a worker thread so the event
    loop never blocks.
    """

    requires_request_body = True  # The body is replayed on the retry after a 401.

    def __init__(self, session: Session) -> None:
        self.session = session

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the current token; on 401, refresh and send once more."""
        token = self.session.get_access_token()
        response = yield _authorize(request, token)
        if response.status_code == 401:
            yield _authorize(request, self.session.refresh_access_token(rejected=token))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The same flow with the blocking token work off the event loop."""
        token = await anyio.to_thread.run_sync(self.session.get_access_token)
        response = yield _authorize(request, token)
        if response.status_code == 401:
            fresh = await anyio.to_thread.run_sync(
                lambda: self.session.refresh_access_token(rejected=token)
            )
            yield _authorize(request, fresh)
