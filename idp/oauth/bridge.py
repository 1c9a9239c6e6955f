"""The one bridge between Authlib's synchronous hooks and the async store, in the execution
mode chosen at start-up (`idp.execution`). Either way Authlib runs on the event loop's thread,
exactly once per request, and nothing else mixes sync and async:

- embedded SQLite: `Bridge.run_authlib` calls Authlib right here, and `Bridge.await_store`
  finishes the store coroutine on the spot (every statement is synchronous: it never
  suspends; if one ever did, that is a bug and raises);
- PostgreSQL: `Bridge.run_authlib` runs Authlib in a greenlet (as SQLAlchemy's async engine
  runs its synchronous core; greenlets kept for reuse, `idp.oauth.greenlets`), and
  `Bridge.await_store` suspends that greenlet while the store coroutine awaits the database
  (SQLAlchemy's `await_`): other requests run meanwhile. It measured cheaper than a worker
  thread (bench/README.md, "Execution model").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.util import await_

from idp.execution import ExecutionMode
from idp.oauth.greenlets import GreenletPool

T = TypeVar("T")
P = ParamSpec("P")

# Set for the duration of `Bridge.run_authlib` (the greenlet runs in the same context): how the
# Authlib code running inside reaches the store.
_MODE: ContextVar[ExecutionMode | None] = ContextVar("sageid_bridge_mode", default=None)


class Bridge:
    def __init__(self, mode: ExecutionMode, timeout: float) -> None:
        self.mode = mode
        self._timeout = timeout
        self._greenlets = GreenletPool()

    async def run_authlib(self, function: Callable[..., T], *args: object) -> T:
        """Run synchronous Authlib code, once, the way this mode runs it: on SQLite right
        here, on PostgreSQL in a greenlet on the loop (a store call suspends it, not the loop),
        within `timeout` seconds in all (a store call that hangs)."""
        token = _MODE.set(self.mode)
        try:
            if self.mode is ExecutionMode.EMBEDDED:
                return function(*args)
            return await self._greenlets.run(function, args, self._timeout)
        finally:
            _MODE.reset(token)

    @staticmethod
    def waiting_allowed() -> bool:
        """Whether the Authlib code running here may wait for I/O other than the store's
        (PostgreSQL mode: its greenlet); in the embedded mode it runs on the event loop and
        must not."""
        return _MODE.get() is ExecutionMode.SCALE_OUT

    @staticmethod
    def await_store(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """From Authlib's synchronous code (inside `run_authlib`), await a store coroutine and
        return its result: on SQLite it finishes on the spot (it never suspends), on PostgreSQL
        the greenlet waits for it while the loop serves other requests."""
        mode = _MODE.get()
        if mode is None:
            raise RuntimeError("Bridge.await_store outside Bridge.run_authlib")
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
