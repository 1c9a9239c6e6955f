"""The mailer the settings ask for: SMTP when a relay is configured, else the outbox folder (the
embedded default, DESIGN §6)."""

from __future__ import annotations

from typing import Literal

from idp.mail.mailer import Mailer, OutboxMailer, SmtpConfig, SmtpMailer
from idp.settings import Settings


def build_mailer(settings: Settings) -> Mailer:
    smtp = settings.smtp
    if smtp is None:
        return OutboxMailer(settings.outbox_dir)
    security: Literal["starttls", "tls", "none"] = (
        "tls" if smtp.use_tls else "starttls" if smtp.starttls else "none"
    )
    return SmtpMailer(
        SmtpConfig(
            host=smtp.host,
            port=smtp.port,
            security=security,
            username=smtp.username,
            password=smtp.password,
            timeout=smtp.timeout,
        )
    )
