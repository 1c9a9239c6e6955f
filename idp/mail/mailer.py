"""Mail out: one `Mailer` seam, an SMTP implementation and an outbox folder for development.

Every implementation raises `MailDeliveryError` (the cause chained) and nothing else when a
message can't be handed over, so callers handle exactly one error.
"""

from __future__ import annotations

import logging
import os
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib
import anyio.to_thread

from idp.clock import Clock, SystemClock

logger = logging.getLogger(__name__)


class MailDeliveryError(Exception):
    """The message was not accepted (connection, TLS, authentication, refusal, timeout, disk)."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message over for delivery, or raise `MailDeliveryError`."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 587
    # "starttls" requires the upgrade (no silent fallback to plain text); "tls" is implicit
    # TLS (usually port 465); "none" is for a relay on the loopback interface only.
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # Seconds for the connection and for each SMTP command: a dead relay fails fast.
    timeout: float = 10.0
    # A custom context, e.g. to trust a private CA; None means the system trust store.
    tls_context: ssl.SSLContext | None = None


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage) -> None:
        config = self.config
        try:
            refused, _ = await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                username=config.username,
                password=config.password,
                timeout=config.timeout,
                tls_context=config.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(f"SMTP {config.host}:{config.port}: {exc}") from exc
        if refused:
            raise MailDeliveryError(f"SMTP {config.host}:{config.port}: recipient refused")
        logger.info("mail %s sent via %s:%s", message["Message-ID"], config.host, config.port)


class OutboxMailer:
    """Writes each message to `<outbox_dir>/<UTC timestamp>-<uuid>.eml` (the embedded default:
    no mail server needed, a developer opens the file). The log names the file only, never
    its content, which holds the code."""

    def __init__(self, outbox_dir: Path, clock: Clock | None = None) -> None:
        self.outbox_dir = outbox_dir
        self.clock = clock or SystemClock()

    async def send(self, message: EmailMessage) -> None:
        stamp = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.outbox_dir / f"{stamp}-{uuid.uuid4().hex}.eml"
        data = message.as_bytes(policy=SMTP_POLICY)
        try:
            await anyio.to_thread.run_sync(self._write, path, data)
        except OSError as exc:
            raise MailDeliveryError(f"outbox {self.outbox_dir}: {exc}") from exc
        logger.info("mail written to %s", path)

    def _write(self, path: Path, data: bytes) -> None:
        # 0700/0600: the messages carry live codes.
        self.outbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(".eml.part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # Renamed into place so a watcher never reads half a message.
        partial.replace(path)
