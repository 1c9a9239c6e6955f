"""Failure throttling: one rule for every guessable secret (passwords, emailed codes, customer
proofs, device user codes), keyed by whatever the caller counts failures against.

Rule: when the latest failure closes a run of `max_failures` failures within `window`, the key
is locked for `lockout` after that latest failure. A failure made after the lock lifts, while
the run is still within the window, locks again at once. The store records failure times
(in the database, so every worker sees them) and passes those newer than `Budget.horizon`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Budget:
    max_failures: int
    window: float  # seconds in which max_failures trigger the lock
    lockout: float  # seconds locked after the failure that triggered it

    @property
    def horizon(self) -> float:
        """How far back failures can still matter; older ones may be deleted."""
        return self.window + self.lockout


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    allowed: bool
    retry_after: float  # seconds until allowed; 0.0 when allowed


ALLOWED = ThrottleDecision(allowed=True, retry_after=0.0)


def decide(budget: Budget, failure_times: Sequence[float], now: float) -> ThrottleDecision:
    """Whether one more try is allowed at `now`, given the recorded failure times."""
    if not failure_times:
        return ALLOWED
    latest = max(failure_times)
    locked_until = latest + budget.lockout
    if now >= locked_until:
        return ALLOWED
    run = sum(1 for t in failure_times if latest - budget.window < t <= latest)
    if run < budget.max_failures:
        return ALLOWED
    return ThrottleDecision(allowed=False, retry_after=locked_until - now)


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
