"""Provider metadata: parsing and the issuer / transport checks of OIDC Discovery."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from client import DiscoveryError, ProviderMetadata, discovery_url, fetch_provider_metadata

from .helpers import ISSUER


def document(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "device_authorization_endpoint": f"{ISSUER}/device_authorization",
        "end_session_endpoint": f"{ISSUER}/logout",
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }
    data.update(overrides)
    return data


def test_parses_the_discovery_document() -> None:
    metadata = ProviderMetadata.from_json(document(), expected_issuer=ISSUER)
    assert metadata.token_endpoint == f"{ISSUER}/token"
    assert metadata.device_authorization_endpoint == f"{ISSUER}/device_authorization"
    assert metadata.revocation_endpoint is None
    assert metadata.code_challenge_methods_supported == ("S256",)
    assert metadata.authorization_response_iss_parameter_supported is True


@pytest.mark.parametrize(
    "overrides",
    [
        {"issuer": "http://127.0.0.1:9999"},  # OIDC Discovery §4.3: must be identical
        {"token_endpoint": None},
        {"token_endpoint": "http://idp.example/token"},  # plain http off loopback
        {"jwks_uri": 42},
        {"scopes_supported": "openid"},
        {"authorization_response_iss_parameter_supported": "yes"},
    ],
)
def test_rejects_bad_documents(overrides: dict[str, Any]) -> None:
    with pytest.raises(DiscoveryError):
        ProviderMetadata.from_json(document(**overrides), expected_issuer=ISSUER)


def test_https_provider_is_accepted() -> None:
    issuer = "https://id.sage.example"
    data = document(
        issuer=issuer,
        authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{issuer}/token",
        jwks_uri=f"{issuer}/jwks",
        device_authorization_endpoint=None,
        end_session_endpoint=None,
    )
    assert ProviderMetadata.from_json(data, expected_issuer=issuer).issuer == issuer


def test_fetch_reads_the_well_known_document() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=document())

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        metadata = fetch_provider_metadata(http, ISSUER)
    assert seen == [f"{ISSUER}/.well-known/openid-configuration"]
    assert seen == [discovery_url(ISSUER + "/")]
    assert metadata.jwks_uri == f"{ISSUER}/jwks"
