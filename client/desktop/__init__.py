"""Sage / Ciel direct, the reference desktop app: the Sage ID migration assistant of the seed
(étapes 1, 2 and 4), built only on the public API of `client`.

`presenter` holds the logic as a UI-free state machine over the seams of `seams`;
`services` implements them with the client library; `app` and `dialogs` are the Tkinter
view. Run it with `sageid-desktop` or `python -m client.desktop`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from client import ExitCode

# What to install when Tk is missing, by the platforms that split it out of Python.
TK_MISSING = (
    "sageid-desktop: Tk is not installed for this Python; install the python3-tk package "
    "(Debian, Ubuntu: sudo apt install python3-tk; Fedora: sudo dnf install python3-tkinter)."
)


def main(argv: Sequence[str] | None = None) -> None:
    """Console script `sageid-desktop`: the window, or one line naming what to install."""
    try:
        import tkinter  # noqa: F401
    except ImportError:
        print(TK_MISSING, file=sys.stderr)
        raise SystemExit(ExitCode.FAILURE) from None
    from .app import main as run

    run(argv)
