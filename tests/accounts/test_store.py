"""The challenge repository, on every database backend: single use under
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
