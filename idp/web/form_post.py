"""OAuth 2.0 Form Post Response Mode: an authorization response (code or error) posted to the
client's redirect URI by an auto-submitting form instead of a redirect with a query string."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from idp.context import AppContext


def form_post(request: Request, ctx: AppContext, location: str, redirect_uri: str) -> Response:
    """The page posting the parameters Authlib put in `location` to `redirect_uri` (its own
    query, if it registered one, stays in the form's action)."""
    own = parse_qsl(urlsplit(redirect_uri).query, keep_blank_values=True)
    fields = [
        pair
        for pair in parse_qsl(urlsplit(location).query, keep_blank_values=True)
        if pair not in own
    ]
    response = ctx.templates.render(
        request, "form_post.html", {"action": redirect_uri, "fields": fields}
    )
    return response
