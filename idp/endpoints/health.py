"""`/healthz` (the process answers), `/readyz` (it can serve: `idp.readiness`) and
`/metrics` (Prometheus, `idp.metrics`).

`/metrics` stays off the public issuer unless asked for: it answers 404 until
`SAGEID_METRICS_TOKEN` is set, then only to `Authorization: Bearer <that token>`.
"""

from __future__ import annotations

import hmac
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idp.context import context
from idp.metrics import CONTENT_TYPE
from idp.oauth.errors import ProtocolError
from idp.readiness import database_problem, keys_problem
from idp.web.oauth_response import JSON_HEADERS


def _status(status: int, checks: dict[str, str]) -> Response:
    body = {"status": "ok" if status == 200 else "unavailable", "checks": checks}
    return Response(
        json.dumps(body), status_code=status, media_type="application/json", headers=JSON_HEADERS
    )


async def healthz(_request: Request) -> Response:
    return _status(200, {})


async def readyz(request: Request) -> Response:
    ctx = context(request)
    problems = {
        "database": await database_problem(ctx.store.db, ctx.settings.readiness_timeout),
        "keys": keys_problem(ctx.keys),
    }
    checks = {name: problem or "ok" for name, problem in problems.items()}
    return _status(503 if any(problems.values()) else 200, checks)


async def metrics(request: Request) -> Response:
    ctx = context(request)
    token = ctx.settings.metrics_token
    if not token:
        raise HTTPException(404)
    given = request.headers.get("authorization", "").encode("latin-1")
    if not hmac.compare_digest(given, b"Bearer " + token.encode()):
        raise ProtocolError(
            "invalid_token",
            "The metrics need the bearer token set in SAGEID_METRICS_TOKEN.",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(ctx.metrics.exposition(), media_type=CONTENT_TYPE)
