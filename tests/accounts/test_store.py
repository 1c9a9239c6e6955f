"""The challenge and throttle repositories, on every database backend: single use under
concurrency, resend rules in one transaction, pruning."""

from __future__ import annotations

import asyncio

from idp.context import AppContext
from idp.domain.email_codes import Verdict
from tests.support import Seeded


async def test_of_concurrent_right_codes_exactly_one_wins(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    issued = await ctx.store.challenges.issue(
        user_id=seeded.user_id, purpose="verify", code_hash="h" * 64, now=now
    )
    assert issued.challenge_id is not None
    results = await asyncio.gather(
        *(
            ctx.store.challenges.record_attempt(issued.challenge_id, accepted=True, now=now)
            for _ in range(8)
        )
    )
    verdicts = [result.verdict for result in results]
    assert verdicts.count(Verdict.ACCEPTED) == 1
    assert set(verdicts) == {Verdict.ACCEPTED, Verdict.CONSUMED}


async def test_of_concurrent_sends_only_one_is_issued(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    results = await asyncio.gather(
        *(
            ctx.store.challenges.issue(
                user_id=seeded.user_id, purpose="reset", code_hash=f"{n:064d}", now=now
            )
            for n in range(6)
        )
    )
    assert sum(1 for r in results if r.challenge_id is not None) == 1


async def test_wrong_codes_count_up_to_the_limit(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    issued = await ctx.store.challenges.issue(
        user_id=seeded.user_id, purpose="verify", code_hash="h" * 64, now=now
    )
    assert issued.challenge_id is not None
    lefts = [
        (await ctx.store.challenges.record_attempt(issued.challenge_id, accepted=False, now=now))
        for _ in range(6)
    ]
    assert [a.attempts_left for a in lefts] == [4, 3, 2, 1, 0, 0]
    late = await ctx.store.challenges.record_attempt(issued.challenge_id, accepted=True, now=now)
    assert late.verdict is Verdict.EXHAUSTED


async def test_throttle_events_are_counted_per_key_and_pruned(ctx: AppContext) -> None:
    throttle = ctx.store.throttle
    await throttle.record_failure(["a", "b"], 100.0, forget_before=0.0)
    await throttle.record_failure(["a"], 200.0, forget_before=0.0)
    assert await throttle.recent_failures(["a", "b", "c"], 50.0) == {
        "a": [100.0, 200.0],
        "b": [100.0],
        "c": [],
    }
    await throttle.record_failure(["a"], 300.0, forget_before=150.0)  # forgets a@100 only
    assert (await throttle.recent_failures(["a", "b"], 0.0)) == {
        "a": [200.0, 300.0],
        "b": [100.0],
    }
    assert await throttle.prune(250.0) == 2
    await throttle.clear("a")
    assert await throttle.recent_failures(["a"], 0.0) == {"a": []}
