"""Fixtures: private folders and an in-memory keyring for every test (never the user's), the
real provider with the demo customer accounts, and an X server (Xvfb) for the window tests."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import anyio
import keyring
import pytest

from idp.customer_data import DEMO_CUSTOMER_FILE
from idp.store import Store
from tests.client.helpers import MemoryKeyring, no_keyring_backend
from tests.conftest import LiveServer
from tests.referencing.helpers import import_customers


def _tk_installed() -> bool:
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return False
    return True


# Without Tk (python3-tk not installed) the window tests cannot even be imported: they are
# left out of the collection, and the rest (presenter, services) still runs.
collect_ignore = [] if _tk_installed() else ["test_window.py"]


@pytest.fixture(autouse=True)
def private_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    for name in ("SAGEID_CACHE_PASSPHRASE", "SAGEID_ISSUER", "SAGEID_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(no_keyring_backend())


async def _import_demo_customers(database_url: str) -> None:
    text = files("idp").joinpath("data", DEMO_CUSTOMER_FILE).read_text(encoding="utf-8")
    store = Store(database_url)
    try:
        await import_customers(store, time.time(), text)
    finally:
        await store.close()


@pytest.fixture
def live_provider(live_server: LiveServer) -> LiveServer:
    """The real provider with the demo customer accounts (Marie references Boulangerie
    Martin by proof, seed étape 3), as `make run` has them."""
    anyio.run(_import_demo_customers, live_server.settings.database_url)
    return live_server


def _display_number(pipe: int, timeout: float) -> str:
    """What Xvfb writes to `-displayfd` once it accepts connections: the number, then a
    newline. Read to the newline: closing the pipe earlier kills Xvfb (its write fails)."""
    deadline = time.monotonic() + timeout
    written = b""
    try:
        while not written.endswith(b"\n"):
            ready, _, _ = select.select([pipe], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(pipe, 16) if ready else b""
            if not chunk:
                raise RuntimeError("Xvfb did not start")
            written += chunk
    finally:
        os.close(pipe)
    return written.decode().strip()


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private X display for the window tests; its name (`:N`). Only the app processes
    and the Tk roots the tests create use it: this process's DISPLAY is left alone."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (make test installs it: scripts/system-deps.sh)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = _display_number(read_end, timeout=15)
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
