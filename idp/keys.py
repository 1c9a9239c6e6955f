"""Signing keys: generated on first start, published as a JWKS, rolled over without restart.

`certs/keys.json` (mode 0600) holds every key with its status, and the server secret that keys
HMACs of short codes and CSRF tokens. Every node of a deployment reads the same file (a shared
folder, or the same file deployed to each node), and re-reads it when it changes: each server
looks at the file's identity (inode, size, modification time) every `key_poll` seconds, and
on a change rebuilds its keys in a worker thread and swaps them in whole (`KeyRing.install`).

Rollover, in three steps, each picked up by every node within the poll interval:
1. `keys rotate` adds a new key per algorithm, *published*: in every JWKS, signing nothing yet
   (relying parties that cache the JWKS learn it before any token uses it);
2. `keys activate KID` makes it the key that signs for its algorithm; the previous one stays
   published, so the tokens it signed still verify;
3. `keys retire KID` removes an old key from the JWKS (tokens it signed no longer verify).
A file written before statuses existed still works: the newest key of each algorithm signs.
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

from joserfc.jwk import ECKey, KeySet, RSAKey

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


SIGNING, PUBLISHED = "signing", "published"


def _entry(alg: str, status: str = SIGNING) -> dict[str, Any]:
    key = _generate(alg)
    jwk = key.as_dict(private=True)
    jwk.update(kid=key.thumbprint(), alg=alg, use="sig")
    return {
        "kid": jwk["kid"],
        "alg": alg,
        "created_at": int(time.time()),
        "status": status,
        "jwk": jwk,
    }


def signing_kids(entries: list[dict[str, Any]]) -> set[str]:
    """Per algorithm, the newest key not marked published (entries are newest first)."""
    kids: dict[str, str] = {}
    for entry in entries:
        if entry.get("status", SIGNING) == SIGNING:
            kids.setdefault(entry["alg"], entry["kid"])
    return set(kids.values())


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
        """Add a new key per algorithm, published but not signing (`activate` makes it sign)."""
        data = self.load()
        data["keys"] = [_entry(alg, PUBLISHED) for alg in ALGORITHMS] + data["keys"]
        self.save(data)
        return self.list()

    def activate(self, kid: str) -> None:
        """Make a published key the one that signs for its algorithm; the key it replaces
        stays published."""
        data = self.load()
        chosen = next((entry for entry in data["keys"] if entry["kid"] == kid), None)
        if chosen is None:
            raise KeyError(f"no key with kid {kid}")
        for entry in data["keys"]:
            if entry["alg"] == chosen["alg"]:
                entry["status"] = SIGNING if entry is chosen else PUBLISHED
        self.save(data)

    def retire(self, kid: str) -> None:
        data = self.load()
        infos = {info.kid: info for info in self.list()}
        if kid not in infos:
            raise KeyError(f"no key with kid {kid}")
        if infos[kid].signing:
            raise ValueError(
                f"key {kid} is the current signing key: activate another key before retiring it"
            )
        data["keys"] = [entry for entry in data["keys"] if entry["kid"] != kid]
        self.save(data)

    def list(self) -> list[KeyInfo]:
        entries = self.load()["keys"]  # newest first
        signing = signing_kids(entries)
        return [
            KeyInfo(entry["kid"], entry["alg"], entry["created_at"], entry["kid"] in signing)
            for entry in entries
        ]

    def identity(self) -> tuple[int, int, int] | None:
        """Changes whenever the file is replaced (every `save` is an atomic rename)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class KeySnapshot:
    """One consistent state of the keys: what signs, what verifies, the JWKS bytes."""

    signing: dict[str, SigningKey]
    verifying: dict[str, SigningKey]
    key_set: KeySet
    jwks: dict[str, Any]
    jwks_bytes: bytes
    jwks_etag: str

    @classmethod
    def build(cls, data: dict[str, Any]) -> KeySnapshot:
        """Parse the key file's content (loading an RSA key costs ~26 ms: never per request)."""
        signing_kid = signing_kids(data["keys"])
        signing: dict[str, SigningKey] = {}
        verifying: dict[str, SigningKey] = {}
        public = []
        for entry in data["keys"]:
            key: SigningKey
            if entry["alg"] == "RS256":
                key = RSAKey.import_key(entry["jwk"])
            else:
                key = ECKey.import_key(entry["jwk"])
            if entry["kid"] in signing_kid:
                signing[entry["alg"]] = key
            verifying[entry["kid"]] = key
            member = key.as_dict(private=False)
            member.update(kid=entry["kid"], alg=entry["alg"], use="sig")
            assert not PRIVATE_MEMBERS & member.keys()
            public.append(member)
        jwks: dict[str, Any] = {"keys": public}
        jwks_bytes = json.dumps(jwks, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(jwks_bytes).hexdigest()[:32] + '"'
        key_set = KeySet(list(verifying.values()))
        return cls(signing, verifying, key_set, jwks, jwks_bytes, etag)


class KeyRing:
    """The keys in use: one `KeySnapshot`, replaced whole when the key file changes. Readers
    take `current` once and use that snapshot."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.server_secret = base64.urlsafe_b64decode(data["server_secret"])
        self.current = KeySnapshot.build(data)

    @classmethod
    def from_dir(cls, key_dir: Path) -> KeyRing:
        return cls(KeyFile(key_dir).load())

    def install(self, snapshot: KeySnapshot) -> None:
        self.current = snapshot

    @property
    def verifying(self) -> dict[str, SigningKey]:
        return self.current.verifying

    @property
    def jwks(self) -> dict[str, Any]:
        return self.current.jwks

    @property
    def jwks_bytes(self) -> bytes:
        return self.current.jwks_bytes

    @property
    def jwks_etag(self) -> str:
        return self.current.jwks_etag

    def key_for(self, alg: str) -> SigningKey:
        return self.current.signing[alg]

    def kid_for(self, alg: str) -> str:
        return str(self.current.signing[alg].kid)

    def derive(self, purpose: str) -> bytes:
        """A sub-key of the server secret for one purpose (CSRF, code HMACs, ...)."""
        return hashlib.sha256(self.server_secret + b"/" + purpose.encode()).digest()
