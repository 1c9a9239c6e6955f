"""Fixtures every test of the client side uses (the library, the CLI, the desktop app):
imported by their conftest.py files, so the isolation rule is written once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from .helpers import FrozenClock, MemoryKeyring, SigningKeys, no_keyring_backend

# Read by the client at start-up: a developer's own settings must not leak into a test.
CLIENT_ENVIRONMENT = ("SAGEID_CACHE_PASSPHRASE", "SAGEID_ISSUER", "SAGEID_CLIENT_ID")


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    """Every test runs against an in-memory keyring, without the client's environment
    variables, and with the user's data, state and config folders redirected into its own
    temporary folder, so no test can touch the user's real cache, keys or settings."""
    for name in CLIENT_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name in ("data", "state", "config"):
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(tmp_path / f"xdg-{name}"))
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
