"""Emailed codes: account verification (seed, étape 2, 4°) and password reset.

A challenge is a 6-digit code mailed to the user, stored only as an HMAC, and judged here by
pure functions over a frozen `ChallengeState`; the store persists the state and applies the
transitions atomically. Verdicts are enums so each page can say exactly what went wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

# "email": a change of address, the code mailed to the new one (issue 18).
Purpose = Literal["verify", "reset", "email"]

# --- Rules, with their reason -------------------------------------------------------------
# Six digits can be read on a phone and typed on the desktop; with MAX_ATTEMPTS guesses per
# code the chance of guessing one code is 5 in 1,000,000.
CODE_DIGITS = 6
# Long enough to switch to a mail client and back; the mail states this duration.
CODE_LIFETIME = 15 * 60.0
# After this many wrong codes the challenge is dead and a new code must be sent, so guessing
# costs a resend, which is itself limited below.
MAX_ATTEMPTS = 5
# Resends: one a minute stops double clicks and mail bombing of one address; five an hour
# (the first mail included) caps guesses at 25 per hour and account.
RESEND_INTERVAL = 60.0
RESEND_WINDOW = 60 * 60.0
MAX_SENDS_PER_WINDOW = 5

# Domain separation: a code HMAC can't be mistaken for any other HMAC made with the same key.
_HMAC_LABEL = b"sageid/email-code/v1"


def generate_code() -> str:
    """A uniformly random code of `CODE_DIGITS` digits (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalize_code(raw: str) -> str:
    """What the user typed, without the spaces or dashes people add when copying a code."""
    return "".join(ch for ch in raw if not ch.isspace() and ch != "-")


def _field(value: str) -> bytes:
    data = value.encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def hash_code(key: bytes, code: str, *, purpose: Purpose, subject: str) -> str:
    """HMAC-SHA-256 of the code bound to its purpose and subject (user id or email), so a
    stored hash verifies neither a reset code nor another user's code. Hex encoded."""
    message = _HMAC_LABEL + _field(purpose) + _field(subject) + _field(code)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_code(
    key: bytes, code: str, expected_hash: str, *, purpose: Purpose, subject: str
) -> bool:
    """Constant-time comparison of a submitted code with the stored hash."""
    actual = hash_code(key, normalize_code(code), purpose=purpose, subject=subject)
    return hmac.compare_digest(actual, expected_hash)


@dataclass(frozen=True, slots=True)
class ChallengeState:
    """What the store keeps about the current code (besides its hash)."""

    issued_at: float
    attempts: int = 0
    consumed: bool = False
    sends: tuple[float, ...] = ()


class Verdict(StrEnum):
    OPEN = "open"  # the code may be tried
    ACCEPTED = "accepted"  # right code: the challenge is now consumed
    WRONG_CODE = "wrong_code"  # see `Attempt.attempts_left`
    EXPIRED = "expired"  # older than CODE_LIFETIME: send a new code
    EXHAUSTED = "exhausted"  # MAX_ATTEMPTS wrong codes: send a new code
    CONSUMED = "consumed"  # single use: already accepted once


@dataclass(frozen=True, slots=True)
class Attempt:
    verdict: Verdict
    state: ChallengeState
    attempts_left: int


def new_challenge(now: float) -> ChallengeState:
    return ChallengeState(issued_at=now, sends=(now,))


def check_attempt(state: ChallengeState, now: float) -> Verdict:
    """Whether the challenge can still be tried at all: `OPEN` or why not."""
    if state.consumed:
        return Verdict.CONSUMED
    if state.attempts >= MAX_ATTEMPTS:
        return Verdict.EXHAUSTED
    if now >= state.issued_at + CODE_LIFETIME:
        return Verdict.EXPIRED
    return Verdict.OPEN


def attempt(state: ChallengeState, *, code_matches: bool, now: float) -> Attempt:
    """Judge one submission; `code_matches` comes from `verify_code`. A closed challenge is
    left unchanged, so a late right code never counts."""
    verdict = check_attempt(state, now)
    if verdict is not Verdict.OPEN:
        return Attempt(verdict, state, max(0, MAX_ATTEMPTS - state.attempts))
    if code_matches:
        consumed = replace(state, consumed=True)
        return Attempt(Verdict.ACCEPTED, consumed, MAX_ATTEMPTS - state.attempts)
    failed = replace(state, attempts=state.attempts + 1)
    return Attempt(Verdict.WRONG_CODE, failed, MAX_ATTEMPTS - failed.attempts)


class ResendStatus(StrEnum):
    OK = "ok"
    WAIT = "wait"  # less than RESEND_INTERVAL since the last mail
    HOURLY_LIMIT = "hourly_limit"  # MAX_SENDS_PER_WINDOW mails within RESEND_WINDOW


@dataclass(frozen=True, slots=True)
class ResendVerdict:
    status: ResendStatus
    retry_after: int  # whole seconds to wait; 0 when status is OK


def can_resend(sends: Sequence[float], now: float) -> ResendVerdict:
    """Whether another code may be mailed now, given when the earlier ones were."""
    recent = sorted(t for t in sends if t > now - RESEND_WINDOW)
    interval_ends = recent[-1] + RESEND_INTERVAL if recent else now
    if len(recent) >= MAX_SENDS_PER_WINDOW:
        window_frees = recent[-MAX_SENDS_PER_WINDOW] + RESEND_WINDOW
        wait = max(window_frees, interval_ends) - now
        return ResendVerdict(ResendStatus.HOURLY_LIMIT, math.ceil(wait))
    if now < interval_ends:
        return ResendVerdict(ResendStatus.WAIT, math.ceil(interval_ends - now))
    return ResendVerdict(ResendStatus.OK, 0)


def resend(state: ChallengeState, now: float) -> ChallengeState:
    """The state after mailing a fresh code: new lifetime, attempts reset, send recorded
    (sends older than the window are dropped). Call only when `can_resend` said OK."""
    verdict = can_resend(state.sends, now)
    if verdict.status is not ResendStatus.OK:
        raise ValueError(f"resend refused: {verdict.status}")
    sends = (*(t for t in state.sends if t > now - RESEND_WINDOW), now)
    return ChallengeState(issued_at=now, sends=sends)
