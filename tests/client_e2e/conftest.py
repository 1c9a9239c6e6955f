"""Fixtures: an in-memory keyring and private directories for every test (never the
user's keyring, data or config), a frozen clock, the scripted provider, the CLI runner.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import anyio
import keyring
import pytest

from client.cli import Runtime
from idp.customer_data import DEMO_CUSTOMER_FILE, import_customer_file
from idp.store import Store
from tests.client.helpers import FrozenClock, MemoryKeyring, SigningKeys, no_keyring_backend
from tests.conftest import LiveServer

from .fake_provider import FakeProvider


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    for name in ("SAGEID_CACHE_PASSPHRASE", "SAGEID_ISSUER", "SAGEID_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
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
def provider(clock: FrozenClock, signing_keys: SigningKeys) -> FakeProvider:
    return FakeProvider(clock, signing_keys)


@pytest.fixture
def runtime(tmp_path: Path, clock: FrozenClock, provider: FakeProvider) -> Runtime:
    """The CLI's outside world: the scripted provider, a frozen clock, private folders."""
    return Runtime(
        environ={"DISPLAY": ":0"},
        config_path=tmp_path / "config.toml",
        cache_directory=tmp_path / "cache",
        http_factory=provider.http_client,
        open_browser=lambda url: False,
        clock=clock,
        sleep=clock.sleep,
        callback_timeout=10,
    )


async def _import_demo_customers(database_url: str) -> None:
    text = files("idp").joinpath("data", DEMO_CUSTOMER_FILE).read_text(encoding="utf-8")
    store = Store(database_url)
    try:
        _, errors = await import_customer_file(store, text, time.time())
    finally:
        await store.close()
    assert errors == []


@pytest.fixture
def live_provider(live_server: LiveServer) -> LiveServer:
    """The real provider with the demo customer accounts, so the `referencing` scope's
    step (seed, étape 3) can be passed: Marie references Boulangerie Martin by proof."""
    anyio.run(_import_demo_customers, live_server.settings.database_url)
    return live_server
