"""Test doubles shared by the client tests and their worker processes."""

from __future__ import annotations

import threading
import time
from typing import Any

import keyring.backends.fail
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from keyring.backend import KeyringBackend

ISSUER = "http://127.0.0.1:8000"
CLIENT_ID = "sageid-desktop"
START = 1_764_000_000.0


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: tests never touch the user's real keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


def no_keyring_backend() -> KeyringBackend:
    """The backend keyring picks when none is available (headless Linux)."""
    backend: KeyringBackend = keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]
    return backend


class HangingKeyring(MemoryKeyring):
    """A keyring that never answers (a locked wallet, a dead D-Bus) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = START) -> None:
        self.current = start

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += seconds

    def sleep(self, seconds: float) -> None:
        """Stand-in for `time.sleep`: advances the clock instead of waiting."""
        self.advance(seconds)


class SigningKeys:
    """The provider's side of ID tokens: an RS256 and an ES256 key with their JWKS."""

    def __init__(self, rsa_kid: str = "rsa-1", ec_kid: str = "ec-1") -> None:
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": rsa_kid, "use": "sig"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": ec_kid, "use": "sig"})

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.rsa, self.ec]).as_dict(private=False))

    def public_key_set(self) -> KeySet:
        return KeySet.import_key_set(KeySet([self.rsa, self.ec]).as_dict(private=False))

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256", kid: str | None = None) -> str:
        key = self.rsa if alg == "RS256" else self.ec
        header = {"alg": alg, "kid": kid if kid is not None else key.kid}
        return jwt.encode(header, claims, key)


def id_token_claims(now: float = START, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid ID token for `CLIENT_ID` at `ISSUER`, issued at `now`."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": CLIENT_ID,
        "exp": int(now) + 600,
        "iat": int(now),
        "auth_time": int(now),
        "nonce": "nonce-1",
        "email": "marie@boulangerie-martin.fr",
        "name": "Marie Martin",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    """Poll `predicate` until true (for cross-process barriers)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def make_entry(
    now: float = START,
    *,
    subject: str = "user-1",
    access_token: str = "at-0-secret-access",
    refresh_token: str | None = "rt-0-secret-refresh",
    expires_in: float = 600,
    issuer: str = ISSUER,
    client_id: str = CLIENT_ID,
) -> Any:
    """A cache entry signed in at `now` (typed `Any` to keep this module import-light)."""
    from client import CacheEntry

    return CacheEntry(
        issuer=issuer,
        client_id=client_id,
        subject=subject,
        access_token=access_token,
        access_token_expires_at=now + expires_in,
        refresh_token=refresh_token,
        auth_time=now,
        id_token="id-0-secret-idtoken",
        claims=id_token_claims(now, sub=subject),
        scope="openid profile email offline_access referencing edi",
        refresh_token_expires_at=(now + 30 * 86_400) if refresh_token else None,
    )
