"""Signing keys: generated on first start, loaded once, published as a JWKS.

`certs/keys.json` (mode 0600) holds every key with its status. The newest key of each algorithm
signs; older keys stay published until `sageid-idp keys retire KID`, so tokens they signed still
verify after a rotation. The same file also holds the server secret that keys HMACs of short
codes and CSRF tokens. Every node of a deployment uses the same file (DESIGN §6).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, RSAKey

KEY_FILE = "keys.json"
# ID tokens: RS256, the OIDC default every client accepts. Access tokens: ES256, ~10x cheaper to
# sign (DESIGN §3).
ALGORITHMS = ("RS256", "ES256")
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

SigningKey = RSAKey | ECKey


def _generate(alg: str) -> SigningKey:
    key: SigningKey
    if alg == "RS256":
        key = RSAKey.generate_key(2048, private=True)
    else:
        key = ECKey.generate_key("P-256", private=True)
    return key


def _entry(alg: str) -> dict[str, Any]:
    key = _generate(alg)
    jwk = key.as_dict(private=True)
    jwk.update(kid=key.thumbprint(), alg=alg, use="sig")
    return {"kid": jwk["kid"], "alg": alg, "created_at": int(time.time()), "jwk": jwk}


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    alg: str
    created_at: int
    signing: bool


class KeyFile:
    """The on-disk key material; every write is atomic and the file is 0600."""

    def __init__(self, key_dir: Path) -> None:
        self.path = key_dir / KEY_FILE

    def load(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    def ensure(self) -> bool:
        """Create the keys on first start; True when they were created."""
        if self.path.exists():
            return False
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        self.save({"server_secret": secret, "keys": [_entry(alg) for alg in ALGORITHMS]})
        return True

    def rotate(self) -> list[KeyInfo]:
        data = self.load()
        data["keys"] = [_entry(alg) for alg in ALGORITHMS] + data["keys"]
        self.save(data)
        return self.list()

    def retire(self, kid: str) -> None:
        data = self.load()
        infos = {info.kid: info for info in self.list()}
        if kid not in infos:
            raise KeyError(f"no key with kid {kid}")
        if infos[kid].signing:
            raise ValueError(f"key {kid} is the current signing key: rotate before retiring it")
        data["keys"] = [entry for entry in data["keys"] if entry["kid"] != kid]
        self.save(data)

    def list(self) -> list[KeyInfo]:
        seen: set[str] = set()
        infos = []
        for entry in self.load()["keys"]:  # newest first
            infos.append(
                KeyInfo(entry["kid"], entry["alg"], entry["created_at"], entry["alg"] not in seen)
            )
            seen.add(entry["alg"])
        return infos


class KeyRing:
    """Key objects built once at start-up (loading an RSA key costs ~26 ms: never per request),
    and the JWKS document as ready-made bytes."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.server_secret = base64.urlsafe_b64decode(data["server_secret"])
        self.signing: dict[str, SigningKey] = {}
        self.verifying: dict[str, SigningKey] = {}
        public = []
        for entry in data["keys"]:
            key: SigningKey
            if entry["alg"] == "RS256":
                key = RSAKey.import_key(entry["jwk"])
            else:
                key = ECKey.import_key(entry["jwk"])
            self.signing.setdefault(entry["alg"], key)
            self.verifying[entry["kid"]] = key
            member = key.as_dict(private=False)
            member.update(kid=entry["kid"], alg=entry["alg"], use="sig")
            assert not PRIVATE_MEMBERS & member.keys()
            public.append(member)
        self.jwks: dict[str, Any] = {"keys": public}
        self.jwks_bytes = json.dumps(self.jwks, separators=(",", ":")).encode()
        self.jwks_etag = '"' + hashlib.sha256(self.jwks_bytes).hexdigest()[:32] + '"'

    @classmethod
    def from_dir(cls, key_dir: Path) -> KeyRing:
        return cls(KeyFile(key_dir).load())

    def key_for(self, alg: str) -> SigningKey:
        return self.signing[alg]

    def kid_for(self, alg: str) -> str:
        return str(self.signing[alg].kid)

    def derive(self, purpose: str) -> bytes:
        """A sub-key of the server secret for one purpose (CSRF, code HMACs, ...)."""
        return hashlib.sha256(self.server_secret + b"/" + purpose.encode()).digest()
