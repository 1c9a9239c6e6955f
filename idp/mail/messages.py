"""The emailed-code message (seed, étape 2, 4°: "Un code de vérification est envoyé sur
l'adresse email précédemment renseignée"), in French by default or English.

Texts are English message ids of the `mail` Babel domain (`idp/locales/*/LC_MESSAGES/mail.po`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from idp.domain.email_codes import CODE_LIFETIME, Purpose
from idp.i18n import gettext, negotiate_locale

_CODE_STYLE = (
    "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Courier New', monospace;"
    " font-size: 32px; font-weight: bold; letter-spacing: 6px; margin: 24px 0;"
)


@dataclass(frozen=True, slots=True)
class _Texts:
    subject: str  # still holds "{code}"
    greeting: str
    intro: str
    action: str
    validity: str
    warning: str
    ignore: str
    footer: str


def _texts(purpose: Purpose, locale: str, name: str | None, issuer: str) -> _Texts:
    def _(message: str) -> str:
        return gettext(locale, message)

    if purpose == "verify":
        subject = _("Your Sage ID verification code: {code}")
        intro = _("Here is the verification code for your Sage ID:")
        action = _("Enter this code on the verification screen to validate your registration.")
    elif purpose == "email":
        subject = _("Your Sage ID email change code: {code}")
        intro = _("Here is the code to confirm this address as the email of your Sage ID:")
        action = _("Enter this code on your account page to change your email address.")
    else:
        subject = _("Your Sage ID password reset code: {code}")
        intro = _("Here is the code to reset the password of your Sage ID:")
        action = _("Enter this code on the password reset screen to choose a new password.")
    validity = _("This code is valid for {minutes} minutes and can be used only once.")
    footer = _("This message was sent automatically by Sage ID ({issuer}); please do not reply.")
    return _Texts(
        subject=subject,
        greeting=_("Hello {name},").format(name=name) if name else _("Hello,"),
        intro=intro,
        action=action,
        validity=validity.format(minutes=round(CODE_LIFETIME / 60)),
        warning=_("Never share this code: Sage will never ask you for it."),
        ignore=_("If you did not request this code, you can ignore this message."),
        footer=footer.format(issuer=issuer),
    )


def _text_body(t: _Texts, code: str) -> str:
    # The code alone on its own line, so it is found at a glance and copied whole.
    paragraphs = [t.greeting, t.intro, code, t.action, t.validity, t.warning, t.ignore]
    return "\n\n".join(paragraphs) + "\n\n-- \n" + t.footer + "\n"


def _html_body(t: _Texts, code: str, locale: str, subject: str) -> str:
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="{e(locale)}">
<head><meta charset="utf-8"><title>{e(subject)}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 16px; color: #1a1a1a;">
<p>{e(t.greeting)}</p>
<p>{e(t.intro)}</p>
<p style="{_CODE_STYLE}">{e(code)}</p>
<p>{e(t.action)}</p>
<p>{e(t.validity)}</p>
<p><strong>{e(t.warning)}</strong></p>
<p>{e(t.ignore)}</p>
<hr>
<p style="font-size: 12px; color: #555555;">{e(t.footer)}</p>
</body>
</html>
"""


# A display name in an address header: letters, digits, spaces and these only. Quoting is not
# enough: an encoded word (`=?utf-8?q?...?=`) is decoded by readers into commas and `<...>`,
# and a long quoted name is folded by the generator into pieces parsed as addresses.
_NAME_PUNCTUATION = frozenset(" .-'\u2019")
DISPLAY_NAME_MAX = 64


def header_display_name(name: str | None) -> str | None:
    """The user's name as it may appear in `To:` (a sign-up name must not add an address)."""
    if not name:
        return None
    kept = "".join(c for c in name if c.isalnum() or c in _NAME_PUNCTUATION)
    cleaned = " ".join(kept.split())[:DISPLAY_NAME_MAX].strip()
    return cleaned or None


def automatic_message(
    *, to: str, name: str | None, subject: str, sender: str, issuer: str, sent_at: float | None
) -> EmailMessage:
    """The headers every mail of Sage ID carries (bodies to be set by the caller): the user's
    name kept safe in `To:`, a Message-ID on the issuer's host, and `Auto-Submitted`."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = Address(display_name=header_display_name(name) or "", addr_spec=to)
    message["Date"] = formatdate(sent_at, usegmt=True)
    message["Message-ID"] = make_msgid(domain=urlsplit(issuer).hostname or "sageid.invalid")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    return message


def compose_code_mail(
    *,
    to: str,
    name: str | None,
    code: str,
    purpose: Purpose,
    locale: str,
    sender: str,
    issuer: str,
    sent_at: float | None = None,
) -> EmailMessage:
    """A multipart/alternative (text, HTML) message carrying `code`, in French unless
    `locale` asks for a supported language. `sent_at` (epoch seconds) defaults to now."""
    language = negotiate_locale(locale, None)
    display_name = " ".join(name.split()) if name else None
    t = _texts(purpose, language, display_name, issuer)
    subject = t.subject.format(code=code)
    message = automatic_message(
        to=to, name=name, subject=subject, sender=sender, issuer=issuer, sent_at=sent_at
    )
    message.set_content(_text_body(t, code))
    message.add_alternative(_html_body(t, code, language, subject), subtype="html")
    # After the bodies: set_content() drops every Content-* header already set.
    message["Content-Language"] = language
    return message
