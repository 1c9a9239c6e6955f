from __future__ import annotations

import pkgutil
import subprocess
import sys
from collections.abc import Sequence

import pytest

import idp.domain
from idp.clock import FrozenClock
from idp.domain import throttle
from idp.domain.throttle import (
    LONGEST_HORIZON,
    PASSWORD_PER_ACCOUNT,
    Budget,
    Tally,
    refund,
    reserve,
    retry_after,
)
from tests.domain.helpers import assert_locked_after_five_failures

FIVE_IN_15_MIN = Budget(max_failures=5, window=900.0, lockout=900.0)


def tries(budget: Budget, times: Sequence[float]) -> tuple[Tally | None, list[bool]]:
    """Reserve a try at each time; the final tally and which tries were allowed."""
    tally: Tally | None = None
    allowed = []
    for now in times:
        counted = reserve(budget, tally, now)
        allowed.append(counted is not None)
        tally = counted or tally
    return tally, allowed


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ((), []),
        ((0.0, 1.0, 2.0, 3.0, 4.0), [True] * 5),
        ((0.0, 1.0, 2.0, 3.0, 4.0, 5.0), [True] * 5 + [False]),
        ((0.0, 1.0, 2.0, 3.0, 4.0, 604.0), [True] * 5 + [False]),
        ((0.0, 1.0, 2.0, 3.0, 4.0, 904.0), [True] * 6),
        ((0.0, 200.0, 400.0, 600.0, 800.0, 1000.0), [True] * 5 + [False]),
        # the run began more than a window ago and never locked: a new run begins
        ((0.0, 1000.0, 1100.0, 1200.0, 1300.0, 1400.0), [True] * 6),
    ],
)
def test_reserve(times: Sequence[float], expected: list[bool]) -> None:
    assert tries(FIVE_IN_15_MIN, times)[1] == expected


def test_the_lock_lasts_lockout_after_the_latest_try() -> None:
    tally, _ = tries(FIVE_IN_15_MIN, [0.0, 1.0, 2.0, 3.0, 4.0])
    assert retry_after(FIVE_IN_15_MIN, tally, 4.0) == 900.0
    assert retry_after(FIVE_IN_15_MIN, tally, 604.0) == 300.0
    assert retry_after(FIVE_IN_15_MIN, tally, 904.0) == 0.0
    assert retry_after(FIVE_IN_15_MIN, None, 4.0) == 0.0


def test_a_refunded_try_does_not_count() -> None:
    tally, _ = tries(FIVE_IN_15_MIN, [0.0, 1.0, 2.0, 3.0, 4.0])
    assert tally is not None
    tally = refund(tally)
    assert reserve(FIVE_IN_15_MIN, tally, 5.0) == Tally(tries=5, run_start=0.0, last_at=5.0)
    assert refund(Tally(0, 0.0, 0.0)).tries == 0


def test_a_try_right_after_the_lock_locks_again_while_the_run_is_in_the_window() -> None:
    budget = Budget(max_failures=3, window=3600.0, lockout=60.0)
    clock = FrozenClock(0.0)
    tally, allowed = tries(budget, [0.0, 10.0, 20.0, 21.0])
    assert allowed == [True, True, True, False]
    assert retry_after(budget, tally, clock.now()) == 80.0
    clock.advance(80)
    tally = reserve(budget, tally, clock.now())
    assert tally is not None and tally.tries == 4
    assert reserve(budget, tally, clock.now() + 10) is None
    assert retry_after(budget, tally, clock.now() + 10) == 50.0


def test_password_lock_is_fifteen_minutes_after_the_fifth_failure() -> None:
    assert_locked_after_five_failures(PASSWORD_PER_ACCOUNT, spacing=30, lockout=900.0)


NAMED = {
    name: value
    for name, value in vars(throttle).items()
    if isinstance(value, Budget) and name.isupper()
}


def test_named_budgets_exist() -> None:
    assert set(NAMED) == {
        "PASSWORD_PER_ACCOUNT",
        "PASSWORD_PER_IP",
        "EMAIL_CODE_PER_IP",
        "CUSTOMER_PROOF_PER_USER",
        "CUSTOMER_PROOF_PER_IP",
        "DEVICE_USER_CODE_PER_SESSION",
        "DEVICE_USER_CODE_PER_IP",
        "SECOND_FACTOR_PER_ACCOUNT",  # issue 17
        "SECOND_FACTOR_PER_IP",
    }
    assert (PASSWORD_PER_ACCOUNT.max_failures, PASSWORD_PER_ACCOUNT.lockout) == (5, 900.0)
    for proof in (throttle.CUSTOMER_PROOF_PER_USER, throttle.CUSTOMER_PROOF_PER_IP):
        assert (proof.max_failures, proof.window, proof.lockout) == (5, 3600.0, 3600.0)
    assert throttle.PASSWORD_PER_IP.max_failures == 50


@pytest.mark.parametrize("name", sorted(NAMED))
def test_each_named_budget_locks_exactly_at_its_limit(name: str) -> None:
    budget = NAMED[name]
    tally, allowed = tries(budget, [float(i) for i in range(budget.max_failures + 1)])
    assert allowed == [True] * budget.max_failures + [False]
    now = float(budget.max_failures)
    assert retry_after(budget, tally, now) == budget.lockout - 1
    assert reserve(budget, tally, now - 1 + budget.lockout) is not None
    assert budget.horizon == budget.window + budget.lockout
    assert budget.horizon <= LONGEST_HORIZON


def test_domain_modules_import_no_web_or_database_framework() -> None:
    modules = [f"idp.domain.{m.name}" for m in pkgutil.iter_modules(idp.domain.__path__)]
    assert {"idp.domain.throttle", "idp.domain.email_codes", "idp.domain.password_policy"} <= set(
        modules
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'starlette', 'sqlmodel', 'sqlalchemy'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
