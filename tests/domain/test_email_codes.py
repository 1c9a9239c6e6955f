from __future__ import annotations

import re
import secrets

import pytest

from idp.clock import FrozenClock
from idp.domain.email_codes import (
    CODE_LIFETIME,
    MAX_ATTEMPTS,
    MAX_SENDS_PER_WINDOW,
    RESEND_INTERVAL,
    RESEND_WINDOW,
    ChallengeState,
    Purpose,
    ResendStatus,
    Verdict,
    attempt,
    can_resend,
    check_attempt,
    generate_code,
    hash_code,
    new_challenge,
    resend,
    verify_code,
)

KEY = b"k" * 32
SUBJECT = "user-42"


def test_codes_are_six_random_digits() -> None:
    codes = [generate_code() for _ in range(200)]
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(set(codes)) > 190


def test_codes_keep_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "randbelow", lambda _: 42)
    assert generate_code() == "000042"


def test_hash_is_hex_sha256_and_verifies() -> None:
    stored = hash_code(KEY, "123456", purpose="verify", subject=SUBJECT)
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert verify_code(KEY, "123456", stored, purpose="verify", subject=SUBJECT)
    assert verify_code(KEY, " 123 456\n", stored, purpose="verify", subject=SUBJECT)
    assert verify_code(KEY, "123-456", stored, purpose="verify", subject=SUBJECT)


def test_a_tampered_hash_does_not_verify() -> None:
    stored = hash_code(KEY, "123456", purpose="verify", subject=SUBJECT)
    tampered = stored[:-1] + ("0" if stored[-1] != "0" else "1")
    assert not verify_code(KEY, "123456", tampered, purpose="verify", subject=SUBJECT)
    assert not verify_code(KEY, "123456", stored.upper(), purpose="verify", subject=SUBJECT)


@pytest.mark.parametrize(
    ("key", "code", "purpose", "subject"),
    [
        (b"other key", "123456", "verify", SUBJECT),
        (KEY, "123457", "verify", SUBJECT),
        (KEY, "123456", "reset", SUBJECT),
        (KEY, "123456", "verify", "user-43"),
        (KEY, "", "verify", SUBJECT),
    ],
)
def test_hash_is_bound_to_key_code_purpose_and_subject(
    key: bytes, code: str, purpose: Purpose, subject: str
) -> None:
    stored = hash_code(KEY, "123456", purpose="verify", subject=SUBJECT)
    assert not verify_code(key, code, stored, purpose=purpose, subject=subject)


def test_fields_cannot_be_shifted_into_each_other() -> None:
    assert hash_code(KEY, "456", purpose="verify", subject="user-123") != hash_code(
        KEY, "123456", purpose="verify", subject="user-"
    )


@pytest.mark.parametrize(
    ("state", "elapsed", "expected"),
    [
        (ChallengeState(issued_at=0.0), 0.0, Verdict.OPEN),
        (ChallengeState(issued_at=0.0), CODE_LIFETIME - 1, Verdict.OPEN),
        (ChallengeState(issued_at=0.0), CODE_LIFETIME, Verdict.EXPIRED),
        (ChallengeState(issued_at=0.0, attempts=MAX_ATTEMPTS - 1), 0.0, Verdict.OPEN),
        (ChallengeState(issued_at=0.0, attempts=MAX_ATTEMPTS), 0.0, Verdict.EXHAUSTED),
        (ChallengeState(issued_at=0.0, consumed=True), 0.0, Verdict.CONSUMED),
        (ChallengeState(issued_at=0.0, consumed=True), CODE_LIFETIME, Verdict.CONSUMED),
    ],
)
def test_check_attempt(state: ChallengeState, elapsed: float, expected: Verdict) -> None:
    assert check_attempt(state, state.issued_at + elapsed) is expected


def test_right_code_after_four_wrong_ones_is_accepted_once() -> None:
    clock = FrozenClock()
    state = new_challenge(clock.now())
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        clock.advance(10)
        result = attempt(state, code_matches=False, now=clock.now())
        assert (result.verdict, result.attempts_left) == (Verdict.WRONG_CODE, left)
        state = result.state
    accepted = attempt(state, code_matches=True, now=clock.now())
    assert accepted.verdict is Verdict.ACCEPTED
    assert accepted.state.consumed
    replay = attempt(accepted.state, code_matches=True, now=clock.now())
    assert replay.verdict is Verdict.CONSUMED
    assert replay.state == accepted.state


def test_fifth_wrong_code_kills_the_challenge() -> None:
    clock = FrozenClock()
    state = new_challenge(clock.now())
    for _ in range(MAX_ATTEMPTS):
        result = attempt(state, code_matches=False, now=clock.now())
        state = result.state
    assert (result.verdict, result.attempts_left) == (Verdict.WRONG_CODE, 0)
    late = attempt(state, code_matches=True, now=clock.now())
    assert late.verdict is Verdict.EXHAUSTED
    assert not late.state.consumed


def test_right_code_after_expiry_is_refused_and_not_counted() -> None:
    clock = FrozenClock()
    state = new_challenge(clock.now())
    clock.advance(CODE_LIFETIME)
    result = attempt(state, code_matches=True, now=clock.now())
    assert result.verdict is Verdict.EXPIRED
    assert result.state == state


@pytest.mark.parametrize(
    ("sends", "now", "status", "retry_after"),
    [
        ((), 0.0, ResendStatus.OK, 0),
        ((0.0,), 0.0, ResendStatus.WAIT, 60),
        ((0.0,), 30.5, ResendStatus.WAIT, 30),
        ((0.0,), RESEND_INTERVAL, ResendStatus.OK, 0),
        ((0.0, 100.0, 200.0, 300.0), 400.0, ResendStatus.OK, 0),
        ((0.0, 100.0, 200.0, 300.0, 400.0), 500.0, ResendStatus.HOURLY_LIMIT, 3100),
        ((400.0, 0.0, 300.0, 100.0, 200.0), 500.0, ResendStatus.HOURLY_LIMIT, 3100),
        ((0.0, 100.0, 200.0, 300.0, 400.0), RESEND_WINDOW, ResendStatus.OK, 0),
        ((0.0, 10.0, 20.0, 30.0, 3590.0), 3595.0, ResendStatus.HOURLY_LIMIT, 55),
        ((-5000.0, -4000.0, -3700.0, 0.0, 100.0), 200.0, ResendStatus.OK, 0),
    ],
)
def test_can_resend(
    sends: tuple[float, ...], now: float, status: ResendStatus, retry_after: int
) -> None:
    verdict = can_resend(sends, now)
    assert (verdict.status, verdict.retry_after) == (status, retry_after)


def test_resend_starts_a_fresh_code_and_records_the_send() -> None:
    clock = FrozenClock()
    state = attempt(new_challenge(clock.now()), code_matches=False, now=clock.now()).state
    clock.advance(RESEND_WINDOW + 1)
    first_send = state.sends[0]
    state = resend(state, clock.now())
    assert state == ChallengeState(issued_at=clock.now(), sends=(clock.now(),))
    assert first_send not in state.sends
    clock.advance(RESEND_INTERVAL)
    state = resend(state, clock.now())
    assert len(state.sends) == 2
    with pytest.raises(ValueError, match="wait"):
        resend(state, clock.now())


def test_at_most_five_mails_an_hour() -> None:
    clock = FrozenClock()
    state = new_challenge(clock.now())
    for _ in range(MAX_SENDS_PER_WINDOW - 1):
        clock.advance(RESEND_INTERVAL)
        state = resend(state, clock.now())
    clock.advance(RESEND_INTERVAL)
    assert can_resend(state.sends, clock.now()).status is ResendStatus.HOURLY_LIMIT
