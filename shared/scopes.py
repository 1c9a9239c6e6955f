"""Scope and claim names both sides of Sage ID agree on (DESIGN.md §4)."""

from typing import Final

OPENID: Final = "openid"
PROFILE: Final = "profile"
EMAIL: Final = "email"
OFFLINE_ACCESS: Final = "offline_access"
REFERENCING: Final = "referencing"
EDI: Final = "edi"

ALL_SCOPES: Final = (OPENID, PROFILE, EMAIL, OFFLINE_ACCESS, REFERENCING, EDI)

# Claims released per scope, for userinfo and the ID token (OIDC Core §5.4).
SCOPE_CLAIMS: Final[dict[str, tuple[str, ...]]] = {
    PROFILE: ("name", "given_name", "family_name", "locale"),
    EMAIL: ("email", "email_verified"),
    REFERENCING: ("referencing",),
}

# Audience of access tokens that carry the `edi` scope: the submissions API.
EDI_AUDIENCE_PATH: Final = "/api/v1"

DEVICE_CODE_GRANT: Final = "urn:ietf:params:oauth:grant-type:device_code"
