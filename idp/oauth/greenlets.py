"""Greenlets kept for reuse: how the PostgreSQL mode runs Authlib's synchronous code on the
event loop (`idp.oauth.bridge`), as SQLAlchemy's `greenlet_spawn` does, without a new
greenlet per request.

A new greenlet starts with no Python frame stack of its own: on Python 3.11+ the interpreter
allocates it one (and frees it when the greenlet dies), which for Authlib's deep call chains
cost more than the rest of a client-credentials request's hand-off (bench/README.md,
"Execution model"). A finished job leaves its greenlet waiting for the next one, stack kept.

SQLAlchemy's `await_` works unchanged inside: it recognises the greenlet by the marker
attribute and switches to its parent with the awaitable; `run` awaits it and switches back
with the result (or throws the exception in), exactly as `greenlet_spawn` does.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from greenlet import GreenletExit, getcurrent, greenlet  # type: ignore[import-untyped]

T = TypeVar("T")


class _Outcome:
    """What a worker hands back when its job is over (any other value is an awaitable)."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value = value
        self.error = error


class _Worker(greenlet):  # type: ignore[misc]  # greenlet's class is untyped for subclassing
    __sqlalchemy_greenlet_provider__ = True  # what SQLAlchemy's `await_` looks for


def _serve(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> None:
    """A worker's life: run a job, hand back its outcome, wait for the next job."""
    while True:
        function, args = job
        try:
            outcome = _Outcome(function(*args), None)
        except GreenletExit:
            raise  # the worker is being collected: end it
        except BaseException as error:  # the caller re-raises it
            outcome = _Outcome(None, error)
        del function, args
        job = getcurrent().parent.switch(outcome)


class GreenletPool:
    """At most `keep` idle greenlets are kept; more run at once when requests wait for the
    database at the same time, and the extra ones end after their job."""

    def __init__(self, keep: int = 64) -> None:
        self._idle: list[_Worker] = []
        self._keep = keep

    async def run(
        self, function: Callable[..., T], args: tuple[Any, ...] = (), within: float | None = None
    ) -> T:
        """`function(*args)` in a greenlet. What it awaits must be done within `within` seconds
        of the start, or the job is cancelled where it awaits and the caller gets `TimeoutError`
        (asyncio's own timeout, cheaper than anyio's cancel scope, set up only when the job
        awaits: a client-credentials request never does)."""
        deadline = None if within is None else asyncio.get_running_loop().time() + within
        current = getcurrent()
        worker = self._idle.pop() if self._idle else _Worker(_serve)
        worker.parent = current
        worker.gr_context = current.gr_context  # the caller's context variables, as SQLAlchemy
        done, timed_out = False, None
        try:
            result = worker.switch((function, args))
            while not isinstance(result, _Outcome):
                timer = asyncio.timeout_at(deadline)
                try:
                    async with timer:
                        awaited = await result  # what `await_` handed over
                except BaseException as stopped:  # thrown in where `await_` waits
                    if timer.expired():  # past the deadline: the job is cancelled
                        timed_out = stopped
                        result = worker.throw(asyncio.CancelledError())
                    else:
                        result = worker.throw(*sys.exc_info())
                else:
                    result = worker.switch(awaited)
            done = True
        finally:
            if done and len(self._idle) < self._keep:
                self._idle.append(worker)
            # A worker left suspended (its caller gone mid-job) is not reused: it ends when
            # collected (greenlet throws GreenletExit into it).
        if timed_out is not None:
            raise timed_out  # TimeoutError, for the caller
        if result.error is not None:
            error = result.error
            result.error = None  # no reference cycle through the traceback
            raise error
        value: T = result.value
        return value
