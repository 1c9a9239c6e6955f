"""The pure parts behind the CLI's output: identity claims, durations, the QR code, the
countdown's sleep."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import pytest
from rich.console import Console

from client import DeviceAuthorization, Identity, ReferencedAccount
from client._console import DeviceCountdown, minutes_seconds, qr_code, relative, signed_in_until
from client._identity import parse_referencing
from tests.client.helpers import START, FrozenClock, make_entry

from .fake_provider import REFERENCING


def test_identity_from_claims() -> None:
    identity = Identity.from_claims(
        {"sub": "u1", "name": "Marie Martin", "email": "m@example.com", "referencing": REFERENCING}
    )
    assert identity.display_name() == "Marie Martin <m@example.com>"
    assert identity.referencing is not None and identity.referencing.status == "referenced"
    assert identity.referencing.accounts == (
        ReferencedAccount(
            customer_code="BOUL-0001",
            customer_name="Boulangerie Martin",
            profile="Administrateur",
            is_admin=True,
            method="notification_email",
            referenced_at=1_700_000_000.0,
        ),
    )


@pytest.mark.parametrize(
    ("claims", "shown"),
    [
        ({"sub": "u1", "email": "m@example.com"}, "m@example.com"),
        ({"sub": "u1", "name": "Marie"}, "Marie"),
        ({"sub": "u1", "name": 42}, "u1"),
    ],
)
def test_display_name_falls_back(claims: dict[str, Any], shown: str) -> None:
    assert Identity.from_claims(claims).display_name() == shown


def test_pending_referencing() -> None:
    parsed = parse_referencing({"status": "pending", "accounts": []})
    assert parsed is not None and (parsed.status, parsed.accounts) == ("pending", ())


@pytest.mark.parametrize("claim", [None, "referenced", ["a"], 1])
def test_absent_or_malformed_referencing(claim: object) -> None:
    assert parse_referencing(claim) is None


def test_malformed_accounts_are_skipped() -> None:
    claim = {
        "status": "referenced",
        "accounts": [{"customer_name": "no code"}, "x", REFERENCING["accounts"][0]],
    }
    parsed = parse_referencing(claim)
    assert parsed is not None and [a.customer_code for a in parsed.accounts] == ["BOUL-0001"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30 * 86_400, "in 30 days"),
        (86_400 + 5, "in 1 day"),
        (3 * 3600 + 59, "in 3 hours"),
        (61, "in 1 minute"),
        (30, "in less than a minute"),
        (-120, "2 minutes ago"),
    ],
)
def test_relative(seconds: float, text: str) -> None:
    assert relative(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [(600, "10:00"), (598.7, "9:58"), (-3, "0:00")])
def test_minutes_seconds(seconds: float, text: str) -> None:
    assert minutes_seconds(seconds) == text


def test_qr_code_is_a_square_of_half_blocks() -> None:
    lines = qr_code("http://127.0.0.1:8000/device?user_code=WDJB-MJHT").splitlines()
    assert len({len(line) for line in lines}) == 1
    assert set("".join(lines)) <= {" ", "█", "▀", "▄"}
    # Two module rows per line: a square code is about twice as wide as it is tall.
    assert len(lines[0]) // 2 <= len(lines) <= len(lines[0]) // 2 + 1


def test_signed_in_until() -> None:
    entry = make_entry(START)
    assert signed_in_until(entry) == START + 30 * 86_400
    assert signed_in_until(replace(entry, refresh_token=None)) == START + 600


def test_countdown_sleeps_in_steps_and_counts_down() -> None:
    clock = FrozenClock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    countdown = DeviceCountdown(Console(file=io.StringIO()), clock, sleep)
    authorization = DeviceAuthorization("dc", "WDJB-MJHT", "https://x/device", None, START + 600, 5)
    countdown.start(authorization)
    try:
        countdown.sleep(5.5)
    finally:
        countdown.stop()
    assert slept == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5]
    assert clock.now() == START + 5.5
