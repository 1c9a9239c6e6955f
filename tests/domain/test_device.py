"""RFC 8628 rules: user-code format and normalisation, polling decisions."""

from __future__ import annotations

import pytest

from idp.domain.device import (
    USER_CODE_ALPHABET,
    DeviceState,
    PollOutcome,
    decide_poll,
    new_user_code,
    normalise_user_code,
)


def test_user_codes_use_the_rfc_alphabet() -> None:
    codes = {new_user_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(USER_CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("BCDF-GHJK", "BCDFGHJK"),
        ("bcdf-ghjk", "BCDFGHJK"),
        (" bcdf ghjk ", "BCDFGHJK"),
        ("BCDFGHJK", "BCDFGHJK"),
        ("BCD-FGH-JK", "BCDFGHJK"),
        ("BCDF-GHJ", None),
        ("BCDF-GHJKL", None),
        ("ABCD-EFGH", None),  # vowels are not in the alphabet
        ("1234-5678", None),
        ("", None),
    ],
)
def test_user_code_normalisation(typed: str, expected: str | None) -> None:
    assert normalise_user_code(typed) == expected


def state(**change: object) -> DeviceState:
    values: dict[str, object] = {
        "status": "pending",
        "expires_at": 1600.0,
        "interval": 5,
        "last_polled_at": None,
        "consumed": False,
    }
    values.update(change)
    return DeviceState(**values)  # type: ignore[arg-type]


def test_first_poll_is_pending() -> None:
    assert decide_poll(state(), 1000).outcome is PollOutcome.PENDING


def test_polling_faster_than_the_interval_slows_down() -> None:
    decision = decide_poll(state(last_polled_at=1000.0), 1004)
    assert decision.outcome is PollOutcome.SLOW_DOWN and decision.interval == 10
    slower = decide_poll(state(last_polled_at=1000.0, interval=10), 1010)
    assert slower.outcome is PollOutcome.PENDING and slower.interval == 10


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"status": "approved"}, PollOutcome.APPROVED),
        ({"status": "denied"}, PollOutcome.DENIED),
        ({"expires_at": 1000.0}, PollOutcome.EXPIRED),
        ({"status": "approved", "expires_at": 999.0}, PollOutcome.EXPIRED),
        ({"status": "approved", "consumed": True}, PollOutcome.ALREADY_USED),
    ],
)
def test_poll_outcomes(change: dict[str, object], outcome: PollOutcome) -> None:
    assert decide_poll(state(**change), 1000).outcome is outcome
