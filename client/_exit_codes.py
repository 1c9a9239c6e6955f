"""The `sageid` exit codes: one per kind of failure, so scripts can tell them apart.

Errors become codes (and a hint for the user) in this one table; the commands only raise.
`sageid-desktop` exits with the same codes (public as `client.ExitCode`, `exit_code_for`).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from ._exceptions import (
    AuthorizationDenied,
    AuthorizationResponseError,
    CacheError,
    CallbackTimeout,
    ConfigError,
    DeviceCodeExpired,
    IdTokenError,
    KeyringUnavailable,
    OAuthError,
    ProviderError,
    ProviderUnreachable,
    SageIDError,
    SignInRequired,
    SubmissionRefused,
)


class ExitCode(IntEnum):
    """What `sageid` returns; 1 and 2 keep their usual meaning (error, usage)."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    CONFIG = 3
    SIGN_IN_REQUIRED = 4
    UNREACHABLE = 5
    PROVIDER = 6
    DENIED = 7
    TIMED_OUT = 8
    NO_KEYRING = 9
    CACHE = 10
    REFUSED = 11
    INTERRUPTED = 130  # 128 + SIGINT, the shell convention.


# Most specific first: the first matching class decides.
_TABLE: Final[tuple[tuple[type[SageIDError], ExitCode, str], ...]] = (
    (
        ConfigError,
        ExitCode.CONFIG,
        "Check the flags, SAGEID_ISSUER / SAGEID_CLIENT_ID and {config}.",
    ),
    (SignInRequired, ExitCode.SIGN_IN_REQUIRED, "Run `sageid login` to sign in."),
    (ProviderUnreachable, ExitCode.UNREACHABLE, "Is the provider running at {issuer}?"),
    (AuthorizationDenied, ExitCode.DENIED, "The sign-in was refused; `sageid login` to retry."),
    (DeviceCodeExpired, ExitCode.TIMED_OUT, "Run `sageid login --device` for a new code."),
    (CallbackTimeout, ExitCode.TIMED_OUT, "Run `sageid login` again, or use --device."),
    (KeyringUnavailable, ExitCode.NO_KEYRING, ""),  # The message already names the fallbacks.
    (CacheError, ExitCode.CACHE, ""),
    (SubmissionRefused, ExitCode.REFUSED, ""),  # The message says why.
    (
        ProviderError,
        ExitCode.PROVIDER,
        "Is {issuer} a Sage ID provider, and {client_id} its client?",
    ),
    (OAuthError, ExitCode.PROVIDER, "Is {client_id} registered at {issuer} for this flow?"),
    (AuthorizationResponseError, ExitCode.PROVIDER, "The sign-in answer was refused for safety."),
    (IdTokenError, ExitCode.PROVIDER, "The sign-in answer was refused for safety."),
)


def exit_code_for(error: BaseException) -> ExitCode:
    """Return the exit code for `error` (`FAILURE` for anything not in the table)."""
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    for kind, code, _ in _TABLE:
        if isinstance(error, kind):
            return code
    return ExitCode.FAILURE


def hint_for(error: BaseException) -> str:
    """Return the hint template for `error` ('' if none); fields: issuer, client_id, config."""
    for kind, _, hint in _TABLE:
        if isinstance(error, kind):
            return hint
    return ""


EXIT_CODES_HELP: Final = "\n".join(
    [
        "\b",
        "Exit codes:",
        "  0  success",
        "  1  unexpected error",
        "  2  usage error (unknown option, bad argument)",
        "  3  bad configuration (flags, environment, config file)",
        "  4  not signed in, or the sign-in is over: run `sageid login`",
        "  5  provider unreachable",
        "  6  provider error (bad answer, refused request, failed security check)",
        "  7  sign-in denied",
        "  8  sign-in timed out (device code expired, browser never came back)",
        "  9  no OS keyring and no fallback chosen",
        "     (set SAGEID_CACHE_PASSPHRASE, or pass --insecure-storage)",
        " 10  token cache unusable (locked, wrong passphrase, unwritable)",
        " 11  submission refused (not referenced, permission, file type or size)",
        "130  interrupted",
    ]
)
