"""The pair a refresh issued, kept so that a retry within the grace window gets it again.

A client that lost the response to its refresh presents the old token again; it must get the
pair it missed, not a new one (Hydra's users asked for this). Storing that pair in clear would
put live tokens at rest, so it is encrypted (AES-256-GCM) under a key derived (HKDF-SHA-256)
from the *presented* refresh token, which the store only knows hashed: whoever can decrypt it
already holds the old token. The token's hash is the associated data, binding the ciphertext to
its row.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"sageid refresh successor v1"
NONCE_BYTES = 12


class SealBroken(ValueError):
    """The sealed pair cannot be opened with this token (it is not the one that rotated)."""


def _key(refresh_token: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO)
    return AESGCM(hkdf.derive(refresh_token.encode()))


def seal(refresh_token: str, token_hash: str, pair: dict[str, Any]) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(pair, separators=(",", ":")).encode()
    sealed = _key(refresh_token).encrypt(nonce, plain, token_hash.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(refresh_token: str, token_hash: str, sealed: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(sealed)
    try:
        plain = _key(refresh_token).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], token_hash.encode()
        )
    except InvalidTag as error:
        raise SealBroken("the sealed pair does not open with this token") from error
    pair: dict[str, Any] = json.loads(plain)
    return pair
