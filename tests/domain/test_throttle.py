from __future__ import annotations

import pkgutil
import subprocess
import sys
from collections.abc import Sequence

import pytest

import idp.domain
from idp.clock import FrozenClock
from idp.domain import throttle
from idp.domain.throttle import PASSWORD_PER_ACCOUNT, Budget, ThrottleDecision, decide

FIVE_IN_15_MIN = Budget(max_failures=5, window=900.0, lockout=900.0)


@pytest.mark.parametrize(
    ("failures", "now", "expected"),
    [
        ((), 0.0, ThrottleDecision(True, 0.0)),
        ((0.0, 1.0, 2.0, 3.0), 4.0, ThrottleDecision(True, 0.0)),
        ((0.0, 1.0, 2.0, 3.0, 4.0), 4.0, ThrottleDecision(False, 900.0)),
        ((0.0, 1.0, 2.0, 3.0, 4.0), 604.0, ThrottleDecision(False, 300.0)),
        ((0.0, 1.0, 2.0, 3.0, 4.0), 904.0, ThrottleDecision(True, 0.0)),
        ((4.0, 2.0, 0.0, 3.0, 1.0), 4.0, ThrottleDecision(False, 900.0)),
        ((0.0, 200.0, 400.0, 600.0, 800.0), 800.0, ThrottleDecision(False, 900.0)),
        # the oldest failure fell out of the window that ends at the latest one
        ((0.0, 1000.0, 1100.0, 1200.0, 1300.0), 1300.0, ThrottleDecision(True, 0.0)),
        ((0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0), 10.0, ThrottleDecision(False, 896.0)),
    ],
)
def test_decide(failures: Sequence[float], now: float, expected: ThrottleDecision) -> None:
    assert decide(FIVE_IN_15_MIN, failures, now) == expected


def test_a_failure_right_after_the_lock_locks_again_while_the_run_is_in_the_window() -> None:
    budget = Budget(max_failures=3, window=3600.0, lockout=60.0)
    clock = FrozenClock(0.0)
    failures = [0.0, 10.0, 20.0]
    assert decide(budget, failures, clock.now()).retry_after == 80.0
    clock.advance(80)
    assert decide(budget, failures, clock.now()).allowed
    clock.advance(10)
    failures.append(clock.now())
    assert decide(budget, failures, clock.now()) == ThrottleDecision(False, 60.0)


def test_password_lock_is_fifteen_minutes_after_the_fifth_failure() -> None:
    clock = FrozenClock()
    failures: list[float] = []
    for _ in range(4):
        failures.append(clock.now())
        clock.advance(30)
        assert decide(PASSWORD_PER_ACCOUNT, failures, clock.now()).allowed
    failures.append(clock.now())
    assert decide(PASSWORD_PER_ACCOUNT, failures, clock.now()) == ThrottleDecision(False, 900.0)
    clock.advance(899)
    assert not decide(PASSWORD_PER_ACCOUNT, failures, clock.now()).allowed
    clock.advance(1)
    assert decide(PASSWORD_PER_ACCOUNT, failures, clock.now()).allowed


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
    }
    assert (PASSWORD_PER_ACCOUNT.max_failures, PASSWORD_PER_ACCOUNT.lockout) == (5, 900.0)
    for proof in (throttle.CUSTOMER_PROOF_PER_USER, throttle.CUSTOMER_PROOF_PER_IP):
        assert (proof.max_failures, proof.window, proof.lockout) == (5, 3600.0, 3600.0)
    assert throttle.PASSWORD_PER_IP.max_failures == 50


@pytest.mark.parametrize("name", sorted(NAMED))
def test_each_named_budget_locks_exactly_at_its_limit(name: str) -> None:
    budget = NAMED[name]
    under = [float(i) for i in range(budget.max_failures - 1)]
    at_limit = [*under, float(budget.max_failures)]
    now = at_limit[-1]
    assert decide(budget, under, now).allowed
    assert decide(budget, at_limit, now) == ThrottleDecision(False, budget.lockout)
    assert decide(budget, at_limit, now + budget.lockout).allowed
    assert budget.horizon == budget.window + budget.lockout


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
