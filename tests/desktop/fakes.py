"""Test doubles of the presenter's seams: scripted services, and runners that run the
background work when the test says so (`ManualRunner`) or in real threads (`ThreadRunner`)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from client import DeviceAuthorization, Identity, SignInRequired, Submission
from client.desktop.seams import Cancellation, QueuedRunner

T = TypeVar("T")

EMAIL = "marie.martin@example.com"
ISSUER = "http://127.0.0.1:8000"

MARIE_CLAIMS: dict[str, Any] = {
    "sub": "user-marie",
    "name": "Marie Martin",
    "email": EMAIL,
    "email_verified": True,
    "referencing": {
        "status": "referenced",
        "accounts": [
            {
                "customer_code": "C0001234",
                "customer_name": "Boulangerie Martin",
                "profile": "default",
                "is_admin": False,
                "method": "proof",
                "referenced_at": 1_764_000_000,
            }
        ],
    },
}
MARIE = Identity.from_claims(MARIE_CLAIMS)

DEVICE = DeviceAuthorization(
    device_code="device-code",
    user_code="WDJB-MJHT",
    verification_uri=f"{ISSUER}/device",
    verification_uri_complete=f"{ISSUER}/device?user_code=WDJB-MJHT",
    expires_at=1_764_000_600.0,
)


def submission(**changes: Any) -> Submission:
    values: dict[str, Any] = {
        "id": "sub-0001",
        "status": "received",
        "kind": "DSN",
        "customer_code": "C0001234",
        "customer_name": "Boulangerie Martin",
        "file_name": "paie-2026-01.dsn",
        "size": 64,
        "sha256": "0" * 64,
        "notification_email": EMAIL,
        "received_at": 1_764_000_000.0,
        "sender_name": "Marie Martin",
        "sender_email": EMAIL,
    }
    values.update(changes)
    return Submission(**values)


@dataclass
class FakeServices:
    """Answers as scripted; records what the presenter asked."""

    restored: Identity | Exception = field(default_factory=lambda: SignInRequired("none"))
    signed_in: Identity | Exception = MARIE
    sent: Submission | Exception = field(default_factory=submission)
    browser_url: str = f"{ISSUER}/authorize?client_id=sage-desktop"
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    cancellations: list[Cancellation] = field(default_factory=list)

    def _answer(self, value: T | Exception) -> T:
        if isinstance(value, Exception):
            raise value
        return value

    def restore(self) -> Identity:
        self.calls.append(("restore",))
        return self._answer(self.restored)

    def sign_in_with_browser(
        self, email: str, show_url: Callable[[str], None], cancellation: Cancellation
    ) -> Identity:
        self.calls.append(("browser", email))
        self.cancellations.append(cancellation)
        show_url(self.browser_url)
        return self._answer(self.signed_in)

    def sign_in_with_device(
        self, show: Callable[[DeviceAuthorization], None], cancellation: Cancellation
    ) -> Identity:
        self.calls.append(("device",))
        self.cancellations.append(cancellation)
        show(DEVICE)
        return self._answer(self.signed_in)

    def sign_out(self) -> None:
        self.calls.append(("sign_out",))

    def submit(self, file: Path, kind: str, customer: str) -> Submission:
        self.calls.append(("submit", file, kind, customer))
        return self._answer(self.sent)

    def tracking_url(self) -> str:
        return f"{ISSUER}/portal"


@dataclass
class Job:
    work: Callable[[], Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[Exception], None]


class ManualRunner:
    """Keeps the background work until `finish()`; then runs it here, as the UI thread
    would receive its outcome. `post`ed callbacks run at once."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.jobs.append(Job(work, on_done, on_error))

    def post(self, callback: Callable[[], None]) -> None:
        callback()

    def finish(self) -> None:
        """Run the oldest pending job to its end."""
        job = self.jobs.pop(0)
        try:
            result = job.work()
        except Exception as error:
            job.on_error(error)
        else:
            job.on_done(result)

    def finish_all(self) -> None:
        while self.jobs:
            self.finish()


class ThreadRunner(QueuedRunner):
    """The Tk runner's behaviour without Tk: the app's queued runner, with the test's thread
    playing the UI loop in `pump_until`."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[threading.Thread] = []

    def _start(self, thread: threading.Thread) -> None:
        self.threads.append(thread)
        thread.start()

    def pump_until(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the app did not get there in time")
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)()

    def join(self, timeout: float = 10) -> None:
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a background job is still running"
