"""Protection at rest: keyring first; passphrase or plaintext only when asked, loudly."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.null
import pytest

from client import (
    PASSPHRASE_ENV,
    CacheError,
    KeyringProtection,
    KeyringUnavailable,
    PassphraseProtection,
    PlaintextProtection,
    TokenCache,
    select_protection,
)
from client._sealing import UndecryptableCache

from .helpers import CLIENT_ID, ISSUER, FrozenClock, HangingKeyring, make_entry

SECRET = b"rt-0-secret-refresh"
# Cheap scrypt for tests that construct PassphraseProtection themselves.
FAST = {"n": 2**12, "r": 8, "p": 1}


def test_keyring_is_preferred_even_when_a_fallback_is_offered() -> None:
    protection = select_protection("cache", insecure_storage=True, passphrase="pw")
    assert isinstance(protection, KeyringProtection)


@pytest.mark.usefixtures("no_keyring")
def test_no_keyring_and_no_fallback_is_a_clear_error(cache_dir: Path, clock: FrozenClock) -> None:
    cache = TokenCache(cache_dir, clock=clock)
    with pytest.raises(KeyringUnavailable) as caught:
        cache.store(make_entry(clock.now()))
    message = str(caught.value)
    assert PASSPHRASE_ENV in message
    assert "--insecure-storage" in message
    assert not cache.path.exists()


@pytest.mark.usefixtures("no_keyring")
def test_passphrase_fallback_from_the_environment(
    cache_dir: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    directory = cache_dir
    environ = {PASSPHRASE_ENV: "correct horse battery staple"}
    with caplog.at_level(logging.WARNING, "sageid.client"):
        cache = TokenCache(directory, environ=environ, clock=clock)
        cache.store(make_entry(clock.now()))
    assert PASSPHRASE_ENV in caplog.text
    envelope = json.loads(cache.path.read_bytes())
    assert envelope["protection"] == "passphrase"
    assert envelope["kdf"]["name"] == "scrypt"
    assert SECRET not in cache.path.read_bytes()

    reopened = TokenCache(directory, environ=environ, clock=clock)
    assert reopened.find(ISSUER, CLIENT_ID).refresh_token == SECRET.decode()

    wrong = TokenCache(directory, environ={PASSPHRASE_ENV: "wrong"}, clock=clock)
    with pytest.raises(CacheError, match="wrong passphrase"):
        wrong.entries()
    assert cache.path.exists()  # a wrong passphrase does not destroy the cache


def test_passphrase_from_the_real_environment(
    no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "from-env")
    assert isinstance(select_protection("cache"), PassphraseProtection)


@pytest.mark.usefixtures("no_keyring")
def test_insecure_storage_only_when_asked_and_loudly(
    cache_dir: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    directory = cache_dir
    with caplog.at_level(logging.WARNING, "sageid.client"):
        cache = TokenCache(directory, insecure_storage=True, clock=clock)
        cache.store(make_entry(clock.now()))
    assert "UNENCRYPTED" in caplog.text
    assert isinstance(cache.protection, PlaintextProtection)
    assert json.loads(cache.path.read_bytes())["protection"] == "plaintext"
    assert cache.find(ISSUER, CLIENT_ID).refresh_token == SECRET.decode()


def test_passphrase_round_trip_and_salt_reuse() -> None:
    protection = PassphraseProtection("pw", **FAST)
    first = protection.seal(b'{"entries": []}')
    second = protection.seal(b'{"entries": []}')
    assert first["kdf"]["salt"] == second["kdf"]["salt"]
    assert first["nonce"] != second["nonce"]
    assert PassphraseProtection("pw").unseal(second) == b'{"entries": []}'


def test_tampered_kdf_parameters_are_bounded() -> None:
    envelope = PassphraseProtection("pw", **FAST).seal(b"{}")
    envelope["kdf"]["n"] = 2**30
    with pytest.raises(UndecryptableCache):
        PassphraseProtection("pw").unseal(envelope)


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(CacheError):
        PassphraseProtection("")


def test_null_keyring_counts_as_no_keyring() -> None:
    keyring.set_keyring(keyring.backends.null.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(KeyringUnavailable):
        select_protection("cache")


@pytest.fixture
def hanging_keyring() -> Iterator[HangingKeyring]:
    backend = HangingKeyring()
    keyring.set_keyring(backend)
    yield backend
    backend.release.set()


def test_keyring_calls_are_bounded_by_a_timeout(hanging_keyring: HangingKeyring) -> None:
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable, match="did not answer"):
        select_protection("cache", keyring_timeout=0.2)
    assert time.monotonic() - started < 2


def test_hanging_keyring_falls_back_to_an_explicit_passphrase(
    hanging_keyring: HangingKeyring,
) -> None:
    protection = select_protection("cache", passphrase="pw", keyring_timeout=0.2)
    assert isinstance(protection, PassphraseProtection)


def test_cache_written_with_another_protection_is_refused_not_destroyed(
    cache_dir: Path, clock: FrozenClock
) -> None:
    directory = cache_dir
    TokenCache(directory, protection=PassphraseProtection("pw", **FAST), clock=clock).store(
        make_entry(clock.now())
    )
    with pytest.raises(CacheError, match="protected by passphrase"):
        TokenCache(directory, clock=clock).entries()  # the keyring is available here
    assert (directory / "tokens.cache").exists()
