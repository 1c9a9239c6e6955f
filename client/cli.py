"""`sageid`: the relying-party command line (placeholder until the client issue lands)."""

from __future__ import annotations

from importlib.metadata import version


def main() -> None:
    print(f"sageid {version('sageid')}")
