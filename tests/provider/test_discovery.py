"""Discovery and JWKS: computed, valid, cacheable, public members only."""

from __future__ import annotations

import httpx
import pytest
from authlib.oauth2 import rfc8414, rfc9207
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idp.context import AppContext
from idp.keys import PRIVATE_MEMBERS
from idp.web.prebuilt import CachedDocument, PrebuiltDocuments
from tests.conftest import LiveServer

WELL_KNOWN = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]


@pytest.mark.parametrize("path", WELL_KNOWN)
async def test_metadata_validates_with_authlib(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    metadata = response.json()
    OpenIDProviderMetadata(metadata).validate()
    rfc8414.AuthorizationServerMetadata(metadata).validate(
        metadata_classes=[rfc9207.AuthorizationServerMetadata]
    )
    assert metadata["issuer"] == "http://127.0.0.1:8000"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert "authorization_code" in metadata["grant_types_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    # How long a sign-in lasts, for the clients to tell their users (30 days, DESIGN.md §3).
    assert metadata["refresh_token_lifetime"] == 30 * 86_400
    assert set(metadata["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert "implicit" not in metadata["grant_types_supported"]
    assert "password" not in metadata["grant_types_supported"]


async def test_metadata_lists_only_registered_grants(
    client: httpx.AsyncClient, ctx: object
) -> None:
    metadata = (await client.get(WELL_KNOWN[0])).json()
    server = ctx.server  # type: ignore[attr-defined]
    assert metadata["grant_types_supported"] == server.grant_types
    for name, (key, _) in {
        "revocation": ("revocation_endpoint", ""),
        "introspection": ("introspection_endpoint", ""),
        "end_session": ("end_session_endpoint", ""),
        "device_authorization": ("device_authorization_endpoint", ""),
    }.items():
        assert (key in metadata) == (name in server._endpoints)


async def test_metadata_is_cacheable(client: httpx.AsyncClient) -> None:
    first = await client.get(WELL_KNOWN[0])
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = await client.get(WELL_KNOWN[0], headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


async def test_jwks_publishes_public_keys_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert {key["alg"] for key in keys} == {"RS256", "ES256"}
    for key in keys:
        assert not PRIVATE_MEMBERS & key.keys(), key
        assert key["use"] == "sig"
        imported = RSAKey.import_key(key) if key["kty"] == "RSA" else ECKey.import_key(key)
        assert not imported.is_private
        assert imported.thumbprint() == key["kid"]  # RFC 7638


async def test_jwks_etag(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/jwks.json")).headers["etag"]
    assert (await client.get("/jwks.json", headers={"If-None-Match": etag})).status_code == 304


async def test_other_hosts_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(WELL_KNOWN[0], headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.text


# Served by `PrebuiltDocuments` in front of the application: the same bytes and headers as
# the routes always sent, and every other request left to the router.

DOCUMENTS = {
    "/.well-known/openid-configuration": "discovery",
    "/.well-known/oauth-authorization-server": "discovery",
    "/jwks.json": "jwks",
}


def document_of(ctx: AppContext, path: str) -> CachedDocument:
    document: CachedDocument = getattr(ctx, DOCUMENTS[path])
    return document


def cache_headers(document: CachedDocument) -> list[tuple[bytes, bytes]]:
    return [
        (b"etag", document.etag.encode()),
        (b"cache-control", b"public, max-age=300"),
        (b"access-control-allow-origin", b"*"),
    ]


def full_headers(document: CachedDocument) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(document.body)).encode()),
        *cache_headers(document),
    ]


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_document_bytes_and_headers(
    client: httpx.AsyncClient, ctx: AppContext, path: str
) -> None:
    document = document_of(ctx, path)
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content == document.body
    assert response.headers.raw == full_headers(document)


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_matching_etag_is_not_modified(
    client: httpx.AsyncClient, ctx: AppContext, path: str
) -> None:
    document = document_of(ctx, path)
    for method in ("GET", "HEAD"):
        response = await client.request(method, path, headers={"If-None-Match": document.etag})
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers.raw == cache_headers(document)
    stale = await client.get(path, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.content == document.body


async def messages_of(app: ASGIApp, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_head_sends_the_headers_without_the_body(
    app: Starlette, ctx: AppContext, path: str
) -> None:
    # At the ASGI level: httpx's and uvicorn's HTTP layers would both hide a body sent to HEAD.
    scope = {
        "type": "http",
        "method": "HEAD",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000")],
    }
    start, body = await messages_of(app, scope)
    assert (start["status"], start["headers"]) == (200, full_headers(document_of(ctx, path)))
    assert body == {"type": "http.response.body", "body": b""}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", DOCUMENTS)
async def test_other_methods_get_the_routers_405(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize(
    "path", ["/.well-known/webfinger", "/.well-known/openid-configuration/x", "/jwks"]
)
async def test_unknown_paths_get_the_routers_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_documents_over_a_real_server(live_server: LiveServer) -> None:
    document = live_server.ctx.discovery
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        got = await http.get(WELL_KNOWN[0])
        assert (got.status_code, got.content) == (200, document.body)
        head = await http.head(WELL_KNOWN[0])
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(document.body))
        cached = await http.get(WELL_KNOWN[0], headers={"If-None-Match": document.etag})
        assert (cached.status_code, cached.content) == (304, b"")
        assert cached.headers["etag"] == document.etag


class Application:
    """Stands for the Starlette app behind the layer: answers 418 and remembers the scopes."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        if scope["type"] == "http":
            await PlainTextResponse("application", status_code=418)(scope, receive, send)


def layer(application: Application, allowed_hosts: list[str]) -> httpx.AsyncClient:
    documents = {"/doc": CachedDocument(b'{"a":1}', '"e"')}
    app = PrebuiltDocuments(application, documents, allowed_hosts)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "host", ["id.example", "ID.Example", "id.example:8443", "127.0.0.1:80", "a.wild.example"]
)
async def test_layer_serves_documents_without_the_application(method: str, host: str) -> None:
    application = Application()
    async with layer(application, ["id.example", "127.0.0.1", "*.wild.example"]) as http:
        response = await http.request(method, "/doc", headers={"Host": host})
    assert response.status_code == 200
    assert response.headers["etag"] == '"e"'
    assert application.scopes == []


@pytest.mark.parametrize(
    ("method", "path", "host"),
    [
        ("POST", "/doc", "id.example"),
        ("GET", "/other", "id.example"),
        ("GET", "/doc/", "id.example"),
        ("GET", "/doc", "evil.example"),
        ("GET", "/doc", "id.example.evil"),
        ("GET", "/doc", "id.example:"),
        ("GET", "/doc", "id.example:x"),
        ("GET", "/doc", "wild.example.evil"),
    ],
)
async def test_layer_leaves_everything_else_to_the_application(
    method: str, path: str, host: str
) -> None:
    application = Application()
    async with layer(application, ["id.example", "*.wild.example"]) as http:
        response = await http.request(method, path, headers={"Host": host})
    assert response.status_code == 418
    assert len(application.scopes) == 1


async def test_layer_serves_any_host_when_all_are_allowed() -> None:
    application = Application()
    async with layer(application, ["*"]) as http:
        assert (await http.get("/doc", headers={"Host": "any.example"})).status_code == 200
    assert application.scopes == []


async def test_layer_passes_lifespan_and_mounted_paths_through() -> None:
    application = Application()
    app = PrebuiltDocuments(application, {"/doc": CachedDocument(b"{}", '"e"')}, ["*"])
    mounted = {"type": "http", "method": "GET", "path": "/doc", "root_path": "/id", "headers": []}
    for scope in ({"type": "lifespan"}, {"type": "websocket", "path": "/doc"}, mounted):
        await messages_of(app, scope)
    assert [scope["type"] for scope in application.scopes] == ["lifespan", "websocket", "http"]
