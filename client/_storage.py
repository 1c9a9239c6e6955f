"""Files on disk: atomic replacement, private permissions, corrupt files moved aside."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path


def ensure_private_directory(directory: Path) -> None:
    """Create `directory` if needed and make it 0700 (owner only)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if sys.platform != "win32":
        # mkdir's mode is filtered by the umask and ignored for an existing directory.
        os.chmod(directory, 0o700)


def _fsync_directory(directory: Path) -> None:
    # POSIX: the rename is durable only once the directory entry is on disk.
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: temp file in the same directory, fsync, rename.

    A crash at any point leaves either the old file or the new one, never a mix. The temp
    file is created 0600 by `mkstemp`, so the content is never readable by others.
    """
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(path.parent)


def remove_stale_temp_files(path: Path) -> None:
    """Delete temp files a crashed writer of `path` left behind (call with the lock held)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def read_bytes(path: Path) -> bytes | None:
    """Return the content of `path`, or `None` if it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def move_aside(path: Path, *, now: float | None = None) -> Path:
    """Rename `path` to `<path>.corrupt-<timestamp>` and return the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() if now is None else now))
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    os.replace(path, target)
    return target
