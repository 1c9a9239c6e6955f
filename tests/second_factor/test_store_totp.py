"""Authenticator-app codes (RFC 6238) with an injected clock: a code works once, old codes
are refused, and wrong codes lock like passwords, parallel tries included."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pyotp
import pytest

from idp.accounts.second_factor import FactorStatus, check_second_factor
from idp.audit import Kind, Outcome
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.domain.second_factor import matching_step, time_step
from idp.store.records import UserRecord
from tests.second_factor.helpers import code_at, enrol_app
from tests.support import Seeded

IP = "192.0.2.7"


def test_a_code_belongs_to_its_step_and_one_either_side() -> None:
    secret = pyotp.random_base32()
    now = 1_764_000_015.0
    step = time_step(now)
    assert matching_step(secret, code_at(secret, now), now, 0) == step
    assert matching_step(secret, code_at(secret, now - 30), now, 0) == step - 1
    assert matching_step(secret, code_at(secret, now + 30), now, 0) == step + 1
    assert matching_step(secret, code_at(secret, now - 60), now, 0) is None
    # Already used steps are over, and junk is no code.
    assert matching_step(secret, code_at(secret, now), now, step) is None
    for junk in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert matching_step(secret, junk, now, 0) is None


@dataclass(frozen=True)
class Enrolled:
    user: UserRecord
    secret: str


@pytest.fixture
async def enrolled(ctx: AppContext, seeded: Seeded) -> Enrolled:
    """The seeded user, with an authenticator app enrolled: its secret."""
    user = await ctx.store.users.by_id(seeded.user_id)
    assert user is not None
    return Enrolled(user, await enrol_app(ctx, user.id))


async def test_the_right_code_works_once(
    ctx: AppContext, enrolled: Enrolled, clock: FrozenClock
) -> None:
    user, secret = enrolled.user, enrolled.secret
    code = code_at(secret, clock.now())
    first = await check_second_factor(ctx, user, code, IP)
    assert first.status is FactorStatus.ACCEPTED
    assert first.amr.split() == ["pwd", "otp", "mfa"]
    clock.advance(5)  # same 30-second step (or the next, whose window still holds it)
    again = await check_second_factor(ctx, user, code, IP)
    assert again.status is FactorStatus.WRONG
    # The next step's code is accepted.
    clock.advance(30)
    later = await check_second_factor(ctx, user, code_at(secret, clock.now()), IP)
    assert later.status is FactorStatus.ACCEPTED


async def test_a_code_two_steps_old_is_refused(
    ctx: AppContext, enrolled: Enrolled, clock: FrozenClock
) -> None:
    user, secret = enrolled.user, enrolled.secret
    old = code_at(secret, clock.now() - 60)
    if old == code_at(secret, clock.now()) or old == code_at(secret, clock.now() - 30):
        clock.advance(30)  # a 1-in-a-million collision would make the test meaningless
        old = code_at(secret, clock.now() - 60)
    assert (await check_second_factor(ctx, user, old, IP)).status is FactorStatus.WRONG
    recent = code_at(secret, clock.now() - 30)
    assert (await check_second_factor(ctx, user, recent, IP)).status is FactorStatus.ACCEPTED


async def test_five_wrong_codes_lock_even_the_right_one(
    ctx: AppContext, enrolled: Enrolled, clock: FrozenClock
) -> None:
    user, secret = enrolled.user, enrolled.secret
    right = code_at(secret, clock.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await check_second_factor(ctx, user, wrong, IP)).status is FactorStatus.WRONG
    locked = await check_second_factor(ctx, user, right, IP)
    assert locked.status is FactorStatus.LOCKED and locked.retry_after > 0
    events = await ctx.store.audit.list(subject=user.id)
    assert any(e.kind == Kind.LOCKOUT and e.detail["scope"] == "second_factor" for e in events)
    clock.advance(15 * 60 + 1)
    fresh = await check_second_factor(ctx, user, code_at(secret, clock.now()), IP)
    assert fresh.status is FactorStatus.ACCEPTED


async def test_parallel_wrong_codes_are_evaluated_five_times(
    ctx: AppContext, enrolled: Enrolled
) -> None:
    user = enrolled.user
    results = await asyncio.gather(
        *(check_second_factor(ctx, user, "000000", f"198.51.100.{i}") for i in range(30))
    )
    statuses = [r.status for r in results]
    assert statuses.count(FactorStatus.WRONG) == 5
    assert statuses.count(FactorStatus.LOCKED) == 25
    events = await ctx.store.audit.list(subject=user.id)
    used = [e for e in events if e.kind == Kind.SECOND_FACTOR_USED]
    assert sum(e.outcome == Outcome.FAILURE for e in used) == 5


async def test_one_code_sent_twice_at_once_wins_once(
    ctx: AppContext, enrolled: Enrolled, clock: FrozenClock
) -> None:
    user, secret = enrolled.user, enrolled.secret
    code = code_at(secret, clock.now())
    results = await asyncio.gather(*(check_second_factor(ctx, user, code, IP) for _ in range(6)))
    assert [r.status for r in results].count(FactorStatus.ACCEPTED) == 1


async def test_every_enrolled_app_is_accepted(
    ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    user = await ctx.store.users.by_id(seeded.user_id)
    assert user is not None
    first_app = await enrol_app(ctx, user.id)
    second_app = await enrol_app(ctx, user.id)
    code = code_at(second_app, clock.now())
    if code == code_at(first_app, clock.now()):
        clock.advance(30)
        code = code_at(second_app, clock.now())
    assert (await check_second_factor(ctx, user, code, IP)).status is FactorStatus.ACCEPTED
