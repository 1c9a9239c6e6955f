"""Discovery and JWKS: computed, valid, cacheable, public members only."""

from __future__ import annotations

import httpx
import pytest
from authlib.oauth2 import rfc8414, rfc9207
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwk import ECKey, RSAKey

from idp.keys import PRIVATE_MEMBERS

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
