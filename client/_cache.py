"""The token cache file: entries encrypted at rest, shared by every process of the user
under an OS file lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import platformdirs

from ._clock import Clock, SystemClock
from ._entry import CacheEntry
from ._exceptions import CacheCorrupted, CacheError, SignInRequired
from ._protection import DEFAULT_KEYRING_TIMEOUT, PlaintextProtection, select_protection
from ._sealing import CacheProtection, UndecryptableCache
from ._storage import (
    atomic_write,
    ensure_private_directory,
    move_aside,
    read_bytes,
    remove_stale_temp_files,
)

logger = logging.getLogger("sageid.client")

CACHE_FILE_NAME: Final = "tokens.cache"
LOCK_FILE_NAME: Final = "tokens.lock"
_FORMAT: Final = "sageid-token-cache"
_VERSION: Final = 1
# Secrets of this installation kept beside the cache (the DPoP key), sealed the same way.
_SECRET_FORMAT: Final = "sageid-installation-secret"


def default_cache_directory() -> Path:
    """Return the per-user data directory the cache lives in (`platformdirs`)."""
    return Path(platformdirs.user_data_dir("sageid", appauthor=False))


class _Corrupt(Exception):
    pass


class TokenCache:
    """Entries on disk in one file, under `directory` (default: the user data dir).

    The directory belongs to the cache and is kept 0700; the file is 0600.
    Reads need no lock (writes are atomic renames). Writes, and any read-refresh-write
    sequence (see `locked`), hold an OS file lock shared by all processes of the user.
    `protection` defaults to `select_protection`: the OS keyring, else the explicit
    fallbacks (`SAGEID_CACHE_PASSPHRASE`, `insecure_storage`), else `KeyringUnavailable`;
    `warn_fallback=False` keeps a fallback out of the warnings (said once elsewhere).
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        protection: CacheProtection | None = None,
        insecure_storage: bool = False,
        passphrase: str | None = None,
        environ: Mapping[str, str] | None = None,
        keyring_timeout: float = DEFAULT_KEYRING_TIMEOUT,
        clock: Clock | None = None,
        lock_timeout: float = 60.0,
        warn_fallback: bool = True,
    ) -> None:
        self.directory = directory if directory is not None else default_cache_directory()
        self.path = self.directory / CACHE_FILE_NAME
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._protection = protection
        self._selection = (insecure_storage, passphrase, environ, keyring_timeout)
        self._warn_fallback = warn_fallback
        self._lock_timeout = lock_timeout
        self._lock: Any = None  # a filelock.FileLock, made on first need (reads take none)

    @property
    def protection(self) -> CacheProtection:
        """The protection in use, chosen on first need (this may probe the OS keyring)."""
        if self._protection is None:
            insecure, passphrase, environ, timeout = self._selection
            self._protection = select_protection(
                str(self.path),
                insecure_storage=insecure,
                passphrase=passphrase,
                environ=environ,
                keyring_timeout=timeout,
                warn=self._warn_fallback,
            )
        return self._protection

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's OS file lock (re-entrant within this object)."""
        import filelock  # Deferred: a read (`sageid token`) takes no lock and skips its import.

        ensure_private_directory(self.directory)
        if self._lock is None:
            path = self.directory / LOCK_FILE_NAME
            self._lock = filelock.FileLock(path, timeout=self._lock_timeout, mode=0o600)
        try:
            with self._lock:
                yield
        except filelock.Timeout as error:
            raise CacheError(f"the token cache stayed locked for {self._lock_timeout} s") from error

    def _open(self, envelope: Mapping[str, Any]) -> bytes:
        name = envelope.get("protection")
        if name == PlaintextProtection.name:
            return PlaintextProtection().unseal(envelope)
        if name not in ("keyring", "passphrase"):
            raise UndecryptableCache(f"unknown protection {name!r}")
        if name != self.protection.name:
            raise CacheError(
                f"the token cache at {self.path} is protected by {name}, which is not in use "
                f"here ({self.protection.name}); sign out there or delete the file"
            )
        return self.protection.unseal(envelope)

    def _unseal(self, data: bytes, file_format: str) -> Any:
        try:
            envelope = json.loads(data)
            if envelope.get("format") != file_format or envelope.get("version") != _VERSION:
                raise _Corrupt(f"not a {file_format} file of this version")
            return json.loads(self._open(envelope))
        except (UndecryptableCache, ValueError, TypeError, KeyError, AttributeError) as error:
            raise _Corrupt(str(error)) from error

    def _seal(self, path: Path, payload: Any, file_format: str) -> None:
        protection = self.protection
        envelope = {"format": file_format, "version": _VERSION, "protection": protection.name}
        envelope.update(protection.seal(json.dumps(payload, separators=(",", ":")).encode()))
        atomic_write(path, json.dumps(envelope, indent=1).encode())
        # Only a writer holding the lock creates temp files, so any other is a dead one's.
        remove_stale_temp_files(path)

    def _decode(self, data: bytes) -> list[CacheEntry]:
        try:
            return [CacheEntry.from_json(item) for item in self._unseal(data, _FORMAT)["entries"]]
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise _Corrupt(str(error)) from error

    def _read_all(self) -> list[CacheEntry]:
        data = read_bytes(self.path)
        if data is None:
            return []
        try:
            return self._decode(data)
        except _Corrupt:
            pass
        # Decide "corrupt" only under the lock: the file may have just been replaced.
        with self.locked():
            data = read_bytes(self.path)
            if data is None:
                return []
            try:
                return self._decode(data)
            except _Corrupt as error:
                moved_to = move_aside(self.path, now=self.clock.now())
                logger.warning("Unreadable token cache (%s) moved to %s.", error, moved_to)
                raise CacheCorrupted(moved_to) from error

    def entries(self) -> list[CacheEntry]:
        """Return every usable entry (refresh tokens past 30 days already dropped).

        A corrupt file is moved aside and `CacheCorrupted` (a `SignInRequired`) is raised.
        """
        now = self.clock.now()
        return [aged for entry in self._read_all() if (aged := entry.aged(now)) is not None]

    def find(self, issuer: str, client_id: str, subject: str | None = None) -> CacheEntry:
        """Return the entry for this issuer + client (+ account), or raise `SignInRequired`."""
        found = [e for e in self.entries() if e.matches(issuer, client_id, subject)]
        if not found:
            raise SignInRequired(f"not signed in to {issuer} (client {client_id}); please sign in")
        if len(found) > 1:
            raise SignInRequired("several accounts are signed in; name the account to use")
        return found[0]

    def _write(self, entries: list[CacheEntry]) -> None:
        now = self.clock.now()
        kept = [aged.to_json() for entry in entries if (aged := entry.aged(now)) is not None]
        self._seal(self.path, {"entries": kept}, _FORMAT)

    def _entries_for_update(self) -> list[CacheEntry]:
        try:
            return self._read_all()
        except CacheCorrupted:
            return []  # Already moved aside and logged; the write starts a fresh file.

    def _read_secret(self, path: Path) -> dict[str, Any]:
        data = read_bytes(path)
        if data is None:
            raise _Corrupt("no such file")
        secret = self._unseal(data, _SECRET_FORMAT)
        if not isinstance(secret, dict):
            raise _Corrupt("the secret is not a JSON object")
        return secret

    def installation_secret(
        self, name: str, create: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Return the secret `name` of this installation (a JSON object), kept in its own
        file beside the cache and sealed exactly like it; `create()` makes it on first use.

        Signing out (`delete`, `remove`) leaves it: it outlives sign-ins (the DPoP key).
        An unreadable file is moved aside and replaced, like a corrupt cache.
        """
        path = self.directory / f"{name}.secret"
        try:
            return self._read_secret(path)
        except _Corrupt:
            pass  # Decided under the lock below: another process may be writing it.
        with self.locked():
            try:
                return self._read_secret(path)
            except _Corrupt as error:
                if path.exists():
                    moved_to = move_aside(path, now=self.clock.now())
                    logger.warning("Unreadable %s (%s) moved to %s.", path.name, error, moved_to)
            secret = create()
            self._seal(path, secret, _SECRET_FORMAT)
            return secret

    def delete(self) -> bool:
        """Delete the cache file, whatever protects it (even a key no longer at hand);
        return whether there was one. Its keyring entry, if any, is left for the next file."""
        with self.locked():
            try:
                self.path.unlink()
            except FileNotFoundError:
                return False
            return True

    def store(self, entry: CacheEntry) -> None:
        """Insert or replace the entry for its issuer + client + account."""
        with self.locked():
            others = [
                e
                for e in self._entries_for_update()
                if not e.matches(entry.issuer, entry.client_id, entry.subject)
            ]
            self._write([*others, entry])

    def remove(self, issuer: str, client_id: str, subject: str) -> bool:
        """Delete the entry for this issuer + client + account; return whether it existed."""
        with self.locked():
            entries = self._entries_for_update()
            kept = [e for e in entries if not e.matches(issuer, client_id, subject)]
            if len(kept) != len(entries):
                self._write(kept)
            return len(kept) != len(entries)
