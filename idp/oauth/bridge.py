"""The one bridge between Authlib's synchronous hooks and the async store.

Authlib calls run in a worker thread taken from a small dedicated limiter (a large pool is
slower, PERFORMANCE.md) with a timeout; from inside that thread, a hook reaches the store by
running a coroutine back on the event loop with `Bridge.call`. Nothing else mixes sync and async.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

T = TypeVar("T")
P = ParamSpec("P")


class Bridge:
    def __init__(self, threads: int, timeout: float) -> None:
        self._limiter = anyio.CapacityLimiter(threads)
        self._timeout = timeout

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Run a synchronous Authlib call in a worker thread (from the event loop)."""
        with anyio.fail_after(self._timeout):
            return await anyio.to_thread.run_sync(
                function, *args, limiter=self._limiter, abandon_on_cancel=True
            )

    @staticmethod
    def call(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store coroutine on the event loop and wait for it (from the worker thread)."""

        async def invoke() -> T:
            return await function(*args, **kwargs)

        return anyio.from_thread.run(invoke)
