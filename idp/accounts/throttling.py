"""Applying the throttle budgets of `idp.domain.throttle` to named keys in the store.

Every guessable secret goes through the same three steps: `reserve` the try under its keys
(before evaluating anything: no hash is computed for a refused try), evaluate it, then
`succeeded` (the try is refunded) or nothing (it stays counted as a failure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from idp.domain.throttle import Budget
from idp.store import Store
from idp.store.throttle import Refusal


@dataclass(frozen=True)
class Limit:
    key: str
    budget: Budget


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve`: `refused` is the limit that refused the try (nothing was
    counted), otherwise `tries` holds the tries counted per key, this one included."""

    refused: Limit | None = None
    retry_after: float = 0.0
    tries: dict[str, int] | None = None

    def reached(self, limit: Limit) -> bool:
        """This try, if it fails, is the one that locks `limit` (for the audit trail)."""
        return self.tries is not None and self.tries.get(limit.key) == limit.budget.max_failures


async def reserve(store: Store, limits: Sequence[Limit], now: float) -> Reservation:
    """Count one try under every limit at once, or refuse it without counting anything."""
    outcome = await store.throttle.reserve([(limit.key, limit.budget) for limit in limits], now)
    if isinstance(outcome, Refusal):
        refused = next(limit for limit in limits if limit.key == outcome.key)
        return Reservation(refused=refused, retry_after=outcome.retry_after)
    return Reservation(tries=outcome)


async def succeeded(store: Store, limits: Sequence[Limit]) -> None:
    """The reserved try was right: it does not count against these limits."""
    await store.throttle.refund([limit.key for limit in limits])
