"""Time as a dependency: expiry rules take a clock, so tests never sleep."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time in seconds since the epoch."""

    def now(self) -> float:
        """Return seconds since the epoch."""
        ...


class SystemClock:
    """The wall clock (`time.time`)."""

    def now(self) -> float:
        """Return seconds since the epoch."""
        return time.time()
