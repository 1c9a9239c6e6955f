"""Clients that authenticate with `private_key_jwt` (RFC 7523 §2.2), and their assertions."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from idp.context import AppContext

ISSUER = "http://127.0.0.1:8000"
TOKEN_URL = ISSUER + "/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
KEYED_ID = "keyed-service"


def new_key(kid: str) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)


def public_set(*keys: ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def assertion(key: ECKey, now: float, *, client_id: str = KEYED_ID, **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "jti": secrets.token_urlsafe(12),
        "iat": int(now),
        "exp": int(now) + 60,
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def assertion_form(signed: str) -> dict[str, str]:
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}


async def add_keyed_client(
    ctx: AppContext,
    *,
    jwks: dict[str, Any] | None = None,
    jwks_uri: str | None = None,
    client_id: str = KEYED_ID,
) -> None:
    await ctx.store.clients.add(
        client_id=client_id,
        name="Keyed service",
        public=False,
        redirect_uris=["https://service.example/callback"],
        post_logout_redirect_uris=[],
        grant_types=["client_credentials", "authorization_code"],
        scope="openid edi",
        first_party=False,
        now=ctx.clock.now(),
        auth_method="private_key_jwt",
        jwks=jwks,
        jwks_uri=jwks_uri,
    )
    await ctx.store.client_cache.refresh()


class JwksServer:
    """A client's `jwks_uri` on a loopback port: serves `document`, counts the fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.fetches += 1
                body = json.dumps(served.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"


@contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[JwksServer]:
    server = JwksServer(document)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join()
