"""Device authorization (RFC 8628) rules: user codes and polling, as plain functions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

# RFC 8628 §6.1: no vowels (no words), no easily confused characters; 20^8 ≈ 2^34.6 codes,
# enough with a 10-minute lifetime and throttled entry.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
# RFC 8628 §3.5: each slow_down adds 5 seconds to the interval the client must respect.
SLOW_DOWN_STEP = 5


def new_user_code() -> str:
    """`XXXX-XXXX`, shown to the user and typed back in a browser."""
    raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return format_user_code(raw)


def format_user_code(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:]}"


def normalise_user_code(typed: str) -> str | None:
    """What the user typed, without case, spaces and dashes (RFC 8628 §6.1); None when it
    cannot be a user code, so it need not reach the database."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(cleaned) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


class PollOutcome(StrEnum):
    PENDING = "authorization_pending"
    SLOW_DOWN = "slow_down"
    APPROVED = "approved"
    DENIED = "access_denied"
    EXPIRED = "expired_token"
    ALREADY_USED = "already_used"


@dataclass(frozen=True)
class DeviceState:
    status: str  # pending | approved | denied
    expires_at: float
    interval: int
    last_polled_at: float | None
    consumed: bool


@dataclass(frozen=True)
class PollDecision:
    outcome: PollOutcome
    interval: int  # the interval from now on (grown on slow_down)


def decide_poll(state: DeviceState, now: float) -> PollDecision:
    """One poll of the token endpoint (RFC 8628 §3.4, §3.5)."""
    if state.consumed:
        return PollDecision(PollOutcome.ALREADY_USED, state.interval)
    if now >= state.expires_at:
        return PollDecision(PollOutcome.EXPIRED, state.interval)
    if state.status == "denied":
        return PollDecision(PollOutcome.DENIED, state.interval)
    if state.status == "approved":
        return PollDecision(PollOutcome.APPROVED, state.interval)
    if state.last_polled_at is not None and now - state.last_polled_at < state.interval:
        return PollDecision(PollOutcome.SLOW_DOWN, state.interval + SLOW_DOWN_STEP)
    return PollDecision(PollOutcome.PENDING, state.interval)


def hash_user_code(key: bytes, normalised: str) -> str:
    """User codes are short: stored as an HMAC under a server key, so a leaked table can't be
    brute-forced offline (DESIGN §5)."""
    import hashlib
    import hmac

    return hmac.new(key, b"user-code:" + normalised.encode(), hashlib.sha256).hexdigest()
