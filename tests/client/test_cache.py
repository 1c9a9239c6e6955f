"""Token cache: encrypted at rest, atomic, private, corrupt files moved aside, 30 days."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import sys
from pathlib import Path

import filelock
import pytest

from client import (
    REFRESH_TOKEN_LIFETIME,
    CacheCorrupted,
    CacheEntry,
    CacheError,
    KeyringProtection,
    SignInRequired,
    TokenCache,
    default_cache_directory,
    default_http_client,
)

from .helpers import CLIENT_ID, ISSUER, FrozenClock, MemoryKeyring, make_entry

SECRETS = ("at-0-secret-access", "rt-0-secret-refresh", "id-0-secret-idtoken")


def test_round_trip(cache: TokenCache, clock: FrozenClock) -> None:
    entry = make_entry(clock.now())
    cache.store(entry)
    assert cache.find(ISSUER, CLIENT_ID) == entry
    assert TokenCache(cache.directory, clock=clock).find(ISSUER, CLIENT_ID, "user-1") == entry


def test_no_token_or_personal_data_in_the_file(cache: TokenCache, clock: FrozenClock) -> None:
    cache.store(make_entry(clock.now()))
    data = cache.path.read_bytes()
    for secret in (*SECRETS, "marie@boulangerie-martin.fr", "user-1"):
        assert secret.encode() not in data
    assert json.loads(data)["protection"] == "keyring"


def test_key_is_kept_in_the_keyring(
    cache: TokenCache, clock: FrozenClock, memory_keyring: MemoryKeyring
) -> None:
    cache.store(make_entry(clock.now()))
    assert [service for service, _ in memory_keyring.passwords] == ["sageid"]
    memory_keyring.passwords.clear()  # the key is gone: the file is unreadable
    with pytest.raises(CacheCorrupted):
        TokenCache(cache.directory, clock=clock).entries()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_file_is_0600_and_directory_0700(cache: TokenCache, clock: FrozenClock) -> None:
    cache.store(make_entry(clock.now()))
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.directory.stat().st_mode) == 0o700


def test_one_entry_per_issuer_client_and_account(cache: TokenCache, clock: FrozenClock) -> None:
    cache.store(make_entry(clock.now(), subject="user-1"))
    cache.store(make_entry(clock.now(), subject="user-2"))
    cache.store(make_entry(clock.now(), subject="user-1", access_token="at-replaced"))
    cache.store(make_entry(clock.now(), client_id="other-app"))
    assert len(cache.entries()) == 3
    assert cache.find(ISSUER, CLIENT_ID, "user-1").access_token == "at-replaced"
    with pytest.raises(SignInRequired, match="several accounts"):
        cache.find(ISSUER, CLIENT_ID)
    assert cache.remove(ISSUER, CLIENT_ID, "user-2") is True
    assert cache.remove(ISSUER, CLIENT_ID, "user-2") is False
    assert cache.find(ISSUER, CLIENT_ID).subject == "user-1"


def test_nobody_signed_in(cache: TokenCache) -> None:
    assert cache.entries() == []
    with pytest.raises(SignInRequired):
        cache.find(ISSUER, CLIENT_ID)


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, nothing may catch it."""


def test_crash_mid_write_leaves_the_old_file_intact(
    cache: TokenCache, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = make_entry(clock.now())
    cache.store(old)
    before = cache.path.read_bytes()

    def crash(fd: int) -> None:
        raise SimulatedCrash

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(SimulatedCrash):
        cache.store(make_entry(clock.now(), access_token="at-new"))
    monkeypatch.undo()

    assert cache.path.read_bytes() == before
    assert cache.find(ISSUER, CLIENT_ID) == old
    assert sorted(p.name for p in cache.directory.iterdir()) == ["tokens.cache", "tokens.lock"]


def flip_ciphertext(data: bytes) -> bytes:
    envelope = json.loads(data)
    ciphertext = bytearray(base64.urlsafe_b64decode(envelope["ciphertext"]))
    ciphertext[len(ciphertext) // 2] ^= 0x01
    envelope["ciphertext"] = base64.urlsafe_b64encode(bytes(ciphertext)).decode()
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"\x00garbage",
        lambda data: data[: len(data) // 2],
        lambda data: b"[]",
        lambda data: data.replace(b'"protection": "keyring"', b'"protection": "rot13"'),
        lambda data: flip_ciphertext(data),  # the GCM tag no longer verifies
    ],
)
def test_corrupt_file_is_moved_aside(
    cache: TokenCache, clock: FrozenClock, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    cache.store(make_entry(clock.now()))
    assert callable(damage)
    cache.path.write_bytes(damage(cache.path.read_bytes()))
    damaged = cache.path.read_bytes()

    with caplog.at_level(logging.WARNING, "sageid.client"), pytest.raises(SignInRequired) as caught:
        cache.find(ISSUER, CLIENT_ID)
    assert isinstance(caught.value, CacheCorrupted)
    assert "please sign in again" in str(caught.value)
    moved: Path = caught.value.moved_to
    assert moved.name.startswith("tokens.cache.corrupt-")
    assert moved.read_bytes() == damaged
    assert not cache.path.exists()
    assert "moved to" in caplog.text
    # Afterwards: simply signed out, and a new sign-in can be stored.
    assert cache.entries() == []
    cache.store(make_entry(clock.now()))
    assert cache.find(ISSUER, CLIENT_ID).subject == "user-1"


def test_store_over_a_corrupt_file_starts_afresh(cache: TokenCache, clock: FrozenClock) -> None:
    cache.directory.mkdir(parents=True)
    cache.path.write_bytes(b"{not json")
    cache.store(make_entry(clock.now()))
    assert cache.find(ISSUER, CLIENT_ID).subject == "user-1"
    assert len(list(cache.directory.glob("tokens.cache.corrupt-*"))) == 1


def test_refresh_token_kept_at_most_30_days(cache: TokenCache, clock: FrozenClock) -> None:
    entry = make_entry(clock.now())
    cache.store(entry)
    assert entry.refresh_token_expires_at == clock.now() + REFRESH_TOKEN_LIFETIME

    clock.advance(REFRESH_TOKEN_LIFETIME - 1)
    assert cache.find(ISSUER, CLIENT_ID).usable_refresh_token(clock.now()) == entry.refresh_token

    clock.advance(1)
    with pytest.raises(SignInRequired):
        cache.find(ISSUER, CLIENT_ID)


def test_expired_refresh_token_is_purged_from_disk(
    cache: TokenCache, clock: FrozenClock, memory_keyring: MemoryKeyring
) -> None:
    cache.store(make_entry(clock.now()))
    clock.advance(REFRESH_TOKEN_LIFETIME + 1)
    # Any write rewrites the file without the aged-out entry.
    cache.store(make_entry(clock.now(), subject="user-2", refresh_token="rt-user-2"))
    assert [e.subject for e in cache.entries()] == ["user-2"]
    raw = _decrypted_payload(cache)
    assert "rt-0-secret-refresh" not in raw
    assert "rt-user-2" in raw


def test_refresh_token_dropped_while_the_access_token_lives(clock: FrozenClock) -> None:
    # Signed in 30 days ago, access token issued a minute ago.
    entry = make_entry(clock.now() - REFRESH_TOKEN_LIFETIME - 1)
    fresh = CacheEntry(**{**entry.to_json(), "access_token_expires_at": clock.now() + 540})
    assert fresh.usable_refresh_token(clock.now()) is None
    assert fresh.access_token_fresh(clock.now(), 60)


def _keyring_protection(cache: TokenCache) -> KeyringProtection:
    protection = cache.protection
    assert isinstance(protection, KeyringProtection)
    return protection


def _decrypted_payload(cache: TokenCache) -> str:
    envelope = json.loads(cache.path.read_bytes())
    return _keyring_protection(cache).unseal(envelope).decode()


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout")
def test_default_directory_is_the_user_data_dir(tmp_path: Path) -> None:
    # conftest points XDG_DATA_HOME into tmp_path
    assert default_cache_directory() == tmp_path / "xdg-data" / "sageid"
    assert TokenCache().path == tmp_path / "xdg-data" / "sageid" / "tokens.cache"


def test_default_http_client_uses_the_environment_and_no_redirects() -> None:
    with default_http_client() as http:
        assert http.trust_env is True
        assert http.follow_redirects is False


def test_a_lock_held_too_long_is_a_clear_error(cache_dir: Path, clock: FrozenClock) -> None:
    cache = TokenCache(cache_dir, clock=clock, lock_timeout=0.1)
    cache.store(make_entry(clock.now()))
    other_process = filelock.FileLock(cache_dir / "tokens.lock")
    with other_process, pytest.raises(CacheError, match="stayed locked"):
        cache.store(make_entry(clock.now(), access_token="at-blocked"))
    assert cache.find(ISSUER, CLIENT_ID).access_token == "at-0-secret-access"


def test_malformed_keyring_entry_is_reported_not_overwritten(
    cache: TokenCache, clock: FrozenClock, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.passwords[("sageid", str(cache.path))] = "not-a-key"
    with pytest.raises(CacheError, match="delete it"):
        cache.store(make_entry(clock.now()))
    assert memory_keyring.passwords[("sageid", str(cache.path))] == "not-a-key"
