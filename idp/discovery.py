"""Provider metadata (OIDC Discovery 1.0, RFC 8414), computed from settings and from what the
authorization server actually registered, so it cannot advertise what is not implemented."""

from __future__ import annotations

from typing import Any

from idp.domain.client_authentication import CLIENT_AUTH_METHODS, NONE
from idp.domain.second_factor import ACR_VALUES
from idp.i18n import SUPPORTED_LOCALES
from idp.oauth.authorization_checks import PROMPT_VALUES as SUPPORTED_PROMPTS
from idp.oauth.authorization_checks import RESPONSE_MODES
from idp.oauth.client_assertions import SIGNING_ALGORITHMS
from idp.oauth.dpop import ALGORITHMS as DPOP_ALGORITHMS
from idp.oauth.server import SageAuthorizationServer
from idp.settings import Settings
from shared.scopes import ALL_SCOPES, SCOPE_CLAIMS

# Authlib endpoint name -> (metadata key, path)
OPTIONAL_ENDPOINTS = {
    "revocation": ("revocation_endpoint", "/revoke"),
    "introspection": ("introspection_endpoint", "/introspect"),
    "end_session": ("end_session_endpoint", "/logout"),
    "device_authorization": ("device_authorization_endpoint", "/device_authorization"),
    "client_registration": ("registration_endpoint", "/register"),  # RFC 7591 (issue 16)
}
PROMPT_VALUES = list(SUPPORTED_PROMPTS)


def provider_metadata(settings: Settings, server: SageAuthorizationServer) -> dict[str, Any]:
    claims = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "sid"]
    claims += [claim for names in SCOPE_CLAIMS.values() for claim in names]
    metadata: dict[str, Any] = {
        "issuer": settings.issuer,
        "authorization_endpoint": settings.url("/authorize"),
        "token_endpoint": settings.url("/token"),
        "userinfo_endpoint": settings.url("/userinfo"),
        "jwks_uri": settings.url("/jwks.json"),
        "scopes_supported": list(ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "grant_types_supported": server.grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        # RFC 7523 `private_key_jwt` (issue 16): the algorithms of client assertions.
        "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims,
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "ui_locales_supported": list(SUPPORTED_LOCALES),
        "claims_locales_supported": list(SUPPORTED_LOCALES),
        "prompt_values_supported": PROMPT_VALUES,
        "authorization_response_iss_parameter_supported": True,
        # OpenID Connect Back-Channel Logout 1.0 (`idp.oauth.backchannel`).
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        # Not a registered name: how long a sign-in lasts (refresh tokens end this many
        # seconds after the sign-in, never extended), so clients can tell their users.
        "refresh_token_lifetime": settings.lifetimes.refresh_token,
        # RFC 9126 (issue 16): pushed authorization requests, required per client only.
        "pushed_authorization_request_endpoint": settings.url("/par"),
        "require_pushed_authorization_requests": False,
        # RFC 9449 §5.1 (`idp.oauth.dpop`).
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
    }
    # Issue 17: the two levels a sign-in reaches, and the `acr`/`amr` claims that say which.
    metadata["acr_values_supported"] = list(ACR_VALUES)
    metadata["claims_supported"] = [*claims, "acr", "amr"]
    for name, (key, path) in OPTIONAL_ENDPOINTS.items():
        if name in server._endpoints:
            metadata[key] = settings.url(path)
            if name in ("revocation", "introspection"):
                methods = [m for m in CLIENT_AUTH_METHODS if name == "revocation" or m != NONE]
                metadata[f"{name}_endpoint_auth_methods_supported"] = methods
                # RFC 8414 §2: required once private_key_jwt is listed.
                metadata[f"{name}_endpoint_auth_signing_alg_values_supported"] = list(
                    SIGNING_ALGORITHMS
                )
    return metadata
