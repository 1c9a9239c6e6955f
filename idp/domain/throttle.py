"""Failure throttling: one rule for every guessable secret (passwords, emailed codes, customer
proofs, device user codes, the second factors to come), keyed by whatever the caller counts
tries against.

A try is *reserved* before the secret is evaluated (before any hashing), in the same database
statement that checks the budget, so that parallel requests can't all pass the check before
any of them is counted: of 100 simultaneous wrong passwords, exactly `max_failures` are
evaluated. A try that turns out right is refunded (`refund`), so only failures stay counted.

Per key the store keeps a `Tally`: the tries of the current run, when the run began, and the
latest try. Rule (`reserve`): while a run holds `max_failures` tries or more, the key is locked
for `lockout` after its latest try. Otherwise the try is counted, in the current run if it began
less than `window` ago, or in a new run. A try after the lock lifts, while the run is still in
its window, locks again at once. `idp.store.throttle` runs this rule as one SQL statement; its
tests check it against this function.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Budget:
    max_failures: int
    window: float  # seconds in which max_failures trigger the lock
    lockout: float  # seconds locked after the try that triggered it

    @property
    def horizon(self) -> float:
        """How long after its latest try a tally can still matter; older ones may be deleted."""
        return self.window + self.lockout


@dataclass(frozen=True, slots=True)
class Tally:
    tries: int  # counted in the current run (reserved, not refunded)
    run_start: float
    last_at: float


def is_locked(budget: Budget, tally: Tally, now: float) -> bool:
    return tally.tries >= budget.max_failures and now < tally.last_at + budget.lockout


def retry_after(budget: Budget, tally: Tally | None, now: float) -> float:
    """Seconds until a try is allowed again; 0.0 when it is allowed now."""
    if tally is None or not is_locked(budget, tally, now):
        return 0.0
    return tally.last_at + budget.lockout - now


def reserve(budget: Budget, tally: Tally | None, now: float) -> Tally | None:
    """The tally with one more try counted, or None when the key is locked."""
    if tally is None:
        return Tally(tries=1, run_start=now, last_at=now)
    if is_locked(budget, tally, now):
        return None
    if now >= tally.run_start + budget.window:
        return Tally(tries=1, run_start=now, last_at=now)
    return Tally(tries=tally.tries + 1, run_start=tally.run_start, last_at=now)


def refund(tally: Tally) -> Tally:
    """A reserved try that succeeded: it does not count against the budget."""
    return Tally(tries=max(0, tally.tries - 1), run_start=tally.run_start, last_at=tally.last_at)


_MINUTE = 60.0
_HOUR = 60 * _MINUTE

# --- Named budgets, with their reason -------------------------------------------------------
# Passwords, per account: OWASP's classic 5 tries, then 15 minutes; slows online guessing
# to 480 a day without letting a stranger lock the owner out for long.
PASSWORD_PER_ACCOUNT = Budget(max_failures=5, window=15 * _MINUTE, lockout=15 * _MINUTE)
# Passwords, per client IP across accounts: stops spraying one common password over many
# accounts; high enough for an office behind one NAT address.
PASSWORD_PER_IP = Budget(max_failures=50, window=15 * _MINUTE, lockout=15 * _MINUTE)
# Emailed codes, per client IP across challenges (each code also dies after 5 wrong tries).
EMAIL_CODE_PER_IP = Budget(max_failures=20, window=15 * _MINUTE, lockout=15 * _MINUTE)
# Customer proofs (customer code + invoice or serial number; seed, étape 3): the numbers are
# short and sometimes printed on paper, so guessing is held to 5 an hour per user and per IP.
CUSTOMER_PROOF_PER_USER = Budget(max_failures=5, window=_HOUR, lockout=_HOUR)
CUSTOMER_PROOF_PER_IP = Budget(max_failures=5, window=_HOUR, lockout=_HOUR)
# Device user codes (RFC 8628 §5.1 asks for rate limiting of user code entry): per browser
# session, a few typos; per IP, enough for a shared office but far from brute force.
DEVICE_USER_CODE_PER_SESSION = Budget(max_failures=5, window=15 * _MINUTE, lockout=15 * _MINUTE)
DEVICE_USER_CODE_PER_IP = Budget(max_failures=20, window=15 * _MINUTE, lockout=15 * _MINUTE)
# Second factors (issue 17): app and recovery codes, per account like passwords (a 6-digit
# code at 5 tries per 15 minutes is as slow to guess as a password), per IP across accounts.
SECOND_FACTOR_PER_ACCOUNT = Budget(max_failures=5, window=15 * _MINUTE, lockout=15 * _MINUTE)
SECOND_FACTOR_PER_IP = Budget(max_failures=50, window=15 * _MINUTE, lockout=15 * _MINUTE)


# Every named budget, for retention: a tally older than the longest horizon can't matter.
LONGEST_HORIZON = max(
    budget.horizon
    for budget in (
        PASSWORD_PER_ACCOUNT,
        PASSWORD_PER_IP,
        EMAIL_CODE_PER_IP,
        CUSTOMER_PROOF_PER_USER,
        CUSTOMER_PROOF_PER_IP,
        DEVICE_USER_CODE_PER_SESSION,
        DEVICE_USER_CODE_PER_IP,
        SECOND_FACTOR_PER_ACCOUNT,
        SECOND_FACTOR_PER_IP,
    )
)
