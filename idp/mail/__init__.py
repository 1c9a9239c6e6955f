"""Outgoing mail: the `Mailer` seam, its SMTP and outbox implementations, and the code mail."""

from idp.mail.mailer import MailDeliveryError, Mailer, OutboxMailer, SmtpConfig, SmtpMailer
from idp.mail.messages import compose_code_mail

__all__ = [
    "MailDeliveryError",
    "Mailer",
    "OutboxMailer",
    "SmtpConfig",
    "SmtpMailer",
    "compose_code_mail",
]
