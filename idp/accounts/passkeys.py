"""Passkeys (WebAuthn Level 2, with the `webauthn` library): registration on the account page
and assertions at sign-in, the RP ID being the issuer's host (DESIGN §3: every URL comes from
the issuer, never from the request). Resident keys and user verification are preferred."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp.settings import Settings
from idp.store.factors import FactorRecord
from idp.store.records import UserRecord

TIMEOUT_MS = 120_000


class PasskeyError(ValueError):
    """A credential or assertion that does not verify (never shown as is to the user)."""


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: str
    sign_count: int
    method: str  # RFC 8176: `hwk` (bound to one device) or `swk` (synced, multi-device)


def rp_id(settings: Settings) -> str:
    return urlsplit(settings.issuer).hostname or "localhost"


def origin(settings: Settings) -> str:
    parts = urlsplit(settings.issuer)
    return f"{parts.scheme}://{parts.netloc}"


def registration_options(
    settings: Settings, user: UserRecord, existing: tuple[FactorRecord, ...]
) -> tuple[str, bytes]:
    options = generate_registration_options(
        rp_id=rp_id(settings),
        rp_name="Sage ID",
        user_id=user.id.encode(),
        user_name=user.email,
        user_display_name=user.name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
            for f in existing
            if f.credential_id
        ],
    )
    return options_to_json(options), options.challenge


def verify_registration(settings: Settings, credential: str, challenge: bytes) -> NewPasskey:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(settings),
            expected_origin=origin(settings),
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as error:
        raise PasskeyError(str(error)) from error
    synced = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        method="swk" if synced else "hwk",
    )


def authentication_options(
    settings: Settings, allowed: tuple[FactorRecord, ...] | None
) -> tuple[str, bytes]:
    """`allowed` None: a discoverable credential, the user unknown until it answers."""
    options = generate_authentication_options(
        rp_id=rp_id(settings),
        timeout=TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
            for f in allowed or ()
            if f.credential_id
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def credential_id_of(credential: str) -> str | None:
    try:
        value = json.loads(credential).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 1400 else None


@dataclass(frozen=True)
class Assertion:
    sign_count: int
    user_verified: bool


def verify_assertion(
    settings: Settings,
    credential: str,
    challenge: bytes,
    factor: FactorRecord,
    *,
    require_user_verification: bool,
) -> Assertion:
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(settings),
            expected_origin=origin(settings),
            credential_public_key=base64url_to_bytes(factor.secret),
            credential_current_sign_count=factor.sign_count,
            require_user_verification=require_user_verification,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as error:
        raise PasskeyError(str(error)) from error
    return Assertion(verified.new_sign_count, verified.user_verified)
