"""The PostgreSQL mode's greenlets (`idp.oauth.greenlets`): a job runs once, may await through
SQLAlchemy's `await_`, sees its caller's context variables, hands back its result or its
exception (a cancellation too), and its greenlet serves the next job."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

import pytest
from greenlet import getcurrent  # type: ignore[import-untyped]
from sqlalchemy.util import await_

from idp.oauth.greenlets import GreenletPool

REQUEST: ContextVar[str] = ContextVar("request", default="none")


async def _later(value: str, seconds: float = 0.01) -> str:
    await asyncio.sleep(seconds)
    return value


async def test_a_job_awaits_and_sees_its_callers_context() -> None:
    pool = GreenletPool()
    calls: list[str] = []

    def job(name: str) -> str:
        calls.append(name)
        return f"{REQUEST.get()}:{await_(_later(name))}"

    async def request(name: str) -> str:
        REQUEST.set(name)
        return await pool.run(job, (name,))

    # Three at once: each waits for "the database" while the others run.
    results = await asyncio.gather(request("a"), request("b"), request("c"))
    assert list(results) == ["a:a", "b:b", "c:c"]
    assert sorted(calls) == ["a", "b", "c"]  # each job ran once


async def test_a_finished_greenlet_serves_the_next_job() -> None:
    pool = GreenletPool()
    seen = [await pool.run(getcurrent) for _ in range(3)]
    assert seen[0] is seen[1] is seen[2]
    assert seen[0] is not getcurrent()


async def test_errors_come_back_to_the_caller_and_the_greenlet_is_kept() -> None:
    pool = GreenletPool()

    def fails() -> None:
        raise ValueError("refused")

    async def database_error() -> None:
        raise LookupError("no row")

    def awaits_an_error() -> str:
        try:
            await_(database_error())
        except LookupError as error:  # thrown in where await_ waited
            return f"handled {error}"
        return "not thrown"

    first = await pool.run(getcurrent)
    with pytest.raises(ValueError, match="refused"):
        await pool.run(fails)
    assert await pool.run(awaits_an_error) == "handled no row"
    assert await pool.run(getcurrent) is first


async def test_a_cancelled_caller_cancels_its_job() -> None:
    pool = GreenletPool()
    reached: list[str] = []

    def slow() -> str:
        reached.append("waiting")
        try:
            return await_(_later("late", 5))
        except (asyncio.CancelledError, TimeoutError) as stop:
            reached.append(type(stop).__name__)
            raise

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await pool.run(slow)
    assert reached == ["waiting", "CancelledError"]
    reached.clear()
    with pytest.raises(TimeoutError):  # the pool's own deadline
        await pool.run(slow, (), 0.05)
    assert reached == ["waiting", "CancelledError"]  # not an error a job might swallow
    assert await pool.run(lambda: "next") == "next"  # the pool still serves


async def test_idle_greenlets_are_bounded() -> None:
    pool = GreenletPool(keep=2)

    def job() -> object:
        await_(_later("x"))
        return getcurrent()

    workers = await asyncio.gather(*(pool.run(job) for _ in range(5)))
    assert len(set(map(id, workers))) == 5  # five at once: five greenlets
    assert len(pool._idle) == 2  # only two kept
