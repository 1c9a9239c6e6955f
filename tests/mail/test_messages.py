from __future__ import annotations

import inspect
import re
from typing import Literal

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import idp.mail
from idp.i18n import LOCALE_DIR
from idp.mail import compose_code_mail
from idp.mail import messages as messages_module
from idp.mail import notices as notices_module
from tests.mail.helpers import CODE, ISSUER, SENDER, code_mail, parse, parts


@pytest.mark.parametrize(
    ("locale", "purpose", "subject", "phrases"),
    [
        ("fr", "verify", "Votre code de vérification Sage ID\u00a0: 042917",
         ["Bonjour Marie Martin,", "pour valider votre inscription", "valable 15 minutes"]),
        ("fr", "reset", "Votre code de réinitialisation Sage ID\u00a0: 042917",
         ["nouveau mot de passe", "valable 15 minutes"]),
        ("en", "verify", "Your Sage ID verification code: 042917",
         ["Hello Marie Martin,", "to validate your registration", "valid for 15 minutes"]),
        ("en-GB", "reset", "Your Sage ID password reset code: 042917",
         ["to choose a new password", "valid for 15 minutes"]),
        ("de", "verify", "Votre code de vérification Sage ID\u00a0: 042917",
         ["pour valider votre inscription"]),
    ],
)  # fmt: skip
def test_code_mail_language_and_content(
    locale: str, purpose: Literal["verify", "reset"], subject: str, phrases: list[str]
) -> None:
    message = code_mail(locale, purpose)
    assert message["Subject"] == subject
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == ("en" if locale.startswith("en") else "fr")
    text, markup = parts(message)
    assert CODE in text.splitlines()
    for phrase in phrases:
        assert phrase in text
        assert phrase in markup.replace("&#x27;", "'")
    assert re.search(rf'<p style="[^"]*monospace[^"]*font-size: 32px[^"]*">{CODE}</p>', markup)
    assert ISSUER in text
    assert message["Message-ID"].endswith("@id.sage.example>")


def test_code_mail_escapes_html_and_keeps_headers_single_line() -> None:
    message = compose_code_mail(
        to="x@example.fr",
        name='<script>alert("x")</script>\r\nBcc: victim@example.org',
        code=CODE,
        purpose="verify",
        locale="fr",
        sender=SENDER,
        issuer=ISSUER,
    )
    _, markup = parts(message)
    assert "<script>" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Bcc: victim@example.org" in markup
    assert message["Bcc"] is None
    assert "\n" not in message["To"]
    assert parse(message.as_bytes())["Bcc"] is None


def test_code_mail_without_name_says_hello_only() -> None:
    message = compose_code_mail(
        to="x@example.fr", name=None, code=CODE, purpose="reset", locale="en",
        sender=SENDER, issuer=ISSUER,
    )  # fmt: skip
    assert parts(message)[0].startswith("Hello,\n")
    assert message["To"] == "x@example.fr"


def test_mail_catalogs_translate_every_message_id() -> None:
    used = {
        message
        for module in (messages_module, notices_module)  # notices: issue 17
        for _, message, _, _ in extract_from_file("python", str(module.__file__))
    }
    catalogs = {}
    for locale in ("fr", "en"):
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "mail.po").open("rb") as f:
            catalogs[locale] = read_po(f, locale=locale, domain="mail")
    assert len(used) >= 10
    for catalog in catalogs.values():
        assert {m.id for m in catalog if m.id} == used
    for message in catalogs["fr"]:
        if message.id:
            assert message.string and message.string != message.id
            placeholders = re.findall(r"{\w+}", str(message.id))
            assert placeholders == re.findall(r"{\w+}", str(message.string))


def test_package_exports() -> None:
    public = {
        name
        for name, value in vars(idp.mail).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(idp.mail.__all__) == public
