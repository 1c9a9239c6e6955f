"""The code mail through a real SMTP server (aiosmtpd on a loopback port), driven from the
pages, in French and in English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from idp.context import AppContext
from idp.settings import Settings, SmtpSettings
from tests.accounts.helpers import NEW_EMAIL, enter_code, signup, submit
from tests.conftest import free_port
from tests.mail.helpers import Collector, smtpd
from tests.support import EMAIL, Seeded


class Relay(Collector):
    """The relay the app sends through; reads the code in the last mail's subject."""

    def code(self) -> str:
        found = re.search(r"\b(\d{6})\b", str(self.messages[-1]["Subject"]))
        assert found
        return found.group(1)


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    with smtpd(handler) as port:
        yield handler, port


@pytest.fixture
def settings(settings: Settings, relay: tuple[Relay, int]) -> Settings:
    """The app under test sends through the relay (plain SMTP: it is on the loopback)."""
    return settings.replace(smtp=SmtpSettings(host="127.0.0.1", port=relay[1], starttls=False))


def _text(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert plain is not None and markup is not None
    return str(plain.get_content()), str(markup.get_content())


@pytest.mark.parametrize(
    ("ui_locales", "subject", "body"),
    [
        ("fr", "Votre code de vérification Sage ID", "Bonjour Jean Dupont,"),
        ("en", "Your Sage ID verification code", "Hello Jean Dupont,"),
    ],
)
async def test_the_verification_mail_arrives_in_the_users_language(
    client: httpx.AsyncClient,
    ctx: AppContext,
    seeded: Seeded,
    relay: tuple[Relay, int],
    ui_locales: str,
    subject: str,
    body: str,
) -> None:
    collected, _ = relay
    page = await signup(client, ui_locales=ui_locales)
    assert page.status_code == 200
    assert len(collected.messages) == 1
    message = collected.messages[0]
    assert collected.recipients == [[NEW_EMAIL]]
    assert subject in str(message["Subject"])
    assert message["Content-Language"] == ui_locales
    code = collected.code()
    plain, markup = _text(message)
    assert body in plain and code in plain and code in markup
    assert not list(ctx.settings.outbox_dir.glob("*.eml"))  # SMTP, not the outbox
    done = await enter_code(client, page, code)
    assert done.status_code == 303


@pytest.mark.parametrize(
    ("ui_locales", "subject"),
    [("fr", "réinitialisation"), ("en", "password reset code")],
)
async def test_the_reset_mail_arrives_in_the_users_language(
    client: httpx.AsyncClient,
    seeded: Seeded,
    relay: tuple[Relay, int],
    ui_locales: str,
    subject: str,
) -> None:
    collected, _ = relay
    page = await client.get("/password/forgot", params={"ui_locales": ui_locales})
    answer = await submit(client, page, "/password/forgot", email=EMAIL)
    assert answer.status_code == 200
    assert subject in str(collected.messages[-1]["Subject"])
    assert collected.recipients[-1] == [EMAIL]


async def test_a_refused_recipient_is_reported_and_the_code_can_be_sent_again(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, relay: tuple[Relay, int]
) -> None:
    collected, _ = relay
    collected.refuse.add(NEW_EMAIL)
    page = await signup(client)
    assert page.status_code == 503
    assert "Nous n’avons pas pu envoyer le code." in page.text
    assert await ctx.store.users.by_email(NEW_EMAIL) is not None
    collected.refuse.clear()
    resent = await submit(client, page, "/verify/resend")
    assert resent.status_code == 200
    assert (await enter_code(client, resent, collected.code())).status_code == 303


async def test_a_relay_that_is_down_is_reported(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, relay: tuple[Relay, int]
) -> None:
    from idp.mail.factory import build_mailer

    closed = ctx.settings.replace(
        smtp=SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False)
    )
    working = ctx.mailer
    ctx.mailer = build_mailer(closed)
    try:
        page = await signup(client)
    finally:
        ctx.mailer = working
    assert page.status_code == 503
    assert "Nous n’avons pas pu envoyer le code." in page.text


async def test_a_sign_up_name_cannot_add_a_recipient(
    client: httpx.AsyncClient, seeded: Seeded, relay: tuple[Relay, int]
) -> None:
    """Through the sign-up page and a real SMTP relay: one envelope recipient, one address
    in the delivered `To:`, the name still greeting the user in the body."""
    collected, _ = relay
    name = "Jean =?utf-8?q?=3Cevil=40example=2Ecom=3E=2C?= Dupont, evil@example.com"
    page = await signup(client, name=name, ui_locales="en")
    assert page.status_code == 200, page.text
    assert collected.recipients == [[NEW_EMAIL]]
    [message] = collected.messages
    assert [a.addr_spec for a in message["To"].addresses] == [NEW_EMAIL]
    assert "evil@example.com" not in str(message["To"])
    plain, _ = _text(message)
    assert plain.startswith("Hello Jean")
