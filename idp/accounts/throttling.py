"""Applying the throttle budgets of `idp.domain.throttle` to named keys in the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request

from idp.domain.throttle import Budget, decide
from idp.store import Store


@dataclass(frozen=True)
class Limit:
    key: str
    budget: Budget


def client_ip(request: Request) -> str:
    # The peer address; under `serve --proxy-headers`, the one a trusted proxy forwarded
    # (uvicorn puts it in the scope; README, "Behind a reverse proxy").
    return request.client.host if request.client else "unknown"


async def check(store: Store, limits: Sequence[Limit], now: float) -> tuple[Limit | None, float]:
    """The first limit that refuses a try now, with the seconds until it lifts."""
    since = now - max(limit.budget.horizon for limit in limits)
    failures = await store.throttle.recent_failures([limit.key for limit in limits], since)
    for limit in limits:
        decision = decide(limit.budget, failures[limit.key], now)
        if not decision.allowed:
            return limit, decision.retry_after
    return None, 0.0


async def fail(store: Store, limits: Sequence[Limit], now: float) -> None:
    horizon = max(limit.budget.horizon for limit in limits)
    await store.throttle.record_failure(
        [limit.key for limit in limits], now, forget_before=now - horizon
    )
