"""Shared by the mail tests: one code mail and ways to read it back."""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Literal

from idp.mail import compose_code_mail

CODE = "042917"
SENDER = "Sage ID <no-reply@id.sage.example>"
ISSUER = "https://id.sage.example"


def code_mail(locale: str = "fr", purpose: Literal["verify", "reset"] = "verify") -> EmailMessage:
    return compose_code_mail(
        to="marie.martin@example.fr",
        name="Marie Martin",
        code=CODE,
        purpose=purpose,
        locale=locale,
        sender=SENDER,
        issuer=ISSUER,
        sent_at=1_764_000_000.0,
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None and markup is not None
    return str(text.get_content()), str(markup.get_content())


def parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=default_policy).parsebytes(data)
