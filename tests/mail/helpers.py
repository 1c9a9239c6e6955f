"""Shared by the mail tests: one code mail, ways to read it back, and a real SMTP server
(aiosmtpd on a loopback port) that keeps what it is sent."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, Literal

from aiosmtpd.controller import Controller

from idp.mail import compose_code_mail
from tests.conftest import free_port

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


class Collector:
    """The SMTP server's handler: keeps each envelope (parsed, with its recipients, and
    whether the session had authenticated) and refuses the recipients in `refuse` with a 550,
    as a relay refuses an unknown mailbox."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.envelopes: list[Any] = []
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.authenticated: list[bool] = []
        self.refuse = set(refuse)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(parse(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted"


@contextmanager
def smtpd(handler: Collector, **kwargs: Any) -> Iterator[int]:
    """An SMTP server on a free loopback port, for the block: its port. `kwargs` go to
    aiosmtpd's Controller (TLS, authentication)."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
