from __future__ import annotations

from importlib import resources

import pytest

from idp.domain.password_policy import (
    MAX_LENGTH,
    MESSAGES,
    MIN_LENGTH,
    PasswordProblem,
    check_password,
    common_passwords,
)

EMAIL = "Jean.Dupont-Paie@Boulangerie-Martin.fr"
GOOD = "tartine beurre confiture"


def test_bundled_list_is_real_lowercase_and_deduplicated() -> None:
    text = (resources.files("idp") / "data" / "common-passwords.txt").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("#") and "zxcvbn" in lines[0]
    entries = [line for line in lines if not line.startswith("#")]
    assert len(entries) >= 10_000
    assert len(set(entries)) == len(entries)
    assert all(entry == entry.strip().lower() and entry for entry in entries)
    assert common_passwords() == frozenset(entries)
    assert {"123456", "password", "azerty", "1qaz2wsx3edc"} <= common_passwords()


def test_good_password_has_no_problem() -> None:
    assert check_password(GOOD, email=EMAIL, confirmation=GOOD) == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("x" * (MIN_LENGTH - 1), [PasswordProblem.TOO_SHORT]),
        ("x" * MIN_LENGTH, []),
        ("x" * MAX_LENGTH, []),
        ("x" * (MAX_LENGTH + 1), [PasswordProblem.TOO_LONG]),
        (EMAIL, [PasswordProblem.IS_EMAIL]),
        (EMAIL.upper(), [PasswordProblem.IS_EMAIL]),
        (f"  {EMAIL.lower()} ", [PasswordProblem.IS_EMAIL]),
        ("jean.dupont-paie", [PasswordProblem.IS_EMAIL]),
        ("jean.dupont-paie!", []),
        ("qwerty123456", [PasswordProblem.COMMON]),
        ("QWERTY123456", [PasswordProblem.COMMON]),
        ("1qaz2wsx3edc", [PasswordProblem.COMMON]),
        ("password", [PasswordProblem.TOO_SHORT, PasswordProblem.COMMON]),
    ],
)
def test_rules(password: str, expected: list[PasswordProblem]) -> None:
    assert check_password(password, email=EMAIL) == expected


def test_local_part_is_refused_for_a_short_local_part_too() -> None:
    assert check_password("ab", email="ab@example.fr") == [
        PasswordProblem.TOO_SHORT,
        PasswordProblem.IS_EMAIL,
    ]


def test_empty_email_is_not_a_match() -> None:
    assert check_password(GOOD, email="") == []


@pytest.mark.parametrize(
    ("confirmation", "expected"),
    [
        (GOOD, []),
        (None, []),
        (GOOD.upper(), [PasswordProblem.MISMATCH]),
        ("", [PasswordProblem.MISMATCH]),
    ],
)
def test_confirmation(confirmation: str | None, expected: list[PasswordProblem]) -> None:
    assert check_password(GOOD, email=EMAIL, confirmation=confirmation) == expected


def test_every_problem_has_a_message_and_a_stable_code() -> None:
    assert set(MESSAGES) == set(PasswordProblem)
    assert [p.value for p in PasswordProblem] == [
        "too_short",
        "too_long",
        "is_email",
        "common",
        "mismatch",
    ]
    assert "12" in MESSAGES[PasswordProblem.TOO_SHORT]
