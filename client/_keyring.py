"""The cache key in the OS keyring (`keyring`), every call bounded by a timeout.

Keyring calls can hang (a locked wallet, a dead D-Bus), so each runs in a daemon thread
and is abandoned after the timeout.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import keyring
import keyring.backends.fail
import keyring.backends.null
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._exceptions import KeyringUnavailable
from ._sealing import UndecryptableCache, b64, decrypt, encrypt

T = TypeVar("T")

KEYRING_SERVICE: Final = "sageid"
DEFAULT_KEYRING_TIMEOUT: Final = 5.0


def call_with_timeout(call: Callable[[], T], timeout: float) -> T:
    """Run `call` in a daemon thread; raise `KeyringUnavailable` if it fails or outlasts `timeout`.

    A daemon thread, not an executor: a keyring call stuck on D-Bus must not keep the
    process alive at exit.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:
            failure.append(error)

    thread = threading.Thread(target=run, name="sageid-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise KeyringUnavailable(f"the OS keyring did not answer within {timeout:g} s")
    if failure:
        if isinstance(failure[0], KeyringUnavailable):
            raise failure[0]
        raise KeyringUnavailable(f"the OS keyring failed: {failure[0]}") from failure[0]
    return outcome[0]


class KeyringProtection:
    """AES-256-GCM with a random key kept in the OS keyring under (`service`, `username`)."""

    name = "keyring"

    def __init__(
        self,
        username: str,
        *,
        service: str = KEYRING_SERVICE,
        timeout: float = DEFAULT_KEYRING_TIMEOUT,
    ) -> None:
        self.service = service
        self.username = username
        self.timeout = timeout
        self._key: bytes | None = None

    def _get(self) -> str | None:
        backend = keyring.get_keyring()
        if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
            raise KeyringUnavailable("no OS keyring backend is available")
        value: str | None = backend.get_password(self.service, self.username)
        return value

    def load_key(self) -> bytes | None:
        """Return the key stored in the keyring, or `None` if there is none yet."""
        if self._key is None:
            stored = call_with_timeout(self._get, self.timeout)
            if stored is not None:
                self._key = self._decode_key(stored)
        return self._key

    def _decode_key(self, stored: str) -> bytes:
        # Never overwritten silently: it may be what still opens the cache file.
        try:
            key = base64.urlsafe_b64decode(stored.encode("ascii"))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise KeyringUnavailable(
                f"the keyring entry ({self.service!r}, {self.username!r}) is not a 256-bit "
                "cache key; delete it to start a new cache"
            )
        return key

    def probe(self) -> str | None:
        """Return why the keyring is unusable, or `None` if it answers."""
        try:
            self.load_key()
        except KeyringUnavailable as error:
            return str(error)
        return None

    def _create_key(self) -> bytes:
        # Called with the cache lock held, so two processes cannot both create a key.
        key = AESGCM.generate_key(bit_length=256)
        encoded = b64(key)
        call_with_timeout(
            lambda: keyring.set_password(self.service, self.username, encoded), self.timeout
        )
        if call_with_timeout(self._get, self.timeout) != encoded:
            raise KeyringUnavailable("the OS keyring did not keep the cache key")
        self._key = key
        return key

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Encrypt `payload` under the keyring key, creating the key on first use."""
        key = self.load_key() or self._create_key()
        return encrypt(key, self.name, payload)

    def unseal(self, envelope: Mapping[str, Any]) -> bytes:
        """Decrypt `envelope`; a missing key means the cache is lost."""
        key = self.load_key()
        if key is None:
            raise UndecryptableCache("the keyring no longer holds the cache key")
        return decrypt(key, self.name, envelope)
