"""Fixtures: an in-memory keyring for every test, a frozen clock, signing keys, a cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from client import ProviderMetadata, TokenCache

from .helpers import ISSUER, FrozenClock, MemoryKeyring, SigningKeys, no_keyring_backend


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    """Every test runs against an in-memory keyring, without a cache passphrase, and with
    the user data directory redirected, so no test can touch the user's real cache or keys.
    """
    monkeypatch.delenv("SAGEID_CACHE_PASSPHRASE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(no_keyring_backend())


@pytest.fixture
def no_keyring() -> None:
    """The headless case: no keyring backend at all."""
    keyring.set_keyring(no_keyring_backend())


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys()


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
