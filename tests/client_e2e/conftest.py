"""Fixtures: those of every client-side test (tests/client/fixtures.py: an in-memory keyring
and private folders, never the user's, a frozen clock, signing keys), the scripted provider,
the CLI runner.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from client.cli import Runtime
from tests.client.fixtures import clock as clock
from tests.client.fixtures import memory_keyring as memory_keyring
from tests.client.fixtures import no_keyring as no_keyring
from tests.client.fixtures import signing_keys as signing_keys
from tests.client.helpers import FrozenClock, SigningKeys

from .fake_provider import FakeProvider


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
