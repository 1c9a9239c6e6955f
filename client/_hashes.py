"""The two hashes the client computes, with the standard library only: the PKCE S256
challenge (RFC 7636 §4.2) and the OIDC `at_hash` (OIDC Core §3.1.3.6).

Authlib has both, but importing them loads its authorization server; the client keeps
that out of `pip install sageid` and out of every `sageid token` start-up.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

# JWS algorithm → the hash its `at_hash` uses (OIDC Core §3.1.3.6: the alg's own hash).
_HASHES: Final = {"256": "sha256", "384": "sha384", "512": "sha512"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256_code_challenge(code_verifier: str) -> str:
    """Return BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2)."""
    return _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())


def half_hash(value: str, alg: str) -> str:
    """Return the left half of the hash of `value` for the JWS `alg`, base64url-encoded
    (`at_hash`, `c_hash`); `EdDSA` uses SHA-512 (OIDC Core errata for Ed25519)."""
    name = "sha512" if alg == "EdDSA" else _HASHES.get(alg[-3:])
    if name is None:
        raise ValueError(f"no at_hash for algorithm {alg!r}")
    digest = hashlib.new(name, value.encode("ascii")).digest()
    return _b64url(digest[: len(digest) // 2])
