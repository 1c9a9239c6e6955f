"""The one bridge between Authlib's synchronous hooks and the async store, in the execution
mode chosen at start-up (`idp.execution`). Either way Authlib runs on the event loop's thread,
exactly once per request, and nothing else mixes sync and async:

- embedded SQLite: `Bridge.run` calls Authlib right here, and `Bridge.call` finishes the store
  coroutine on the spot (every statement is synchronous: it never suspends; if one ever did,
  that is a bug and raises);
- PostgreSQL: `Bridge.run` runs Authlib in a greenlet (SQLAlchemy's own `greenlet_spawn`, as
  its async engine runs its synchronous core), and `Bridge.call` suspends that greenlet while
  the store coroutine awaits the database (`await_`): other requests run meanwhile. Measured
  in-process on PostgreSQL against a worker thread (two thread hand-offs per store call, and
  one for the call itself): client credentials ~190 µs of CPU instead of ~340-390,
  introspection ~650-750 instead of ~790-990, refresh ~2,200 instead of ~2,300-3,500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import anyio
from sqlalchemy.util import await_, greenlet_spawn

from idp.execution import ExecutionMode

T = TypeVar("T")
P = ParamSpec("P")

# Set for the duration of `Bridge.run` (the greenlet runs in the same context): how the
# Authlib code running inside reaches the store.
_MODE: ContextVar[ExecutionMode | None] = ContextVar("sageid_bridge_mode", default=None)


class Bridge:
    def __init__(self, mode: ExecutionMode, timeout: float) -> None:
        self.mode = mode
        self._timeout = timeout

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Run a synchronous Authlib call, once, the way this mode runs them."""
        token = _MODE.set(self.mode)
        try:
            if self.mode is ExecutionMode.EMBEDDED:
                return function(*args)
            with anyio.fail_after(self._timeout):  # a store call that hangs
                result: T = await greenlet_spawn(function, *args)
                return result
        finally:
            _MODE.reset(token)

    @staticmethod
    def may_suspend() -> bool:
        """Whether Authlib's code, here, may wait for I/O (PostgreSQL mode: its greenlet);
        in the embedded mode it runs on the event loop and must not."""
        return _MODE.get() is ExecutionMode.SCALE_OUT

    @staticmethod
    def call(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store coroutine and return its result, from Authlib's synchronous code."""
        mode = _MODE.get()
        if mode is None:
            raise RuntimeError("Bridge.call outside Bridge.run")
        if mode is ExecutionMode.EMBEDDED:
            return _finished(function(*args, **kwargs))  # type: ignore[arg-type]
        return await_(function(*args, **kwargs))


def _finished(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a store coroutine of the embedded mode, which never suspends."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a store call suspended on the event loop (embedded SQLite never should)")
