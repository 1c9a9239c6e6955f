"""Password rules for creating a Sage ID or choosing a new password (seed, étape 2, 3°).

The rules follow NIST SP 800-63B §3.1.1.2: a length floor and ceiling, no composition rules,
and a refusal of passwords known from breaches. The blocklist is the "passwords" frequency
list of zxcvbn (Dropbox, MIT licence; extracted from zxcvbn 4.5.0 on PyPI), shipped as
`idp/data/common-passwords.txt`; its header names the source and carries the licence.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from importlib import resources

# Below 12 characters an offline guess of a leaked hash stays cheap even with argon2id.
MIN_LENGTH = 12
# Bounds the argon2 input and the form field; long enough for any passphrase manager output.
MAX_LENGTH = 128

COMMON_PASSWORDS_RESOURCE = "common-passwords.txt"


class PasswordProblem(StrEnum):
    """Why a password is refused; the value is a stable code for forms, logs and tests."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    IS_EMAIL = "is_email"
    COMMON = "common"
    MISMATCH = "mismatch"


# English message ids; the UI translates them through its `messages` catalog.
MESSAGES: dict[PasswordProblem, str] = {
    PasswordProblem.TOO_SHORT: "Use at least 12 characters.",
    PasswordProblem.TOO_LONG: "Use at most 128 characters.",
    PasswordProblem.IS_EMAIL: "Do not use your email address as your password.",
    PasswordProblem.COMMON: "This password is too common. Choose another one.",
    PasswordProblem.MISMATCH: "The two passwords do not match.",
}


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled blocklist, lowercase, read once per process."""
    text = (resources.files("idp") / "data" / COMMON_PASSWORDS_RESOURCE).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _is_email(password: str, email: str) -> bool:
    candidate = password.strip().casefold()
    address = email.strip().casefold()
    local_part = address.rpartition("@")[0] or address
    return bool(address) and candidate in {address, local_part}


def check_password(
    password: str, *, email: str, confirmation: str | None = None
) -> list[PasswordProblem]:
    """Every rule the password breaks, in a stable order; empty when it is acceptable.

    `confirmation` is the second field of the sign-up form; `None` skips that check (e.g. an
    API that takes the password once).
    """
    problems: list[PasswordProblem] = []
    if len(password) < MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    if _is_email(password, email):
        problems.append(PasswordProblem.IS_EMAIL)
    if password.casefold() in common_passwords():
        problems.append(PasswordProblem.COMMON)
    if confirmation is not None and confirmation != password:
        problems.append(PasswordProblem.MISMATCH)
    return problems
