"""Fixtures: private folders and an in-memory keyring for every test (never the user's, from
tests/client/fixtures.py) and an X server (Xvfb) for the window tests."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.client.fixtures import memory_keyring as memory_keyring


def _tk_installed() -> bool:
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return False
    return True


# Without Tk (python3-tk not installed) the window tests cannot even be imported: they are
# left out of the collection, and the rest (presenter, services) still runs.
collect_ignore = [] if _tk_installed() else ["test_window.py"]


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
