"""Token endpoint: request bodies (RFC 6749 §4.1.3, §6; RFC 8628 §3.4) and the response
model (RFC 6749 §5.1), with RFC 6749 §5.2 errors raised as `OAuthError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.scopes import DEVICE_CODE_GRANT

from ._exceptions import OAuthError, ProviderError

if TYPE_CHECKING:
    import httpx


def authorization_code_grant(
    code: str, *, redirect_uri: str, code_verifier: str, client_id: str
) -> dict[str, str]:
    """Return the token request body redeeming an authorization code with its PKCE verifier."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        "client_id": client_id,
    }


def refresh_token_grant(
    refresh_token: str, *, client_id: str, scope: str | None = None, audience: str | None = None
) -> dict[str, str]:
    """Return the token request body spending `refresh_token` (RFC 6749 §6).

    `scope` narrows the access token to fewer scopes than granted (RFC 6749 §6); `audience`
    asks for an access token for one resource server (RFC 8707 `resource`).
    """
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if scope is not None:
        body["scope"] = scope
    if audience is not None:
        body["resource"] = audience
    return body


def device_code_grant(device_code: str, *, client_id: str) -> dict[str, str]:
    """Return the token request body polling for a device code (RFC 8628 §3.4)."""
    return {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code, "client_id": client_id}


def raise_for_oauth_error(status_code: int, data: Mapping[str, Any]) -> None:
    """Raise `OAuthError` if `data` is an RFC 6749 §5.2 error, `ProviderError` on other failures."""
    error = data.get("error")
    if isinstance(error, str):
        description = data.get("error_description")
        uri = data.get("error_uri")
        raise OAuthError(
            error,
            description if isinstance(description, str) else None,
            uri if isinstance(uri, str) else None,
        )
    if not 200 <= status_code < 300:
        raise ProviderError(f"the provider answered {status_code} without an OAuth error")


def _optional_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ProviderError(f"token response field {name!r} is not a non-empty string")
    return value


def _optional_deadline(data: Mapping[str, Any], name: str, now: float) -> float | None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None  # Informative only: a malformed value is ignored, not fatal.
    return now + float(value)


@dataclass(frozen=True)
class TokenResponse:
    """A successful token response; `expires_at` is absolute (send time + `expires_in`)."""

    # Secrets stay out of repr(), hence out of logs and tracebacks.
    access_token: str = field(repr=False)
    token_type: str  # "Bearer" or "DPoP" (RFC 9449 §5), whatever case the provider used
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    # Some providers say when the refresh token ends (`refresh_token_expires_in`: Azure AD,
    # GitHub); absolute here, like `expires_at`. `None`: not said.
    refresh_token_expires_at: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, now: float) -> TokenResponse:
        """Parse a successful token response; `now` is when the request was sent.

        Counting `expires_in` from the send time errs on the early side.
        """
        access_token = _optional_str(data, "access_token")
        token_type = _optional_str(data, "token_type")
        if access_token is None or token_type is None:
            raise ProviderError("token response lacks access_token or token_type")
        # RFC 9449 §5: a DPoP-bound token is `DPoP`; either name is case-insensitive.
        kind = {"bearer": "Bearer", "dpop": "DPoP"}.get(token_type.lower())
        if kind is None:
            raise ProviderError(f"unsupported token_type {token_type!r}")
        expires_in = data.get("expires_in")
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int | float)
            or expires_in <= 0
        ):
            raise ProviderError("token response lacks a positive expires_in")
        return cls(
            access_token=access_token,
            token_type=kind,
            expires_at=now + float(expires_in),
            refresh_token=_optional_str(data, "refresh_token"),
            id_token=_optional_str(data, "id_token"),
            scope=_optional_str(data, "scope"),
            refresh_token_expires_at=_optional_deadline(data, "refresh_token_expires_in", now),
        )


def request_token(
    http: httpx.Client,
    token_endpoint: str,
    body: Mapping[str, str],
    *,
    now: float,
    auth: httpx.Auth | None = None,
) -> TokenResponse:
    """POST `body` to the token endpoint; `now` is the send time (see `TokenResponse.from_json`).

    `auth` is a `DPoPAuth` to have the tokens bound to this installation's key (RFC 9449).
    """
    from ._http import post_form  # Deferred: a warm `sageid token` never loads httpx.

    status_code, data = post_form(http, token_endpoint, body, auth=auth)
    raise_for_oauth_error(status_code, data)
    return TokenResponse.from_json(data, now=now)
