"""Several accounts per provider (as `gh auth switch`): which one commands use.

The cache may hold one entry per account of an issuer + client; the active one's subject
is kept in `accounts.json` beside the cache (an identifier, no secret). A command picks
`--account EMAIL` (or subject) first, then the active account, then the only one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ._entry import CacheEntry
from ._exceptions import SignInRequired
from ._storage import atomic_write, read_bytes

ACTIVE_FILE_NAME: Final = "accounts.json"


def _key(issuer: str, client_id: str) -> str:
    return f"{issuer} {client_id}"


def account_label(entry: CacheEntry) -> str:
    """The email of the account (what `--account` takes), else its subject."""
    email = entry.claims.get("email")
    return email if isinstance(email, str) and email else entry.subject


def _read(directory: Path) -> dict[str, str]:
    data = read_bytes(directory / ACTIVE_FILE_NAME)
    try:
        loaded = json.loads(data) if data else {}
    except ValueError:
        return {}  # A damaged pointer only loses the choice, never an account.
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)}


def active_subject(directory: Path, issuer: str, client_id: str) -> str | None:
    """The subject of the active account of this issuer + client, if one was chosen."""
    return _read(directory).get(_key(issuer, client_id))


def set_active(directory: Path, issuer: str, client_id: str, subject: str) -> None:
    """Make `subject` the active account (call with the cache lock held)."""
    data = _read(directory)
    data[_key(issuer, client_id)] = subject
    atomic_write(directory / ACTIVE_FILE_NAME, json.dumps(data, indent=1).encode())


def matches_account(entry: CacheEntry, account: str) -> bool:
    """True if `account` names this entry: its email (any case) or its subject."""
    return account.lower() == account_label(entry).lower() or account == entry.subject


def choose_account(
    entries: Sequence[CacheEntry], active: str | None, account: str | None
) -> CacheEntry:
    """Pick the entry of `account` if named, else the active one, else the only one.

    Raises `SignInRequired` when no entry fits, or several do and none is chosen.
    """
    if account is not None:
        named = [e for e in entries if matches_account(e, account)]
        if not named:
            raise SignInRequired(f"{account} is not signed in here; `sageid login` to add it")
        return named[0]
    for entry in entries:
        if entry.subject == active:
            return entry
    if len(entries) == 1:
        return entries[0]
    if not entries:
        raise SignInRequired("not signed in; please sign in")
    names = ", ".join(account_label(e) for e in entries)
    raise SignInRequired(f"several accounts are signed in ({names}); choose one with --account")
