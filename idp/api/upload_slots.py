"""A bounded number of submissions read and stored at once (`SAGEID_UPLOAD_SLOTS`).

A submission is spooled to a temporary file while it streams in (Starlette's parser keeps the
first megabyte in memory), but it is stored as one database value, so each upload in progress
holds its file in memory for a moment; the slots bound that to `slots × max size`. A request
that finds no slot free within `WAIT` seconds is refused with a 503 and `Retry-After` rather
than queued: its body would sit unread past the read timeout (`idp.web.protocol`).

When the last upload in progress ends, the C allocator is asked to give its free memory back
to the system (glibc's `malloc_trim`): freed 20 MB buffers otherwise stay in the process's
heap, and 20 parallel uploads left ~535 MB resident for good.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio

from idp.api.problems import Problem

WAIT = 5.0
RETRY_AFTER = "5"


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
LARGE = 1024 * 1024


def _libc_function(name: str) -> Callable[..., int] | None:
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    function: Callable[..., int] | None = getattr(ctypes.CDLL(library), name, None)
    return function  # None where the C library is not glibc


def map_large_allocations() -> None:
    """Have every allocation over 1 MB mapped on its own, so freeing it returns it to the
    system at once. glibc does so by default, but raises the threshold after each large free
    (up to 32 MB), and then 20 MB buffers come from the heap and stay there. Called once at
    start-up by the ASGI entry point; a no-op outside glibc."""
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, LARGE)


def _malloc_trim() -> Callable[[], object] | None:
    trim = _libc_function("malloc_trim")
    return None if trim is None else lambda: trim(0)


class UploadSlots:
    def __init__(self, slots: int, wait: float = WAIT) -> None:
        self._slots = anyio.Semaphore(slots)
        self._wait = wait
        self._active = 0
        self._trim = _malloc_trim()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        with anyio.move_on_after(self._wait) as waiting:
            await self._slots.acquire()
        if waiting.cancelled_caught:
            raise Problem(
                503,
                "Too many uploads at once",
                "Other submissions are being received: try again in a few seconds.",
                slug="uploads-busy",
                headers={"Retry-After": RETRY_AFTER},
            )
        self._active += 1
        try:
            yield
        finally:
            self._active -= 1
            self._slots.release()
            if self._active == 0 and self._trim is not None:
                await anyio.to_thread.run_sync(self._trim)
