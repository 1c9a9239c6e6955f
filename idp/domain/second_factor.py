"""Second factors, as plain rules (issue 17): authenticator-app codes (TOTP, RFC 6238),
recovery codes, and the authentication methods and level a sign-in reaches (RFC 8176 `amr`,
OIDC Core `acr`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

import pyotp

# RFC 6238 §5.2: one step of drift either way, a step being 30 s.
TOTP_STEP = 30
TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread

# RFC 8176 method values.
PASSWORD = "pwd"
ONE_TIME_PASSWORD = "otp"
MULTIPLE_FACTORS = "mfa"

# The two levels a sign-in reaches, advertised in discovery (`acr_values_supported`).
ACR_PASSWORD = "urn:sageid:acr:password"
ACR_MFA = "urn:sageid:acr:mfa"
ACR_VALUES = (ACR_PASSWORD, ACR_MFA)

# Removing a factor or regenerating codes needs a sign-in this recent (seconds).
RECENT_SIGN_IN = 10 * 60


def new_totp_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, RFC 4226 §4's recommended length


def provisioning_uri(secret: str, account: str, issuer_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer_name)


def time_step(now: float) -> int:
    return int(now // TOTP_STEP)


def matching_step(secret: str, code: str, now: float, last_step: int) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if it is later than
    `last_step`, the step of the last code accepted: a code works once (RFC 6238 §5.2)."""
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP)
    current = time_step(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 10 characters (50 bits each), shown as `xxxxx-xxxxx`."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def hash_recovery_code(key: bytes, user_id: str, code: str) -> str:
    message = f"{user_id}\n{normalise_recovery_code(code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def amr_text(methods: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(methods))


def amr_list(text: str) -> list[str]:
    return text.split() or [PASSWORD]


def with_second_factor(method: str) -> str:
    """The methods of a sign-in completed by a second factor (RFC 8176 §2: `mfa`)."""
    return amr_text([PASSWORD, method, MULTIPLE_FACTORS])


def acr_for(amr: str) -> str:
    return ACR_MFA if MULTIPLE_FACTORS in amr.split() else ACR_PASSWORD


class SignInFacts:
    """What an ID token says of the sign-in it comes from (OIDC Core §2: `auth_time`, `acr`,
    `amr`), as Authlib reads it from "the authorization code": a stored code, or the original
    sign-in of a refresh or device grant."""

    auth_time: float
    amr: str  # RFC 8176 methods, space-separated

    def get_auth_time(self) -> int:
        return int(self.auth_time)

    def get_acr(self) -> str:
        return acr_for(self.amr)

    def get_amr(self) -> list[str]:
        return amr_list(self.amr)


def is_multi_factor(amr: str) -> bool:
    return MULTIPLE_FACTORS in amr.split()
