"""The desktop app's seams: what the presenter asks of the world (`Services`, a `Runner`),
how a sign-in in progress is cancelled, and the two outcomes it adds to the client's errors.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from client import DeviceAuthorization, Identity, SignInRequired, Submission

T = TypeVar("T")


class SignInCancelled(Exception):
    """The user cancelled the sign-in in progress."""


class SessionExpired(SignInRequired):
    """This computer had migrated (`email`), but has no sign-in any more: `reason` says why
    (`expired`, its 30 days are over; `signed_out`, the user signed out here)."""

    def __init__(self, email: str, reason: str = "expired") -> None:
        super().__init__("the Sage ID sign-in is over; please sign in again")
        self.email = email
        self.reason = reason


class Cancellation:
    """Asked from the UI thread, seen by the worker: a flag, a wait, and callbacks."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call `callback` when cancelled (at once if it already is)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True (at once) if cancelled meanwhile."""
        return self._event.wait(seconds)


class Services(Protocol):
    """What the app needs from the client library (`services.LibraryServices`)."""

    def restore(self) -> Identity:
        """The saved sign-in's identity; `SessionExpired` or `SignInRequired` if none."""
        ...

    def sign_in_with_browser(
        self, email: str, show_url: Callable[[str], None], cancellation: Cancellation
    ) -> Identity: ...

    def sign_in_with_device(
        self, show: Callable[[DeviceAuthorization], None], cancellation: Cancellation
    ) -> Identity: ...

    def sign_out(self) -> None: ...

    def submit(self, file: Path, kind: str, customer: str) -> Submission: ...

    def tracking_url(self) -> str: ...


class Runner(Protocol):
    """Runs `work` off the UI thread and its outcome (and `post`ed callbacks) on it."""

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None: ...

    def post(self, callback: Callable[[], None]) -> None: ...


class QueuedRunner:
    """A `Runner` but for the UI loop: work in daemon threads, outcomes (and `post`ed
    callbacks) queued for the UI thread, which drains `_queue` (Tk with `after`; the tests'
    `ThreadRunner` by pumping)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        def target() -> None:
            try:
                result = work()
            except Exception as error:  # Shown as a message by the presenter, never lost.
                self.post(functools.partial(on_error, error))
                return
            self.post(functools.partial(on_done, result))

        self._start(threading.Thread(target=target, name="sageid-desktop-worker", daemon=True))

    def _start(self, thread: threading.Thread) -> None:
        thread.start()

    def post(self, callback: Callable[[], None]) -> None:
        self._queue.put(callback)
