"""What the account pages tell the user, as message ids of the `messages` catalog with their
arguments (translated when rendered: `{{ _(message.id, **message.args) }}`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from idp.accounts.codes import CodeResult, CodeStatus, SendResult, SendStatus
from idp.domain.password_policy import MESSAGES, PasswordProblem
from idp.i18n import N_


@dataclass(frozen=True)
class Message:
    id: str
    args: dict[str, Any] = field(default_factory=dict)


# The policy's English ids (idp.domain.password_policy.MESSAGES), listed again only so that
# extraction puts them in the catalog; tests/accounts/test_catalog.py keeps both in step.
POLICY_MESSAGE_IDS = (
    N_("Use at least 12 characters."),
    N_("Use at most 128 characters."),
    N_("Do not use your email address as your password."),
    N_("This password is too common. Choose another one."),
    N_("The two passwords do not match."),
)


def policy_messages(problems: Sequence[PasswordProblem]) -> list[Message]:
    return [Message(MESSAGES[problem]) for problem in problems]


def minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def code_sent(email: str) -> Message:
    return Message(
        N_("A new code has been sent to %(email)s."),
        {"email": email},
    )


def send_feedback(result: SendResult, email: str) -> Message:
    if result.status is SendStatus.SENT:
        return code_sent(email)
    if result.status is SendStatus.WAIT:
        return Message(
            N_(
                "A code was sent less than a minute ago. You can ask for a new one in "
                "%(seconds)s s."
            ),
            {"seconds": result.retry_after},
        )
    if result.status is SendStatus.HOURLY_LIMIT:
        return Message(
            N_(
                "You have asked for 5 codes this hour. You can ask for a new one in "
                "%(minutes)s min."
            ),
            {"minutes": minutes(result.retry_after)},
        )
    return Message(N_("We could not send the code. Please try again in a moment."))


@dataclass(frozen=True)
class AfterSend:
    """What a code page shows after (maybe) mailing a code."""

    error: Message | None = None
    notice: Message | None = None
    status: int = 200
    mail_failed: bool = False


def after_send(sent: SendResult | None, email: str, *, first_mail: bool) -> AfterSend:
    """The page's own text says a first code was sent: only a resend gets a notice."""
    if sent is None:
        return AfterSend()
    feedback = send_feedback(sent, email)
    if sent.status is SendStatus.SENT:
        return AfterSend(notice=None if first_mail else feedback)
    if sent.status is SendStatus.MAIL_FAILED:
        return AfterSend(error=feedback, status=503, mail_failed=True)
    return AfterSend(error=feedback, status=429)


def code_feedback(result: CodeResult) -> Message:
    if result.status is CodeStatus.WRONG_CODE and result.attempts_left > 0:
        return Message(
            N_("This code is not correct. Attempts left: %(left)s."),
            {"left": result.attempts_left},
        )
    if result.status in (CodeStatus.WRONG_CODE, CodeStatus.EXHAUSTED):
        return Message(N_("Too many wrong codes: this code no longer works. Ask for a new code."))
    if result.status is CodeStatus.EXPIRED:
        return Message(N_("This code has expired. Ask for a new code."))
    if result.status is CodeStatus.LOCKED:
        return Message(
            N_(
                "Too many wrong codes were entered from your network. Try again in %(minutes)s min."
            ),
            {"minutes": minutes(result.retry_after)},
        )
    return Message(N_("No code is waiting to be entered. Ask for a new code."))
