"""What `sageid` shows in the terminal: the device code with its QR code and countdown,
the signed-in identity, the sign-in status. Rendering only; no protocol here.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import datetime

import segno
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.text import Text

from ._clock import Clock
from ._device import DeviceAuthorization
from ._entry import CacheEntry
from ._i18n import _
from ._identity import Identity


def qr_code(data: str) -> str:
    """Return `data` as a QR code drawn with half-block characters (two rows per line)."""
    out = io.StringIO()
    # Error level L keeps the code small; the URL is short and the screen is clean.
    segno.make(data, error="l", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


def show_device_prompt(console: Console, authorization: DeviceAuthorization) -> None:
    """Print the user code, where to enter it, and a QR code of the complete URI."""
    uri = escape(authorization.verification_uri)
    console.print(_("To sign in, open [bold]{uri}[/]").format(uri=uri))
    console.print(_("and enter the code:") + "\n")
    console.print(f"    [bold cyan]{escape(authorization.user_code)}[/]\n")
    if authorization.verification_uri_complete:
        console.print(_("Or scan this QR code with your phone:"))
        console.print(Text(qr_code(authorization.verification_uri_complete)))


def minutes_seconds(seconds: float) -> str:
    """Format a countdown: `9:58`."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class DeviceCountdown:
    """A progress bar from the device code's `expires_in` down to zero.

    `sleep` waits in steps of at most one second so the countdown moves while the poll
    interval (5 s or more) runs; it is what `login_with_device` gets as its `sleep`.
    """

    def __init__(self, console: Console, clock: Clock, sleep: Callable[[float], None]) -> None:
        self._clock = clock
        self._sleep = sleep
        self._expires_at = 0.0
        self._total = 1.0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(_("Waiting for you to approve the sign-in…")),
            BarColumn(),
            TextColumn(_("{task.fields[left]} left")),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("device", total=1.0, left="", start=False)

    def start(self, authorization: DeviceAuthorization) -> None:
        """Start counting down to `authorization.expires_at`."""
        self._expires_at = authorization.expires_at
        self._total = max(1.0, authorization.expires_at - self._clock.now())
        self._progress.update(self._task, total=self._total)
        self._progress.start_task(self._task)
        self._progress.start()
        self.update(self._expires_at - self._clock.now())

    def update(self, seconds_left: float) -> None:
        """Show `seconds_left` (the `on_wait` callback of the polling loop)."""
        left = max(0.0, seconds_left)
        completed = self._total - left
        self._progress.update(self._task, completed=completed, left=minutes_seconds(left))

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, refreshing the countdown every second."""
        remaining = seconds
        while remaining > 0:
            step = min(1.0, remaining)
            self._sleep(step)
            remaining -= step
            self.update(self._expires_at - self._clock.now())

    def stop(self) -> None:
        """Remove the progress bar (if it was started)."""
        if self._expires_at:
            self._progress.stop()


def local_time(timestamp: float) -> str:
    """Format an epoch time in the local time zone: `2026-02-04 10:00 CET`."""
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def relative(seconds: float) -> str:
    """Format a duration from now: `in 29 days`, `in 3 hours`, `5 minutes ago`."""
    magnitude = round(abs(seconds) / 60) * 60  # to the minute: 30 days less 5 s is 30 days
    units = (
        (86_400, _("{count} day"), _("{count} days")),
        (3_600, _("{count} hour"), _("{count} hours")),
        (60, _("{count} minute"), _("{count} minutes")),
    )
    for size, one, many in units:
        if magnitude >= size:
            count = int(magnitude // size)
            text = (many if count > 1 else one).format(count=count)
            break
    else:
        text = _("less than a minute")
    return (_("in {duration}") if seconds >= 0 else _("{duration} ago")).format(duration=text)


def signed_in_until(entry: CacheEntry) -> float | None:
    """When this sign-in ends: with the refresh token (30 days after `auth_time` at Sage
    ID; `None` when the provider did not say), or with the access token if no refresh
    token was granted (no `offline_access`)."""
    if entry.refresh_token is None:
        return entry.access_token_expires_at
    return entry.refresh_token_expires_at


def show_identity(console: Console, identity: Identity) -> None:
    """Print name, email and the referenced customer accounts with their profiles."""
    console.print(f"[bold]{escape(identity.name or _('(no name shared)'))}[/]")
    verified = {True: " " + _("(verified)"), False: " " + _("(not verified)"), None: ""}[
        identity.email_verified
    ]
    email = escape(identity.email or _("(not shared)"))
    console.print(_("Email:    {email}").format(email=email) + verified)
    console.print(_("Sage ID:  {subject}").format(subject=escape(identity.subject)))
    referencing = identity.referencing
    if referencing is None:
        console.print(_("Accounts: not shared by the provider (no `referencing` claim)"))
        return
    status = escape(referencing.status)
    if not referencing.accounts:
        console.print(_("Accounts: none yet (referencing {status})").format(status=status))
        return
    console.print(_("Accounts ({status}):").format(status=status))
    for account in referencing.accounts:
        admin = ", " + _("administrator") if account.is_admin else ""
        facts = [_("via {method}").format(method=account.method)] if account.method else []
        if account.referenced_at is not None:
            facts.append(_("since {date}").format(date=local_time(account.referenced_at)[:10]))
        line = _("{code}  {name} — profile {profile}{admin} ({facts})").format(
            code=f"[bold]{escape(account.customer_code)}[/]",
            name=escape(account.customer_name),
            profile=escape(account.profile),
            admin=admin,
            facts=escape(", ".join(facts)),
        )
        console.print(line)


def show_status(console: Console, entry: CacheEntry, now: float, storage: str) -> None:
    """Print who is signed in, where, since and until when, and how the cache is kept."""
    identity = Identity.from_claims(entry.claims)
    until = signed_in_until(entry)
    name = escape(identity.display_name())
    console.print(_("Signed in as [bold]{name}[/]").format(name=name))
    rows = [
        (
            _("Provider:"),
            _("{issuer} (client {client_id})").format(
                issuer=escape(entry.issuer), client_id=escape(entry.client_id)
            ),
        ),
        (_("Signed in:"), local_time(entry.auth_time)),
    ]
    if until is None:
        ends = _("unknown (the provider does not say; it ends when the provider refuses it)")
    else:
        ends = f"{local_time(until)} ({relative(until - now)})"
        if not entry.refresh_token:
            ends += " " + _("(no refresh token was granted)")
    rows.append((_("Signed in until:"), ends))
    if entry.access_token_fresh(now, 0):
        access = _("valid until {time}").format(time=local_time(entry.access_token_expires_at))
    else:
        access = _("expired (renewed on next use)")
    rows += [(_("Access token:"), access), (_("Token cache:"), escape(storage))]
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        console.print(f"  {label:<{width}} {value}")


class ConsoleLogHandler(logging.Handler):
    """Shows the library's warnings (fallback storage, failed revocation) on stderr."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        """Print the record as a highlighted warning."""
        message = escape(record.getMessage())
        self.console.print(_("[bold yellow]Warning:[/] {message}").format(message=message))
