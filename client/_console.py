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
from ._identity import Identity


def qr_code(data: str) -> str:
    """Return `data` as a QR code drawn with half-block characters (two rows per line)."""
    out = io.StringIO()
    # Error level L keeps the code small; the URL is short and the screen is clean.
    segno.make(data, error="l", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


def show_device_prompt(console: Console, authorization: DeviceAuthorization) -> None:
    """Print the user code, where to enter it, and a QR code of the complete URI."""
    console.print(f"To sign in, open [bold]{escape(authorization.verification_uri)}[/]")
    console.print("and enter the code:\n")
    console.print(f"    [bold cyan]{escape(authorization.user_code)}[/]\n")
    if authorization.verification_uri_complete:
        console.print("Or scan this QR code with your phone:")
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
            TextColumn("Waiting for you to approve the sign-in…"),
            BarColumn(),
            TextColumn("{task.fields[left]} left"),
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
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if magnitude >= size:
            count = int(magnitude // size)
            text = f"{count} {unit}{'s' if count > 1 else ''}"
            break
    else:
        text = "less than a minute"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


def signed_in_until(entry: CacheEntry) -> float:
    """When this sign-in ends: 30 days after `auth_time`, or with the access token if no
    refresh token was granted (no `offline_access`)."""
    if entry.refresh_token is None:
        return entry.access_token_expires_at
    return entry.refresh_token_expires_at


def show_identity(console: Console, identity: Identity) -> None:
    """Print name, email and the referenced customer accounts with their profiles."""
    console.print(f"[bold]{escape(identity.name or '(no name shared)')}[/]")
    verified = {True: " (verified)", False: " (not verified)", None: ""}[identity.email_verified]
    console.print(f"Email:    {escape(identity.email or '(not shared)')}{verified}")
    console.print(f"Sage ID:  {escape(identity.subject)}")
    referencing = identity.referencing
    if referencing is None:
        console.print("Accounts: not shared by the provider (no `referencing` claim)")
        return
    if not referencing.accounts:
        console.print(f"Accounts: none yet (referencing {escape(referencing.status)})")
        return
    console.print(f"Accounts ({escape(referencing.status)}):")
    for account in referencing.accounts:
        admin = ", administrator" if account.is_admin else ""
        facts = [f"via {account.method}"] if account.method else []
        if account.referenced_at is not None:
            facts.append(f"since {local_time(account.referenced_at)[:10]}")
        console.print(
            f"  [bold]{escape(account.customer_code)}[/]  {escape(account.customer_name)}"
            f" — profile {escape(account.profile)}{admin} ({escape(', '.join(facts))})"
        )


def show_status(console: Console, entry: CacheEntry, now: float, storage: str) -> None:
    """Print who is signed in, where, since and until when, and how the cache is kept."""
    identity = Identity.from_claims(entry.claims)
    until = signed_in_until(entry)
    console.print(f"Signed in as [bold]{escape(identity.display_name())}[/]")
    console.print(f"  Provider:        {escape(entry.issuer)} (client {escape(entry.client_id)})")
    console.print(f"  Signed in:       {local_time(entry.auth_time)}")
    note = "" if entry.refresh_token else " (no refresh token was granted)"
    console.print(f"  Signed in until: {local_time(until)} ({relative(until - now)}){note}")
    if entry.access_token_fresh(now, 0):
        access = f"valid until {local_time(entry.access_token_expires_at)}"
    else:
        access = "expired (renewed on next use)"
    console.print(f"  Access token:    {access}")
    console.print(f"  Token cache:     {escape(storage)}")


class ConsoleLogHandler(logging.Handler):
    """Shows the library's warnings (fallback storage, failed revocation) on stderr."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        """Print the record as a highlighted warning."""
        self.console.print(f"[bold yellow]Warning:[/] {escape(record.getMessage())}")
