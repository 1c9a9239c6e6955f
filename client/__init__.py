"""Sage ID relying-party client: sign a desktop user in, keep them signed in for 30 days,
hand out fresh access tokens.

The protocol steps are pure functions and models; I/O goes through an injected
`httpx.Client` (swap in `httpx.MockTransport` in tests) at a few thin edges.

Names are loaded on first use (PEP 562), so `sageid token` and any program importing one
name pay only for the modules behind it (see `bench/client.py`).
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from ._auth import AccessTokenAuth, BearerAuth
    from ._authorization import (
        CALLBACK_PATH,
        DEFAULT_SCOPE,
        AuthorizationRequest,
        build_authorization_request,
        loopback_redirect_uri,
        parse_authorization_response,
        pushed_authorization_url,
    )
    from ._cache import TokenCache, default_cache_directory
    from ._clock import Clock, SystemClock
    from ._config import ClientConfig, default_config_path, load_client_config
    from ._device import (
        DeviceAuthorization,
        DevicePollSchedule,
        poll_device_token,
        start_device_authorization,
    )
    from ._dpop import (
        DPOP_ALGORITHM,
        DPoPAuth,
        DPoPProofs,
        access_token_hash,
        installation_key,
        provider_supports_dpop,
    )
    from ._entry import REFRESH_TOKEN_LIFETIME, CacheEntry
    from ._exceptions import (
        AuthorizationDenied,
        AuthorizationResponseError,
        CacheCorrupted,
        CacheError,
        CallbackTimeout,
        ConfigError,
        DeviceCodeExpired,
        DiscoveryError,
        IdTokenError,
        KeyringUnavailable,
        OAuthError,
        ProviderError,
        ProviderUnreachable,
        SageIDError,
        SignInExpired,
        SignInRequired,
        SignInRevoked,
        SubmissionRefused,
    )
    from ._exit_codes import ExitCode, exit_code_for
    from ._http import Backoff, default_http_client
    from ._id_token import ID_TOKEN_ALGORITHMS, validate_id_token
    from ._identity import Identity, ReferencedAccount, Referencing, fetch_userinfo
    from ._jwks import JWKSCache, jwks_fetcher
    from ._keyring import KeyringProtection
    from ._login import (
        SignInOutcome,
        login_with_browser,
        login_with_device,
        prefers_device_flow,
        store_sign_in,
    )
    from ._logout import build_end_session_url, http_revoker
    from ._loopback import LoopbackServer, render_page
    from ._metadata import ProviderMetadata, discovery_url, fetch_provider_metadata
    from ._par import push_authorization_request
    from ._passphrase import PASSPHRASE_ENV, PassphraseProtection
    from ._protection import PlaintextProtection, select_protection
    from ._relying_party import RelyingParty
    from ._sealing import CacheProtection
    from ._session import RefreshedIdTokenValidator, Refresher, Revoker, Session, http_refresher
    from ._sign_in import entry_from_sign_in, refreshed_id_token_validator
    from ._submissions import (
        Submission,
        SubmissionPage,
        list_submissions,
        submissions_url,
        submit,
    )
    from ._tokens import (
        TokenResponse,
        authorization_code_grant,
        device_code_grant,
        refresh_token_grant,
        request_token,
    )

_EXPORTS: dict[str, str] = {
    "AccessTokenAuth": "._auth",
    "BearerAuth": "._auth",
    "CALLBACK_PATH": "._authorization",
    "DEFAULT_SCOPE": "._authorization",
    "AuthorizationRequest": "._authorization",
    "build_authorization_request": "._authorization",
    "loopback_redirect_uri": "._authorization",
    "parse_authorization_response": "._authorization",
    "TokenCache": "._cache",
    "default_cache_directory": "._cache",
    "Clock": "._clock",
    "SystemClock": "._clock",
    "ClientConfig": "._config",
    "default_config_path": "._config",
    "load_client_config": "._config",
    "DeviceAuthorization": "._device",
    "DevicePollSchedule": "._device",
    "poll_device_token": "._device",
    "start_device_authorization": "._device",
    "DPOP_ALGORITHM": "._dpop",
    "DPoPAuth": "._dpop",
    "DPoPProofs": "._dpop",
    "access_token_hash": "._dpop",
    "installation_key": "._dpop",
    "provider_supports_dpop": "._dpop",
    "push_authorization_request": "._par",
    "pushed_authorization_url": "._authorization",
    "REFRESH_TOKEN_LIFETIME": "._entry",
    "CacheEntry": "._entry",
    "AuthorizationDenied": "._exceptions",
    "AuthorizationResponseError": "._exceptions",
    "CacheCorrupted": "._exceptions",
    "CacheError": "._exceptions",
    "CallbackTimeout": "._exceptions",
    "ConfigError": "._exceptions",
    "DeviceCodeExpired": "._exceptions",
    "DiscoveryError": "._exceptions",
    "IdTokenError": "._exceptions",
    "KeyringUnavailable": "._exceptions",
    "OAuthError": "._exceptions",
    "ProviderError": "._exceptions",
    "ProviderUnreachable": "._exceptions",
    "SageIDError": "._exceptions",
    "SignInRequired": "._exceptions",
    "SignInExpired": "._exceptions",
    "SignInRevoked": "._exceptions",
    "SubmissionRefused": "._exceptions",
    "ExitCode": "._exit_codes",
    "exit_code_for": "._exit_codes",
    "Backoff": "._http",
    "default_http_client": "._http",
    "ID_TOKEN_ALGORITHMS": "._id_token",
    "validate_id_token": "._id_token",
    "Identity": "._identity",
    "ReferencedAccount": "._identity",
    "Referencing": "._identity",
    "fetch_userinfo": "._identity",
    "JWKSCache": "._jwks",
    "jwks_fetcher": "._jwks",
    "KeyringProtection": "._keyring",
    "SignInOutcome": "._login",
    "login_with_browser": "._login",
    "login_with_device": "._login",
    "prefers_device_flow": "._login",
    "store_sign_in": "._login",
    "build_end_session_url": "._logout",
    "http_revoker": "._logout",
    "LoopbackServer": "._loopback",
    "render_page": "._loopback",
    "ProviderMetadata": "._metadata",
    "discovery_url": "._metadata",
    "fetch_provider_metadata": "._metadata",
    "PASSPHRASE_ENV": "._passphrase",
    "PassphraseProtection": "._passphrase",
    "PlaintextProtection": "._protection",
    "select_protection": "._protection",
    "RelyingParty": "._relying_party",
    "CacheProtection": "._sealing",
    "RefreshedIdTokenValidator": "._session",
    "Refresher": "._session",
    "Revoker": "._session",
    "Session": "._session",
    "http_refresher": "._session",
    "entry_from_sign_in": "._sign_in",
    "refreshed_id_token_validator": "._sign_in",
    "Submission": "._submissions",
    "SubmissionPage": "._submissions",
    "list_submissions": "._submissions",
    "submissions_url": "._submissions",
    "submit": "._submissions",
    "TokenResponse": "._tokens",
    "authorization_code_grant": "._tokens",
    "device_code_grant": "._tokens",
    "refresh_token_grant": "._tokens",
    "request_token": "._tokens",
}


def __getattr__(name: str) -> typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'client' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_SCOPE",
    "DPOP_ALGORITHM",
    "ID_TOKEN_ALGORITHMS",
    "PASSPHRASE_ENV",
    "REFRESH_TOKEN_LIFETIME",
    "AccessTokenAuth",
    "AuthorizationDenied",
    "AuthorizationRequest",
    "AuthorizationResponseError",
    "Backoff",
    "BearerAuth",
    "CacheCorrupted",
    "CacheEntry",
    "CacheError",
    "CacheProtection",
    "CallbackTimeout",
    "ClientConfig",
    "Clock",
    "ConfigError",
    "DPoPAuth",
    "DPoPProofs",
    "DeviceAuthorization",
    "DeviceCodeExpired",
    "DevicePollSchedule",
    "DiscoveryError",
    "ExitCode",
    "IdTokenError",
    "Identity",
    "JWKSCache",
    "KeyringProtection",
    "KeyringUnavailable",
    "LoopbackServer",
    "OAuthError",
    "PassphraseProtection",
    "PlaintextProtection",
    "ProviderError",
    "ProviderMetadata",
    "ProviderUnreachable",
    "ReferencedAccount",
    "Referencing",
    "RefreshedIdTokenValidator",
    "Refresher",
    "RelyingParty",
    "Revoker",
    "SageIDError",
    "Session",
    "SignInExpired",
    "SignInOutcome",
    "SignInRequired",
    "SignInRevoked",
    "Submission",
    "SubmissionPage",
    "SubmissionRefused",
    "SystemClock",
    "TokenCache",
    "TokenResponse",
    "access_token_hash",
    "authorization_code_grant",
    "build_authorization_request",
    "build_end_session_url",
    "default_cache_directory",
    "default_config_path",
    "default_http_client",
    "device_code_grant",
    "discovery_url",
    "entry_from_sign_in",
    "exit_code_for",
    "fetch_provider_metadata",
    "fetch_userinfo",
    "http_refresher",
    "http_revoker",
    "installation_key",
    "jwks_fetcher",
    "list_submissions",
    "load_client_config",
    "login_with_browser",
    "login_with_device",
    "loopback_redirect_uri",
    "parse_authorization_response",
    "poll_device_token",
    "prefers_device_flow",
    "provider_supports_dpop",
    "push_authorization_request",
    "pushed_authorization_url",
    "refresh_token_grant",
    "refreshed_id_token_validator",
    "render_page",
    "request_token",
    "select_protection",
    "start_device_authorization",
    "store_sign_in",
    "submissions_url",
    "submit",
    "validate_id_token",
]
