"""Sage ID relying-party client: sign a desktop user in, keep them signed in for 30 days,
hand out fresh access tokens.

The protocol steps are pure functions and models; I/O goes through an injected
`httpx.Client` (swap in `httpx.MockTransport` in tests) at a few thin edges.
"""

from ._auth import BearerAuth
from ._authorization import (
    CALLBACK_PATH,
    DEFAULT_SCOPE,
    AuthorizationRequest,
    build_authorization_request,
    loopback_redirect_uri,
    parse_authorization_response,
)
from ._cache import TokenCache, default_cache_directory
from ._clock import Clock, SystemClock
from ._device import (
    DeviceAuthorization,
    DevicePollSchedule,
    poll_device_token,
    start_device_authorization,
)
from ._entry import REFRESH_TOKEN_LIFETIME, CacheEntry
from ._exceptions import (
    AuthorizationDenied,
    AuthorizationResponseError,
    CacheCorrupted,
    CacheError,
    CallbackTimeout,
    DeviceCodeExpired,
    DiscoveryError,
    IdTokenError,
    KeyringUnavailable,
    OAuthError,
    ProviderError,
    ProviderUnreachable,
    SageIDError,
    SignInRequired,
)
from ._http import Backoff, default_http_client
from ._id_token import ID_TOKEN_ALGORITHMS, validate_id_token
from ._jwks import JWKSCache, jwks_fetcher
from ._keyring import KeyringProtection
from ._logout import build_end_session_url, http_revoker
from ._loopback import LoopbackServer, render_page
from ._metadata import ProviderMetadata, discovery_url, fetch_provider_metadata
from ._passphrase import PASSPHRASE_ENV, PassphraseProtection
from ._protection import PlaintextProtection, select_protection
from ._sealing import CacheProtection
from ._session import RefreshedIdTokenValidator, Refresher, Revoker, Session, http_refresher
from ._sign_in import entry_from_sign_in, refreshed_id_token_validator
from ._tokens import (
    TokenResponse,
    authorization_code_grant,
    device_code_grant,
    refresh_token_grant,
    request_token,
)

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_SCOPE",
    "ID_TOKEN_ALGORITHMS",
    "PASSPHRASE_ENV",
    "REFRESH_TOKEN_LIFETIME",
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
    "Clock",
    "DeviceAuthorization",
    "DeviceCodeExpired",
    "DevicePollSchedule",
    "DiscoveryError",
    "IdTokenError",
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
    "RefreshedIdTokenValidator",
    "Refresher",
    "Revoker",
    "SageIDError",
    "Session",
    "SignInRequired",
    "SystemClock",
    "TokenCache",
    "TokenResponse",
    "authorization_code_grant",
    "build_authorization_request",
    "build_end_session_url",
    "default_cache_directory",
    "default_http_client",
    "device_code_grant",
    "discovery_url",
    "entry_from_sign_in",
    "fetch_provider_metadata",
    "http_refresher",
    "http_revoker",
    "jwks_fetcher",
    "loopback_redirect_uri",
    "parse_authorization_response",
    "poll_device_token",
    "refresh_token_grant",
    "refreshed_id_token_validator",
    "render_page",
    "request_token",
    "select_protection",
    "start_device_authorization",
    "validate_id_token",
]
