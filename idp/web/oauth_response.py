"""Authlib's answers as Starlette responses: its results (`OAuthResult`, plain data from
`idp.oauth.server`), and every `OAuth2Error` an endpoint raises, rendered by one exception
handler as RFC 6749 §5.2 JSON with `no-store`, the error's status and its headers
(`WWW-Authenticate`, `DPoP-Nonce`). `idp.oauth` stays free of HTTP framework code."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.responses import Response

from idp.oauth.server import COMPACT_JSON, OAuthResult

JSON_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_response(result: OAuthResult) -> Response:
    body = result.body
    if isinstance(body, dict):
        body = COMPACT_JSON.encode(body)
    response = Response(body or b"", status_code=result.status)
    # Authlib's header list as it is, before Content-Length (no dict and re-encoding round).
    response.raw_headers[:0] = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in result.headers
    ]
    return response


def oauth_error_response(error: OAuth2Error) -> Response:
    """RFC 6749 §5.2: `error`, `error_description` when there is one, `error_uri` when set;
    never `state` nor a redirect (the back channel's errors)."""
    body = {"error": error.error}
    if description := error.get_error_description():
        body["error_description"] = description
    if error.uri:
        body["error_uri"] = error.uri
    headers = {**JSON_HEADERS, **dict(error.get_headers())}
    headers.pop("Content-Type", None)
    return Response(
        COMPACT_JSON.encode(body),
        status_code=error.status_code,
        media_type="application/json",
        headers=headers,
    )
