"""`/.well-known/*` and `/jwks.json`: bytes computed at start-up, served with an ETag.

The responses, headers included, are built once per document: these endpoints are the hot
path of every relying party's start-up (PERFORMANCE.md, "cache what rarely changes"). GET and
HEAD are answered by `PrebuiltDocuments` in front of the application; the routes remain so
that every other request for these paths gets what the router gives (405).
"""

from __future__ import annotations

from starlette.routing import Route

from idp.context import AppContext
from idp.web.prebuilt import CachedDocument


def served_documents(ctx: AppContext) -> dict[str, CachedDocument]:
    """Path → document: RFC 8414 metadata is the OpenID Provider metadata, on both names."""
    return {
        "/.well-known/openid-configuration": ctx.discovery,
        "/.well-known/oauth-authorization-server": ctx.discovery,
        "/jwks.json": ctx.jwks,
    }


def document_routes(ctx: AppContext) -> list[Route]:
    # An ASGI app as endpoint allows every method unless told: GET (and so HEAD) only.
    return [
        Route(path, document, methods=["GET"], name=path)
        for path, document in served_documents(ctx).items()
    ]
