"""Client profiles (issue 16). `fapi2`: the FAPI 2.0 Security Profile's rules for a client —
pushed authorization requests only, PKCE S256 (every client here), a confidential client
authenticating with `private_key_jwt` only, `iss` in authorization responses (every client
here, RFC 9207), authorization codes of at most 60 s, and sender-constrained tokens: every
token request carries a DPoP proof (`requires_dpop`, checked at /token), and no refresh token
is issued to it (FAPI 2.0 §5.3.2.1 allows none)."""

from __future__ import annotations

from idp.store.records import ClientRecord

FAPI2 = "fapi2"
PROFILES = (FAPI2,)
# FAPI 2.0 Security Profile §5.3.2.1: authorization codes live at most 60 seconds.
FAPI2_MAX_CODE_LIFETIME = 60


def is_fapi2(client: ClientRecord) -> bool:
    return client.profile == FAPI2


def requires_dpop(client: ClientRecord) -> bool:
    """Whether this client's tokens must be DPoP-bound (FAPI 2.0 §5.3.2.1: sender-constrained
    tokens): its token requests without a DPoP proof are refused (`SageAuthorizationServer`)."""
    return is_fapi2(client)


def must_push_requests(client: ClientRecord) -> bool:
    """RFC 9126 §6 `require_pushed_authorization_requests`, or FAPI 2.0 (§5.3.1.2: PAR)."""
    return client.require_pushed_authorization_requests or is_fapi2(client)


def code_lifetime(client: ClientRecord, configured: int) -> int:
    return min(configured, FAPI2_MAX_CODE_LIFETIME) if is_fapi2(client) else configured


def may_have_bearer_refresh_token(client: ClientRecord) -> bool:
    """FAPI 2.0 §5.3.2.1 allows only sender-constrained refresh tokens (or none)."""
    return not is_fapi2(client)
