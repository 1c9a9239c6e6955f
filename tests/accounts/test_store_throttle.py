"""The throttle repository on every backend: the SQL upsert follows `idp.domain.throttle`
exactly, the keys of one try are all-or-nothing, and parallel tries never overrun a budget."""

from __future__ import annotations

import asyncio

from idp.context import AppContext
from idp.domain.throttle import PASSWORD_PER_ACCOUNT, Budget, Tally, refund, reserve
from idp.store.throttle import Refusal

THREE = Budget(max_failures=3, window=100.0, lockout=40.0)


async def test_the_store_applies_the_domain_rule(ctx: AppContext) -> None:
    throttle = ctx.store.throttle
    expected: Tally | None = None
    # tries (and refunds, negative times) across runs, locks, re-locks and fresh runs
    script = [0.0, 10.0, -10.0, 20.0, 30.0, 35.0, 69.0, 71.0, 75.0, 111.0, 150.0, 260.0, 270.0]
    for step in script:
        now = abs(step)
        if step < 0:
            await throttle.refund(["k"])
            assert expected is not None
            expected = refund(expected)
        else:
            outcome = await throttle.reserve([("k", THREE)], now)
            domain = reserve(THREE, expected, now)
            assert isinstance(outcome, Refusal) == (domain is None), now
            expected = domain or expected
        assert await throttle.tally("k") == expected, step


async def test_a_locked_key_refuses_the_whole_try(ctx: AppContext) -> None:
    throttle = ctx.store.throttle
    for now in (1.0, 2.0, 3.0):
        assert await throttle.reserve([("b", THREE)], now) == {"b": int(now)}
    refused = await throttle.reserve([("a", THREE), ("b", THREE)], 10.0)
    assert refused == Refusal("b", 33.0)
    assert await throttle.tally("a") is None  # nothing counted under the other key
    assert await throttle.reserve([("a", THREE), ("c", THREE)], 10.0) == {"a": 1, "c": 1}


async def test_parallel_tries_hold_the_budget_exactly(ctx: AppContext) -> None:
    throttle = ctx.store.throttle
    limits = [
        ("password:user:x", PASSWORD_PER_ACCOUNT),
        ("password:ip:y", Budget(50, 900.0, 900.0)),
    ]
    outcomes = await asyncio.gather(*(throttle.reserve(limits, 100.0) for _ in range(100)))
    counted = [o for o in outcomes if not isinstance(o, Refusal)]
    assert len(counted) == PASSWORD_PER_ACCOUNT.max_failures
    assert sorted(o["password:user:x"] for o in counted) == [1, 2, 3, 4, 5]
    assert (await throttle.tally("password:ip:y")) == Tally(5, 100.0, 100.0)


async def test_old_tallies_are_pruned_and_a_key_can_be_cleared(ctx: AppContext) -> None:
    throttle = ctx.store.throttle
    await throttle.reserve([("old", THREE)], 100.0)
    await throttle.reserve([("new", THREE), ("other", THREE)], 300.0)
    assert await throttle.prune(200.0) == 1
    assert await throttle.tally("old") is None
    await throttle.clear("new")
    assert await throttle.tally("new") is None
    assert await throttle.tally("other") == Tally(1, 300.0, 300.0)
