"""Verified access tokens are remembered by their exact string; their claims are still
validated on every use, and nothing that failed verification is remembered."""

from __future__ import annotations

from typing import Any

import pytest
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator

from idp.keys import KeyRing
from idp.oauth.access_tokens import AccessTokenValidator
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


def test_claims_are_validated_on_every_use(
    settings: Settings, keys: KeyRing, verifications: list[str]
) -> None:
    validator = _validator(settings, keys)
    expired = mint(settings, keys, "user-1", "grant-1", expires_in=-120)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            validator.claims(f"Bearer {expired}", ["edi"])
    assert verifications == [expired]  # the signature was good; the expiry refused it twice
    token = mint(settings, keys, "user-1", "grant-1", scope="openid")
    validator.claims(f"Bearer {token}", ["openid"])
    with pytest.raises(Exception, match="scope"):
        validator.claims(f"Bearer {token}", ["edi"])  # remembered, yet the scope is checked


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
