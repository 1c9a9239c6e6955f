"""A sign-up name in `To:` never adds an address, whichever parser reads the header (the
strict one of `email.policy.default`, the legacy `getaddresses` that many tools use)."""

from __future__ import annotations

import email
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import getaddresses

import pytest

from idp.mail.messages import DISPLAY_NAME_MAX, compose_code_mail, header_display_name

TO = "jean@example.fr"
ATTACKS = [
    "a, evil@example.com",
    'Jean", evil@example.com, "x',
    "x <evil@example.com>, y",
    "Jean\r\nBcc: evil@example.com",
    "=?utf-8?q?evil=40example=2Ecom=2C?= x",  # an encoded word readers decode
    "=?utf-8?b?ZXZpbEBleGFtcGxlLmNvbSw=?=",
    "a =?utf-8?q?=3Cevil=40example=2Ecom=3E=2C?= b",
    "x" * 80 + ", evil@example.com",  # folded by the generator
    "Jean " + "é" * 40 + " <evil@example.com>, x",
]


@pytest.mark.parametrize("name", ATTACKS)
def test_no_name_adds_a_recipient(name: str) -> None:
    message = compose_code_mail(
        to=TO,
        name=name,
        code="123456",
        purpose="verify",
        locale="fr",
        sender="Sage ID <no-reply@sage-id.invalid>",
        issuer="http://127.0.0.1:8000",
    )
    raw = message.as_bytes(policy=SMTP)
    strict = BytesParser(policy=default).parsebytes(raw)
    assert [a.addr_spec for a in strict["To"].addresses] == [TO]
    legacy = email.message_from_bytes(raw)
    assert [address for _, address in getaddresses(legacy.get_all("To", []))] == [TO]
    assert "evil@example.com" not in str(strict["To"])


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Zoë O'Brien-Łukasz", "Zoë O'Brien-Łukasz"),
        ("  Jean   Dupont ", "Jean Dupont"),
        ("<>,;@", None),
        ("", None),
        (None, None),
        ("x" * 100, "x" * DISPLAY_NAME_MAX),
    ],
)
def test_names_keep_letters_digits_and_plain_punctuation(
    name: str | None, shown: str | None
) -> None:
    assert header_display_name(name) == shown
