"""The client's one exception hierarchy.

```
SageIDError
├── ProviderError               the provider answered something unusable
│   ├── ProviderUnreachable     network failure (after bounded retries)
│   └── DiscoveryError          provider metadata is invalid
├── OAuthError                  an RFC 6749 error response (`error`, `error_description`)
│   └── AuthorizationDenied     the user or provider refused (`access_denied`)
├── AuthorizationResponseError  the browser callback failed a check (`state`, `iss`, `code`)
├── IdTokenError                the ID token failed a check (`signature`, `aud`, `nonce` …)
├── DeviceCodeExpired           the device code ran out before the user approved
├── CallbackTimeout             the browser never came back to the loopback server
├── SignInRequired              nothing usable is cached: the user must sign in again
│   └── CacheCorrupted          the cache file was unreadable and was moved aside
├── CacheError                  the cache cannot be used as configured
│   └── KeyringUnavailable      no OS keyring and no explicit fallback chosen
├── ConfigError                 the client's settings (flags, environment, config file) are invalid
└── SubmissionRefused           the submissions API refused a request (RFC 9457 problem details)
```
"""

from __future__ import annotations

from pathlib import Path


class SageIDError(Exception):
    """Base class of every error this package raises on purpose."""


class ProviderError(SageIDError):
    """The provider's answer could not be used (bad status, not JSON, missing field)."""


class ProviderUnreachable(ProviderError):
    """The provider could not be reached.

    `request_sent` tells whether the request may have reached the provider: a refresh
    whose request was sent must not be blindly retried, because the provider may already
    have rotated the refresh token.
    """

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class DiscoveryError(ProviderError):
    """The provider metadata (OpenID Connect Discovery) is invalid."""


class OAuthError(SageIDError):
    """An error response defined by RFC 6749 §5.2 / §4.1.2.1 (or an extension of it)."""

    def __init__(self, error: str, description: str | None = None, uri: str | None = None) -> None:
        message = f"{error}: {description}" if description else error
        super().__init__(message)
        self.error = error
        self.description = description
        self.uri = uri


class AuthorizationDenied(OAuthError):
    """The user (or the provider on their behalf) refused the authorization."""


class AuthorizationResponseError(SageIDError):
    """The authorization response failed the named `check` (`state`, `iss`, `code`)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"authorization response failed the {check!r} check: {message}")
        self.check = check


class IdTokenError(SageIDError):
    """The ID token failed the named `check` (`signature`, `iss`, `aud`, `nonce` …)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"ID token failed the {check!r} check: {message}")
        self.check = check


class DeviceCodeExpired(SageIDError):
    """The device code expired before the user approved the sign-in (RFC 8628 §3.5)."""


class CallbackTimeout(SageIDError):
    """The browser did not come back to the loopback redirect URI in time."""


class SignInRequired(SageIDError):
    """No usable sign-in is cached for this account: the user must sign in again."""


class SignInExpired(SignInRequired):
    """The sign-in reached its end (the provider's refresh-token lifetime, 30 days at Sage ID)."""


class SignInRevoked(SignInRequired):
    """The provider ended the sign-in before its time (`invalid_grant`: revoked, signed out
    elsewhere, or a refresh token reused)."""


class CacheCorrupted(SignInRequired):
    """The cache file could not be read; it was moved to `moved_to`."""

    def __init__(self, moved_to: Path) -> None:
        super().__init__(
            f"the token cache could not be read and was moved to {moved_to}; please sign in again"
        )
        self.moved_to = moved_to


class CacheError(SageIDError):
    """The token cache cannot be used as configured (locked, unprotected, unwritable)."""


class KeyringUnavailable(CacheError):
    """No OS keyring answered and no explicit fallback was chosen."""


class ConfigError(SageIDError):
    """The client's settings are invalid; the message names the flag, variable or file."""


class SubmissionRefused(SageIDError):
    """The submissions API refused the request; the RFC 9457 problem details say why.

    `problem_type` names the refusal (`…/problems/not-referenced`, `…/permission-denied`,
    `…/file-too-large` …), `invalid_params` lists the fields at fault, if any.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        problem_type: str = "about:blank",
        invalid_params: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.status = status
        self.title = title
        self.detail = detail
        self.problem_type = problem_type
        self.invalid_params = invalid_params
