"""What the window shows (`View`, a snapshot the presenter hands out after each change), the
states of the migration assistant, and the user's words for every error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from client import (
    AuthorizationDenied,
    AuthorizationResponseError,
    CacheError,
    CallbackTimeout,
    DeviceCodeExpired,
    IdTokenError,
    KeyringUnavailable,
    OAuthError,
    ProviderError,
    ProviderUnreachable,
    SageIDError,
    SignInRequired,
    SubmissionRefused,
)

from .i18n import KINDS, Texts
from .seams import SignInCancelled

logger = logging.getLogger("sageid.desktop")


class State(StrEnum):
    STARTING = "starting"  # looking for the saved sign-in
    ASSISTANT = "assistant"  # the assistant's first page: Commencer / Plus tard
    SESSION_EXPIRED = "session_expired"  # the assistant, asking to sign in again
    EMAIL = "email"  # the assistant asks the email (seed, étape 2, 2°)
    SIGNING_IN_BROWSER = "signing_in_browser"
    SIGNING_IN_DEVICE = "signing_in_device"
    LATER = "later"  # postponed: the yellow banner
    SIGNED_IN = "signed_in"  # migrated: the name menu (seed, étape 4)
    CLOSED = "closed"  # the application may exit


ASSISTANT_STATES = frozenset(
    {
        State.ASSISTANT,
        State.SESSION_EXPIRED,
        State.EMAIL,
        State.SIGNING_IN_BROWSER,
        State.SIGNING_IN_DEVICE,
    }
)
SIGNING_IN = frozenset({State.SIGNING_IN_BROWSER, State.SIGNING_IN_DEVICE})


class Again(StrEnum):
    """Why a computer that has migrated must sign in again: the truth, told to the user."""

    EXPIRED = "expired"  # the sign-in reached its end (30 days)
    REVOKED = "revoked"  # the provider ended it (revoked, signed out elsewhere)
    SIGNED_OUT = "signed_out"  # the user signed out here


class Level(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str


@dataclass(frozen=True)
class DevicePrompt:
    """What the device-flow page shows: the code, where to enter it, what the QR code holds."""

    user_code: str
    verification_uri: str
    qr_data: str
    expires_at: float


@dataclass(frozen=True)
class Customer:
    code: str
    name: str


@dataclass(frozen=True)
class SendForm:
    """The « Envoyer une déclaration » dialog."""

    customers: tuple[Customer, ...]
    kinds: tuple[str, ...] = KINDS
    sending: bool = False
    result: Message | None = None
    file: str = ""  # as typed or chosen
    sent_file: str | None = None  # the file last sent: not twice by a second click

    @property
    def can_send(self) -> bool:
        """*Envoyer* is enabled: not while sending, and not again for the file just sent."""
        return not self.sending and (self.sent_file is None or self.file != self.sent_file)


@dataclass(frozen=True)
class View:
    """Everything the window shows, as of one moment."""

    state: State
    user_name: str | None  # the name menu's label, once migrated
    email: str  # pre-filled in the assistant
    banner: bool
    message: Message | None  # the main window's status line
    assistant_message: Message | None
    browser_url: str | None  # the sign-in address, for when no browser opened
    device: DevicePrompt | None
    send: SendForm | None
    busy: bool  # sign-out in progress
    again: Again | None = None  # migrated, but signed out: why (None: not migrated yet)
    # The words of the banner and of the assistant's first page, as the state decides them.
    banner_text: str | None = None
    banner_action: str | None = None
    assistant_heading: str | None = None
    assistant_text: str | None = None
    assistant_buttons: tuple[str, ...] = ()  # text keys, the default (Return) last

    @property
    def assistant_open(self) -> bool:
        return self.state in ASSISTANT_STATES


def submission_reference(submission_id: str) -> str:
    """The reference a person reads and quotes: the first 8 characters of the submission's
    identifier, in capitals, in two groups (`3F2A-9C1B`)."""
    compact = "".join(c for c in submission_id if c.isalnum()).upper()[:8]
    return f"{compact[:4]}-{compact[4:]}" if len(compact) > 4 else compact


def _problem_slug(error: SubmissionRefused) -> str:
    # RFC 9457 §3.1.1: the `type` URI names the problem; ours end in /problems/<slug>.
    return error.problem_type.rstrip("/").rsplit("/", 1)[-1]


def describe_error(error: BaseException, texts: Texts) -> str:
    """The user's words for `error`: never a traceback (unexpected ones are logged)."""
    known: list[tuple[type[BaseException], str]] = [
        (SignInCancelled, "cancelled"),
        (ProviderUnreachable, "err_unreachable"),
        (AuthorizationDenied, "err_denied"),
        (CallbackTimeout, "err_timeout"),
        (DeviceCodeExpired, "err_device_expired"),
        (KeyringUnavailable, "err_keyring"),
        (IdTokenError, "err_security"),
        (AuthorizationResponseError, "err_security"),
        (SignInRequired, "session_expired"),
        (ProviderError, "err_provider"),
    ]
    for kind, key in known:
        if isinstance(error, kind):
            return texts(key)
    if isinstance(error, OAuthError):
        return texts("err_refused", code=error.error)
    if isinstance(error, SubmissionRefused):
        # The API's own words are English: the user reads ours, chosen by the problem type.
        key = f"problem_{_problem_slug(error)}"
        if texts.has(key):
            return texts(key)
        return texts("send_refused", status=error.status)
    if isinstance(error, CacheError):
        return texts("err_cache", detail=str(error))
    if isinstance(error, OSError):
        return texts("err_file", detail=error.strerror or str(error))
    if not isinstance(error, SageIDError):
        logger.error("Unexpected error in the desktop app", exc_info=error)
    return texts("err_unexpected")
