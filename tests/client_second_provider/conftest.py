"""Fixtures: the second provider on a loopback port, the CLI's outside world pointed at it
(real HTTP, real clock), an in-memory keyring and private folders for every test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest

from client.cli import Runtime
from tests.client.helpers import MemoryKeyring, no_keyring_backend

from .provider import SecondProvider, serving


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    for name in ("SAGEID_CACHE_PASSPHRASE", "SAGEID_ISSUER", "SAGEID_CLIENT_ID", "SAGEID_SCOPE"):
        monkeypatch.delenv(name, raising=False)
    # Authlib's server refuses http:// unless told; this provider lives on 127.0.0.1 only.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(no_keyring_backend())


@pytest.fixture
def provider() -> Iterator[SecondProvider]:
    with serving(SecondProvider()) as running:
        yield running


class Browser:
    """Alice's browser: follows the authorization URL to the provider (which answers at
    once, she is signed in) and the redirect back to the CLI, from its own thread."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self.threads.append(thread)
        thread.start()
        return True

    def _visit(self, url: str) -> None:
        try:
            with httpx.Client(follow_redirects=True, trust_env=False, timeout=10) as http:
                http.get(url)
        except BaseException as error:  # Reported by join(): a thread's error is otherwise lost.
            self.errors.append(error)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)
        if self.errors:
            raise self.errors[0]


@pytest.fixture
def browser() -> Browser:
    return Browser()


@pytest.fixture
def runtime(tmp_path: Path, provider: SecondProvider, browser: Browser) -> Runtime:
    def sleep(seconds: float) -> None:
        # Alice approves on her phone while the CLI waits for its first poll.
        for credential in list(provider.store.devices.values()):
            provider.approve(credential["user_code"])
        time.sleep(min(seconds, 0.05))

    return Runtime(
        environ={"DISPLAY": ":0", "SAGEID_ISSUER": provider.issuer, "SAGEID_CLIENT_ID": "acme-cli"},
        config_path=tmp_path / "config.toml",
        cache_directory=tmp_path / "cache",
        open_browser=browser,
        sleep=sleep,
        callback_timeout=15,
    )
