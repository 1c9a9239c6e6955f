"""Discovery advertises exactly what is served: every advertised endpoint answers, every
advertised grant type is accepted by /token, and nothing else is."""

from __future__ import annotations

import httpx
import pytest
from authlib.oidc import rpinitiated

from idp.context import AppContext
from tests.support import Seeded, assert_oauth_error

ISSUER = "http://127.0.0.1:8000"
LIFECYCLE_GRANTS = {"authorization_code", "refresh_token", "client_credentials"}
# Endpoints a browser visits; the others are POSTed to by programs.
BROWSER_ENDPOINTS = {"authorization_endpoint", "end_session_endpoint", "jwks_uri"}


async def metadata_of(client: httpx.AsyncClient) -> dict[str, object]:
    body: dict[str, object] = (await client.get("/.well-known/openid-configuration")).json()
    return body


async def test_lifecycle_endpoints_are_advertised(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    metadata = await metadata_of(client)
    rpinitiated.OpenIDProviderMetadata(metadata).validate_end_session_endpoint()
    assert metadata["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert metadata["introspection_endpoint"] == f"{ISSUER}/introspect"
    assert metadata["end_session_endpoint"] == f"{ISSUER}/logout"
    assert metadata["revocation_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
        "private_key_jwt",  # issue 16
    ]
    # RFC 7662: confidential clients only.
    assert metadata["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    grant_types = metadata["grant_types_supported"]
    assert isinstance(grant_types, list)
    assert set(grant_types) >= LIFECYCLE_GRANTS
    assert grant_types == ctx.server.grant_types
    assert len(set(grant_types)) == len(grant_types)


async def test_every_advertised_endpoint_is_served(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    metadata = await metadata_of(client)
    endpoints = {
        k: v
        for k, v in metadata.items()
        if k.endswith(("_endpoint", "_uri")) and isinstance(v, str) and v.startswith(ISSUER)
    }
    assert {
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    } <= endpoints.keys()
    for key, url in endpoints.items():
        path = url.removeprefix(ISSUER)
        if key in BROWSER_ENDPOINTS:
            response = await client.get(path)
        else:
            response = await client.post(path, data={})
        assert response.status_code not in (404, 405), (key, response.status_code)
        assert response.status_code < 500, (key, response.text)


async def test_every_advertised_grant_type_is_accepted(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    for grant_type in (await metadata_of(client))["grant_types_supported"]:  # type: ignore[attr-defined]
        response = await client.post("/token", data={"grant_type": grant_type, "client_id": "x"})
        assert response.json()["error"] != "unsupported_grant_type", grant_type


@pytest.mark.parametrize(
    "grant_type",
    ["password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "token-exchange"],
)
async def test_other_grant_types_are_not_advertised_nor_accepted(
    client: httpx.AsyncClient, seeded: Seeded, grant_type: str
) -> None:
    assert grant_type not in (await metadata_of(client))["grant_types_supported"]  # type: ignore[operator]
    response = await client.post("/token", data={"grant_type": grant_type, "client_id": "x"})
    assert_oauth_error(response, 400, "unsupported_grant_type")
