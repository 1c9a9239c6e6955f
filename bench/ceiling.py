"""The ceiling: a bare Starlette endpoint returning fixed bytes, served by the same uvicorn on
the same core, so every scenario reads as a fraction of what the stack itself allows."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"status":"ok"}'


async def fixed(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", fixed)])
