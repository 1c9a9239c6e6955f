"""The throttle's lockout walked through second by second, shared by the budgets that lock
(passwords, customer proofs): the same check, each with its own figures."""

from __future__ import annotations

from idp.clock import FrozenClock
from idp.domain.throttle import Budget, Tally, reserve, retry_after


def assert_locked_after_five_failures(budget: Budget, *, spacing: float, lockout: float) -> None:
    """Five failures `spacing` seconds apart are counted; a sixth at the fifth's time is
    refused, and every try is, for exactly `lockout` seconds from then."""
    clock = FrozenClock()
    tally: Tally | None = None
    for _ in range(5):
        tally = reserve(budget, tally, clock.now())
        assert tally is not None
        clock.advance(spacing)
    clock.advance(-spacing)
    assert reserve(budget, tally, clock.now()) is None
    assert retry_after(budget, tally, clock.now()) == lockout
    clock.advance(lockout - 1)
    assert reserve(budget, tally, clock.now()) is None
    clock.advance(1)
    assert reserve(budget, tally, clock.now()) is not None
