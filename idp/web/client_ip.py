"""The address a request came from, as the throttles and the audit trail key it."""

from __future__ import annotations

from starlette.requests import Request


def client_ip(request: Request) -> str:
    # The peer address; under `serve --proxy-headers`, the one a trusted proxy forwarded
    # (uvicorn puts it in the scope; README, "Behind a reverse proxy").
    return request.client.host if request.client else "unknown"
