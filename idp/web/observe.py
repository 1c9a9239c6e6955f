"""The outermost layer of every request: a request id, the access log line, the request
metrics, and the last resort for an exception no handler turned into a response
(`idp.web.unexpected`).

The layer is on every request's path, so it does little (its cost: bench/README.md, "Request
observer"; what it records: `tests/provider/test_observe.py`); the access line is formatted
only when the `sageid.access` logger is enabled (`sageid-idp serve` enables it,
`--no-access-log` not).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idp.metrics import Metrics
from idp.web.unexpected import log_unexpected, render_unexpected

access_log = logging.getLogger("sageid.access")
# Its own generator: request ids stay distinct whatever seeds the global one (tests do).
_ids = random.Random()  # noqa: S311 (an id to find log lines by, not a secret)
UNMATCHED = "unmatched"
CLIENT_CLOSED = 499  # as nginx logs it


def request_id(scope: Scope) -> str:
    """The request's id, made when first asked for (an error, an access line): most requests
    never need one."""
    state = scope.setdefault("state", {})
    rid: str | None = state.get("request_id")
    if rid is None:
        # Only to tell requests apart in the logs: not a secret, so a cheap generator.
        rid = state["request_id"] = f"{_ids.getrandbits(48):012x}"
    return rid


def note_client(request: Request, client_id: str | None) -> None:
    """Name the OAuth client a request came from, for its access log line."""
    if client_id:
        request.scope.setdefault("state", {})["client_id"] = client_id


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics, named_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.metrics = metrics
        # Paths answered before routing (`idp.web.prebuilt`): their own label.
        self.named_paths = frozenset(named_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        except ClientDisconnect:
            # The client left (or was cut by the read timeout) before its request was read:
            # no one to answer, nothing went wrong here.
            status = status or CLIENT_CLOSED
        except Exception as exc:
            rid = request_id(scope)
            log_unexpected(scope, rid, exc)
            if status == 0:
                status = 500
                await render_unexpected(scope, receive, rid)(scope, receive, send)
        finally:
            seconds = time.perf_counter() - start
            route = self.route_of(scope)
            self.metrics.observe_request(route, scope["method"], status or 500, seconds)
            if access_log.isEnabledFor(logging.INFO):
                _log_access(scope, route, status, seconds)

    def route_of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            path: str = getattr(route, "path", UNMATCHED)
            return path
        return scope["path"] if scope["path"] in self.named_paths else UNMATCHED


def _log_access(scope: Scope, route: str, status: int, seconds: float) -> None:
    rid = request_id(scope)
    access_log.info(
        "%s %s %s %.1f ms",
        scope["method"],
        scope["path"],
        status,
        seconds * 1000,
        extra={
            "request_id": rid,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "client_id": scope["state"].get("client_id"),
        },
    )
