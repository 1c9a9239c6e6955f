"""How the token cache is protected at rest: AES-256-GCM under a key from the OS keyring,
or — only when asked explicitly — under a passphrase-derived key, or not at all.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any, Final

from ._exceptions import KeyringUnavailable
from ._passphrase import PASSPHRASE_ENV
from ._sealing import CacheProtection, UndecryptableCache

DEFAULT_KEYRING_TIMEOUT: Final = 5.0  # _keyring's, without importing keyring to know it

logger = logging.getLogger("sageid.client")


class PlaintextProtection:
    """No protection at all: only when the caller passed `insecure_storage=True`."""

    name = "plaintext"

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Carry `payload` (JSON) as is."""
        return {"payload": json.loads(payload)}

    def unseal(self, envelope: Mapping[str, Any]) -> bytes:
        """Return the payload as JSON bytes."""
        if "payload" not in envelope:
            raise UndecryptableCache("plaintext envelope without payload")
        return json.dumps(envelope["payload"]).encode()


def select_protection(
    username: str,
    *,
    insecure_storage: bool = False,
    passphrase: str | None = None,
    environ: Mapping[str, str] | None = None,
    keyring_timeout: float = DEFAULT_KEYRING_TIMEOUT,
    warn: bool = True,
) -> CacheProtection:
    """Choose the keyring if it answers; otherwise only an explicit fallback, said loudly.

    Order: OS keyring → passphrase (`passphrase`, else `SAGEID_CACHE_PASSPHRASE` from
    `environ`, default `os.environ`) → plaintext if `insecure_storage` → `KeyringUnavailable`.
    A fallback is logged as a warning unless `warn` is false (the CLI says it once, at login).
    """
    # Deferred: a plaintext cache is read without loading keyring (or scrypt) at all.
    from ._keyring import KeyringProtection
    from ._passphrase import PassphraseProtection

    protection = KeyringProtection(username, timeout=keyring_timeout)
    reason = protection.probe()
    if reason is None:
        return protection
    if passphrase is None:
        passphrase = (os.environ if environ is None else environ).get(PASSPHRASE_ENV) or None
    log = logger.warning if warn else logger.debug
    if passphrase is not None:
        log(
            "No usable OS keyring (%s): the token cache is encrypted with a key derived from %s.",
            reason,
            PASSPHRASE_ENV,
        )
        return PassphraseProtection(passphrase)
    if insecure_storage:
        log(
            "No usable OS keyring (%s) and insecure storage was requested: "
            "tokens will be stored UNENCRYPTED on disk. Anyone who can read your files can "
            "act as you for up to 30 days.",
            reason,
        )
        return PlaintextProtection()
    raise KeyringUnavailable(
        f"No usable OS keyring ({reason}). Set {PASSPHRASE_ENV} to encrypt the token cache "
        "with a passphrase, or use insecure storage (--insecure-storage) to keep it unencrypted."
    )
