"""`/privacy` and `/legal`: the privacy policy and the legal notice every page's footer links to,
beside the terms of sale (`/terms`, idp.pages.referencing)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context


async def privacy_page(request: Request) -> Response:
    return context(request).templates.render(request, "privacy.html")


async def legal_page(request: Request) -> Response:
    return context(request).templates.render(request, "legal.html")
