"""The ceiling: a bare Starlette endpoint returning fixed bytes, served by the same uvicorn on
the same core, so every scenario reads as a fraction of what the stack itself allows.

`/busy` is the yardstick for slower endpoints: it reads a posted body, spends a fixed CPU
time (`BUSY_US`) and answers a token-sized JSON body. What its CPU per request has beyond
`BUSY_US` is the stack's own cost for such a request on this machine.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"status":"ok"}'
BUSY_US = 120
TOKEN_SIZED = b'{"access_token":"' + b"x" * 640 + b'","token_type":"Bearer","expires_in":600}'


async def fixed(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


async def busy(request: Request) -> Response:
    await request.body()
    until = time.thread_time() + BUSY_US / 1e6
    while time.thread_time() < until:
        pass
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return Response(TOKEN_SIZED, media_type="application/json", headers=headers)


app = Starlette(routes=[Route("/", fixed), Route("/busy", busy, methods=["POST"])])
