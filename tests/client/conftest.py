"""Fixtures: those of every client-side test (tests/client/fixtures.py: an in-memory keyring,
a frozen clock, signing keys), a cache and the provider's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import ProviderMetadata, TokenCache

from .fixtures import clock as clock
from .fixtures import memory_keyring as memory_keyring
from .fixtures import no_keyring as no_keyring
from .fixtures import signing_keys as signing_keys
from .helpers import ISSUER, FrozenClock


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "sageid"


@pytest.fixture
def cache(cache_dir: Path, clock: FrozenClock) -> TokenCache:
    return TokenCache(cache_dir, clock=clock)


@pytest.fixture
def metadata() -> ProviderMetadata:
    return ProviderMetadata(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/authorize",
        token_endpoint=f"{ISSUER}/token",
        jwks_uri=f"{ISSUER}/jwks",
        device_authorization_endpoint=f"{ISSUER}/device_authorization",
        revocation_endpoint=f"{ISSUER}/revoke",
        end_session_endpoint=f"{ISSUER}/logout",
        authorization_response_iss_parameter_supported=True,
        refresh_token_lifetime=30 * 86_400,
    )
