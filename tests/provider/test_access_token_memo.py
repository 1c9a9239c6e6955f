"""Verified access tokens are remembered by their exact string with their validated claims; a
remembered token is still refused the second it expires and when it lacks the scopes asked
for, and nothing that failed verification is remembered."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator

from idp.keys import KeyRing
from idp.oauth.access_tokens import AccessTokenValidator
from idp.oauth.token_reader import AccessTokenReader
from idp.settings import Settings
from tests.edi.helpers import mint


@pytest.fixture
def keys(settings: Settings) -> KeyRing:
    from idp.keys import KeyFile

    KeyFile(settings.key_dir).ensure()
    return KeyRing.from_dir(settings.key_dir)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token that went through Authlib's decode and signature check."""
    seen: list[str] = []
    verify = JWTBearerTokenValidator.authenticate_token

    def counted(self: Any, token_string: str) -> Any:
        seen.append(token_string)
        return verify(self, token_string)

    monkeypatch.setattr(JWTBearerTokenValidator, "authenticate_token", counted)
    return seen


def _validator(settings: Settings, keys: KeyRing) -> AccessTokenValidator:
    return AccessTokenValidator(settings.issuer, settings.url("/api/v1"), keys)


def test_a_token_is_verified_once(
    settings: Settings, keys: KeyRing, verifications: list[str]
) -> None:
    validator = _validator(settings, keys)
    token = mint(settings, keys, "user-1", "grant-1")
    first = validator.claims(f"Bearer {token}", ["edi"])
    again = validator.claims(f"Bearer {token}", ["edi"])
    assert first == again and first["sub"] == "user-1"
    assert verifications == [token]


def test_claims_that_fail_are_validated_again(
    settings: Settings, keys: KeyRing, verifications: list[str]
) -> None:
    validator = _validator(settings, keys)
    expired = mint(settings, keys, "user-1", "grant-1", expires_in=-120)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            validator.claims(f"Bearer {expired}", ["edi"])
    assert verifications == [expired]  # the signature was good; the expiry refused it twice


@pytest.fixture
def system_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The system clock, which Authlib's validation reads through joserfc, held and moved."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_remembered_token_expires_when_authlib_says(
    settings: Settings,
    keys: KeyRing,
    verifications: list[str],
    system_clock: list[float],
    offset: int,
) -> None:
    validator = _validator(settings, keys)
    token = mint(settings, keys, "user-1", "grant-1", expires_in=60)
    validator.claims(f"Bearer {token}", ["edi"])  # validated in full, remembered
    system_clock[0] = int(system_clock[0]) + 60 + offset + 0.5  # around `exp`
    fresh = _validator(settings, keys)  # no memo: Authlib's validation alone decides
    with pytest.raises(InvalidTokenError) if offset >= 0 else _accepted():
        fresh.claims(f"Bearer {token}", ["edi"])
    with pytest.raises(InvalidTokenError) if offset >= 0 else _accepted():
        validator.claims(f"Bearer {token}", ["edi"])
    assert verifications.count(token) == 2  # once for each validator: the second was a memo hit


def test_a_remembered_token_is_refused_by_introspection_once_expired(
    settings: Settings, keys: KeyRing, verifications: list[str], system_clock: list[float]
) -> None:
    reader = AccessTokenReader(settings.issuer, keys)
    token = mint(settings, keys, "user-1", "grant-1", expires_in=60)
    assert reader.read(token) is not None
    system_clock[0] += 61
    assert reader.read(token) is None
    assert verifications == [token]


def test_a_token_not_yet_valid_is_validated_again(
    settings: Settings, keys: KeyRing, verifications: list[str], system_clock: list[float]
) -> None:
    validator = _validator(settings, keys)
    token = mint(settings, keys, "user-1", "grant-1")  # `iat` is now
    system_clock[0] -= 10  # before `iat`: refused, not remembered as valid
    with pytest.raises(InvalidTokenError):
        validator.claims(f"Bearer {token}", ["edi"])
    system_clock[0] += 10
    assert validator.claims(f"Bearer {token}", ["edi"])["sub"] == "user-1"
    system_clock[0] -= 10  # the clock stepped back: refused on a memo hit too
    with pytest.raises(InvalidTokenError):
        validator.claims(f"Bearer {token}", ["edi"])
    assert verifications == [token]


def test_a_remembered_token_needs_the_scopes_of_each_call(
    settings: Settings, keys: KeyRing, verifications: list[str]
) -> None:
    validator = _validator(settings, keys)
    token = mint(settings, keys, "user-1", "grant-1", scope="openid")
    validator.claims(f"Bearer {token}", ["openid"])
    with pytest.raises(InsufficientScopeError):
        validator.claims(f"Bearer {token}", ["edi"])  # remembered, yet the scope is checked
    assert validator.claims(f"Bearer {token}", ["openid"])["scope"] == "openid"
    assert verifications == [token]


def _accepted() -> contextlib.nullcontext[None]:
    return contextlib.nullcontext()


def test_what_fails_verification_is_not_remembered(
    settings: Settings, keys: KeyRing, verifications: list[str]
) -> None:
    validator = _validator(settings, keys)
    header, payload, signature = mint(settings, keys, "user-1", "grant-1").split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            validator.claims(f"Bearer {forged}", ["edi"])
    assert verifications == [forged, forged]


def test_the_memo_is_bounded(
    settings: Settings, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AccessTokenValidator, "MEMO_SIZE", 3)
    validator = _validator(settings, keys)
    tokens = [mint(settings, keys, f"user-{n}", "grant-1") for n in range(5)]
    for token in tokens:
        validator.claims(f"Bearer {token}", ["edi"])
    assert list(validator._verified) == tokens[2:]  # the oldest went first
