"""The explicit passphrase fallback: AES-256-GCM under a key derived with scrypt."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any, Final

from ._exceptions import CacheError
from ._sealing import UndecryptableCache, b64, decrypt, encrypt, unb64

PASSPHRASE_ENV: Final = "SAGEID_CACHE_PASSPHRASE"
_KEY_CHECK_CONTEXT: Final = b"sageid token cache key check"

# OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1 (128 MiB, ~0.3 s once a process).
SCRYPT_N: Final = 2**17
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1


def _scrypt_params(kdf: object) -> tuple[bytes, int, int, int]:
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise UndecryptableCache("unknown key derivation")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    # Bounds, so a tampered file cannot make us allocate gigabytes.
    if not (isinstance(n, int) and 2**10 <= n <= 2**20 and n & (n - 1) == 0):
        raise UndecryptableCache("scrypt n out of bounds")
    if not (isinstance(r, int) and 1 <= r <= 16 and isinstance(p, int) and 1 <= p <= 4):
        raise UndecryptableCache("scrypt r or p out of bounds")
    return unb64(kdf, "salt"), n, r, p


class PassphraseProtection:
    """AES-256-GCM under a key derived with scrypt from a passphrase (explicit fallback)."""

    name = "passphrase"

    def __init__(
        self, passphrase: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
    ) -> None:
        if not passphrase:
            raise CacheError("the cache passphrase is empty")
        self._passphrase = passphrase.encode()
        self._params = (n, r, p)
        self._derived: tuple[bytes, int, int, int, bytes] | None = None

    def _derive(self, salt: bytes, n: int, r: int, p: int) -> bytes:
        cached = self._derived
        if cached is not None and cached[:4] == (salt, n, r, p):
            return cached[4]
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(self._passphrase)
        self._derived = (salt, n, r, p, key)
        return key

    @staticmethod
    def _check_value(key: bytes) -> str:
        # Tells a wrong passphrase (refuse, keep the file) from a corrupt file (move aside).
        return b64(hmac.new(key, _KEY_CHECK_CONTEXT, hashlib.sha256).digest()[:16])

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Encrypt `payload`; the salt of the last key derived is reused to derive only once."""
        if self._derived is not None and self._derived[1:4] == self._params:
            salt = self._derived[0]
        else:
            salt = os.urandom(16)
        n, r, p = self._params
        key = self._derive(salt, n, r, p)
        kdf = {"name": "scrypt", "salt": b64(salt), "n": n, "r": r, "p": p}
        return {"kdf": kdf, "check": self._check_value(key), **encrypt(key, self.name, payload)}

    def unseal(self, envelope: Mapping[str, Any]) -> bytes:
        """Decrypt `envelope`; a wrong passphrase is a `CacheError`, not a lost cache."""
        key = self._derive(*_scrypt_params(envelope.get("kdf")))
        if not hmac.compare_digest(self._check_value(key), str(envelope.get("check", ""))):
            raise CacheError(f"{PASSPHRASE_ENV} does not open this token cache (wrong passphrase?)")
        return decrypt(key, self.name, envelope)
