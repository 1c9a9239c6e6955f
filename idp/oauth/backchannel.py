"""OpenID Connect Back-Channel Logout 1.0: when a browser session ends, every client it signed
into that registered a `backchannel_logout_uri` is sent a signed logout token (§2.4), off the
user's request (a task: the logout page never waits), with a bounded timeout and a few
retries; failures are logged and counted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt

from idp.keys import KeyRing
from idp.store.records import ClientRecord

log = logging.getLogger("sageid.backchannel")

EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120  # seconds: the RP checks `iat`, the token is used at once


@dataclass(frozen=True)
class LogoutNotice:
    """A client to tell that a user's session (`sid`, if it came from one) ended."""

    client_id: str
    sub: str
    sid: str | None


@dataclass(frozen=True)
class Delivery:
    timeout: float = 5.0
    attempts: int = 3
    backoff: float = 0.5  # seconds before the 2nd attempt, doubled after


def logout_token(
    keys: KeyRing, issuer: str, client: ClientRecord, notice: LogoutNotice, now: float
) -> str:
    """§2.4: `iss`, `aud`, `iat`, `exp`, `jti`, `events`, `sub` and `sid` when known; never a
    `nonce`; `typ: logout+jwt` (§2.4, so it cannot pass for an ID token), signed like the
    client's ID tokens."""
    alg = client.id_token_signed_response_alg
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client.client_id,
        "iat": int(now),
        "exp": int(now) + LOGOUT_TOKEN_LIFETIME,
        "jti": secrets.token_urlsafe(16),
        "events": {EVENT: {}},
        "sub": notice.sub,
    }
    if notice.sid:
        claims["sid"] = notice.sid
    header = {"typ": "logout+jwt", "alg": alg, "kid": keys.kid_for(alg)}
    return jwt.encode(header, claims, keys.key_for(alg), algorithms=[alg])


class BackchannelLogout:
    def __init__(
        self,
        issuer: str,
        keys: KeyRing,
        client: Callable[[str], ClientRecord | None],
        clock: Callable[[], float],
        delivery: Delivery | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.issuer = issuer
        self.keys = keys
        self.client = client
        self.clock = clock
        self.delivery = delivery or Delivery()
        self.transport = transport
        self.sent = 0
        self.failures = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, notices: Iterable[LogoutNotice]) -> None:
        """Deliver in a task of its own, so that the user's response is not held up."""
        notices = list(notices)
        if not any(self._uri(n) for n in notices):
            return
        task = asyncio.create_task(self.deliver(notices))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, notices: Iterable[LogoutNotice]) -> None:
        seen: set[tuple[str, str, str | None]] = set()
        posts = []
        for notice in notices:
            client = self.client(notice.client_id)
            key = (notice.client_id, notice.sub, notice.sid)
            if client is None or not client.backchannel_logout_uri or key in seen:
                continue
            if client.backchannel_logout_session_required and not notice.sid:
                continue  # §2.2: this client only understands session logouts
            seen.add(key)
            token = logout_token(self.keys, self.issuer, client, notice, self.clock())
            posts.append((client, token))
        if posts:
            async with httpx.AsyncClient(
                timeout=self.delivery.timeout, transport=self.transport
            ) as http:
                await asyncio.gather(*(self._post(http, c, t) for c, t in posts))

    async def _post(self, http: httpx.AsyncClient, client: ClientRecord, token: str) -> None:
        uri = client.backchannel_logout_uri
        assert uri is not None
        wait = self.delivery.backoff
        for attempt in range(1, self.delivery.attempts + 1):
            try:
                response = await http.post(uri, data={"logout_token": token})
                # §2.8: 200 (or 204) is success; 400 means the RP refused it, retrying won't help.
                if response.status_code in (200, 204):
                    self.sent += 1
                    return
                reason = f"HTTP {response.status_code}"
                if response.status_code == 400:
                    break
            except httpx.HTTPError as error:
                reason = type(error).__name__
            if attempt < self.delivery.attempts:
                await asyncio.sleep(wait)
                wait *= 2
        self.failures += 1
        log.warning(
            "back-channel logout to client %s failed after %d attempt(s): %s",
            client.client_id,
            attempt,
            reason,
        )

    def _uri(self, notice: LogoutNotice) -> str | None:
        client = self.client(notice.client_id)
        return client.backchannel_logout_uri if client else None

    async def aclose(self) -> None:
        """At shutdown: let deliveries in flight finish briefly, then stop them."""
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.delivery.timeout)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
