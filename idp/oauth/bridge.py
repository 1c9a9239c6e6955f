"""The one bridge between Authlib's synchronous hooks and the async store, in the execution
mode chosen at start-up (`idp.execution`):

- embedded SQLite: `Bridge.run` calls Authlib right here on the event loop, and `Bridge.call`
  finishes the store coroutine on the spot (every statement is synchronous: it never
  suspends; if one ever did, that is a bug and raises);
- PostgreSQL: `Bridge.run` runs Authlib in a worker thread taken from a small dedicated
  limiter (a large pool is slower, PERFORMANCE.md) with a timeout, and `Bridge.call` runs the
  store coroutine back on the event loop and waits for its result.

Either way an Authlib call runs exactly once. Nothing else mixes sync and async.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

from idp.execution import ExecutionMode

T = TypeVar("T")
P = ParamSpec("P")

# Set for the duration of `Bridge.run` (worker threads get a copy of the context): how the
# Authlib code running inside reaches the store.
_ON_LOOP: ContextVar[bool | None] = ContextVar("sageid_bridge_on_loop", default=None)


class Bridge:
    def __init__(self, mode: ExecutionMode, threads: int, timeout: float) -> None:
        self.mode = mode
        self._limiter = anyio.CapacityLimiter(threads)
        self._timeout = timeout

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Run a synchronous Authlib call, once, the way this mode runs them."""
        if self.mode is ExecutionMode.EMBEDDED:
            token = _ON_LOOP.set(True)
            try:
                return function(*args)
            finally:
                _ON_LOOP.reset(token)
        token = _ON_LOOP.set(False)
        try:
            with anyio.fail_after(self._timeout):
                return await anyio.to_thread.run_sync(
                    function, *args, limiter=self._limiter, abandon_on_cancel=True
                )
        finally:
            _ON_LOOP.reset(token)

    @staticmethod
    def call(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store coroutine and return its result, from Authlib's synchronous code."""
        on_loop = _ON_LOOP.get()
        if on_loop is None:
            raise RuntimeError("Bridge.call outside Bridge.run")
        if on_loop:
            return _finished(function(*args, **kwargs))  # type: ignore[arg-type]

        async def invoke() -> T:
            return await function(*args, **kwargs)

        return anyio.from_thread.run(invoke)


def _finished(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a store coroutine of the embedded mode, which never suspends."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a store call suspended on the event loop (embedded SQLite never should)")
