"""Sealing the cache payload: the protection protocol and AES-256-GCM with random nonces."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any, Final, Protocol

# cryptography is imported by the two functions that need it: reading a plaintext cache
# (--insecure-storage) never loads it.

NONCE_BYTES: Final = 12  # NIST SP 800-38D: 96-bit random nonces.


class UndecryptableCache(Exception):
    """The payload cannot be recovered with any key we can get: the file is lost."""


class CacheProtection(Protocol):
    """Seals the cache payload into envelope fields and opens them again."""

    name: str

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Return the envelope fields that carry `payload`."""
        ...

    def unseal(self, envelope: Mapping[str, Any]) -> bytes:
        """Return the payload carried by `envelope`; raise `UndecryptableCache` if lost."""
        ...


def b64(data: bytes) -> str:
    """URL-safe base64 text of `data`."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64(envelope: Mapping[str, Any], name: str) -> bytes:
    """Decode the base64 field `name` of `envelope`; a bad field means a lost cache."""
    value = envelope.get(name)
    if not isinstance(value, str):
        raise UndecryptableCache(f"envelope field {name!r} missing")
    try:
        return base64.urlsafe_b64decode(value.encode("ascii"))
    except ValueError as error:
        raise UndecryptableCache(f"envelope field {name!r} is not base64") from error


def _aad(name: str) -> bytes:
    # Binds the ciphertext to its protection mode: a file cannot be relabelled.
    return f"sageid-token-cache/v1/{name}".encode()


def encrypt(key: bytes, name: str, payload: bytes) -> dict[str, Any]:
    """AES-256-GCM `payload` under `key` with a fresh random nonce; return envelope fields."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return {
        "nonce": b64(nonce),
        "ciphertext": b64(AESGCM(key).encrypt(nonce, payload, _aad(name))),
    }


def decrypt(key: bytes, name: str, envelope: Mapping[str, Any]) -> bytes:
    """Open what `encrypt` sealed; any tampering raises `UndecryptableCache`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(
            unb64(envelope, "nonce"), unb64(envelope, "ciphertext"), _aad(name)
        )
    except (InvalidTag, ValueError) as error:
        raise UndecryptableCache("authentication tag does not verify") from error
