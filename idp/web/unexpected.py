"""An exception no handler turned into a response (caught by `idp.web.observe`, the
outermost layer).

Starlette's own `ServerErrorMiddleware` renders the error, then raises the exception again for
the server to log: uvicorn logs it a second time and, the response being sent, closes the
connection without saying so (a keep-alive client's next request fails). Here the error is
logged once, with the request's id, the generic error is rendered by `idp.web.errors`, and
nothing is raised further, so the connection stays usable. If the response had already
started, it cannot be completed: the server closes the connection, which is all a client can
be told then.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope

from idp.web.errors import unexpected_error_response

log = logging.getLogger("sageid.errors")


def log_unexpected(scope: Scope, rid: str, exc: BaseException) -> None:
    # The exception and path only: no headers, form or query (they may carry secrets).
    log.error(
        "request %s failed: %s %s",
        rid,
        scope["method"],
        scope["path"],
        exc_info=exc,
        extra={"request_id": rid},
    )


def render_unexpected(scope: Scope, receive: Receive, rid: str) -> Response:
    try:
        return unexpected_error_response(Request(scope, receive), rid)
    except Exception:  # the error page itself failed: still a complete answer
        log.exception("request %s: the error page failed", rid, extra={"request_id": rid})
        return PlainTextResponse(f"Unexpected error (request {rid}).", status_code=500)
