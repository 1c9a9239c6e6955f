"""The one bridge between Authlib's synchronous hooks and the async store.

Authlib calls run in a worker thread taken from a small dedicated limiter (a large pool is
slower, PERFORMANCE.md) with a timeout; from inside that thread, a hook reaches the store by
running a coroutine back on the event loop with `Bridge.call`. Nothing else mixes sync and async.

A hand-off to a thread and back costs more CPU here (~90-230 µs) than the hot paths' whole
store work on SQLite (`idp.store.database`: statements run inline, in microseconds). So a call
marked `on_loop` first runs on the event loop itself, under `no_waiting()`: there `Bridge.call`
drives the store coroutine to its end at once. If the store would have to wait (PostgreSQL,
aiosqlite, a lock held by another task) it raises `MustWait` before reading or writing
anything, and the call is made again the usual way, in a worker thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

from idp.store.database import MustWait, no_waiting, waiting_allowed

T = TypeVar("T")
P = ParamSpec("P")


class Bridge:
    def __init__(self, threads: int, timeout: float) -> None:
        self._limiter = anyio.CapacityLimiter(threads)
        self._timeout = timeout

    async def run(self, function: Callable[..., T], *args: object, on_loop: bool = False) -> T:
        """Run a synchronous Authlib call: in a worker thread, or first on the event loop when
        `on_loop` (then `function` may be called twice: it must build its request afresh)."""
        if on_loop:
            try:
                with no_waiting():
                    return function(*args)
            except MustWait:
                pass
        with anyio.fail_after(self._timeout):
            return await anyio.to_thread.run_sync(
                function, *args, limiter=self._limiter, abandon_on_cancel=True
            )

    @staticmethod
    def call(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store coroutine and return its result, from Authlib's synchronous code: on the
        event loop from a worker thread, or right here under `no_waiting()`."""
        if not waiting_allowed():
            return _finished(function(*args, **kwargs))  # type: ignore[arg-type]

        async def invoke() -> T:
            return await function(*args, **kwargs)

        return anyio.from_thread.run(invoke)


def _finished(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that completes without suspending (see `no_waiting`)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a store call suspended under no_waiting() instead of raising MustWait")
