"""Security notices (issue 17): a mail to the user for every change to their second factors,
so a change they did not make does not go unnoticed. French by default, English on request;
texts are message ids of the `mail` Babel domain."""

from __future__ import annotations

import html
from email.message import EmailMessage
from enum import StrEnum

from idp.i18n import gettext, negotiate_locale
from idp.mail.messages import automatic_message


class Notice(StrEnum):
    APP_ADDED = "app_added"
    APP_REMOVED = "app_removed"
    RECOVERY_CODES = "recovery_codes"
    MFA_RESET = "mfa_reset"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"


def compose_notice(
    *,
    to: str,
    name: str | None,
    notice: Notice,
    locale: str,
    sender: str,
    issuer: str,
    sent_at: float | None = None,
) -> EmailMessage:
    language = negotiate_locale(locale, None)

    def _(message: str) -> str:
        return gettext(language, message)

    subject = {
        Notice.APP_ADDED: _("An authenticator app was added to your Sage ID"),
        Notice.APP_REMOVED: _("An authenticator app was removed from your Sage ID"),
        Notice.RECOVERY_CODES: _("New recovery codes were generated for your Sage ID"),
        Notice.MFA_RESET: _("The second factors of your Sage ID were removed by Sage support"),
        Notice.PASSKEY_ADDED: _("A passkey was added to your Sage ID"),
        Notice.PASSKEY_REMOVED: _("A passkey was removed from your Sage ID"),
    }[notice]
    greeting = _("Hello {name},").format(name=" ".join(name.split())) if name else _("Hello,")
    warning = _(
        "If you did not make this change, change your password at once and contact Sage support."
    )
    manage = _("You can review your second factors on your account page: {url}").format(
        url=issuer.rstrip("/") + "/account"
    )
    footer = _("This message was sent automatically by Sage ID ({issuer}); please do not reply.")
    paragraphs = [greeting, subject + ".", warning, manage]
    message = automatic_message(
        to=to, name=name, subject=subject, sender=sender, issuer=issuer, sent_at=sent_at
    )
    text = "\n\n".join(paragraphs) + "\n\n-- \n" + footer.format(issuer=issuer) + "\n"
    message.set_content(text)
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    message.add_alternative(
        f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>\n{body}<hr>\n"
        f"<p>{html.escape(footer.format(issuer=issuer))}</p>\n</body></html>\n",
        subtype="html",
    )
    message["Content-Language"] = language
    return message
