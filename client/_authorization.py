"""The browser flow's pure steps: authorization request (RFC 6749 §4.1.1, RFC 7636,
RFC 8252) and the checks on the authorization response (RFC 6749 §4.1.2, RFC 9207).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from shared import scopes

from ._exceptions import AuthorizationDenied, AuthorizationResponseError, OAuthError
from ._hashes import s256_code_challenge
from ._metadata import ProviderMetadata

DEFAULT_SCOPE: Final = " ".join(scopes.ALL_SCOPES)
CALLBACK_PATH: Final = "/callback"


def loopback_redirect_uri(port: int) -> str:
    """Return the loopback redirect URI for `port` (RFC 8252 §7.3: IP literal, not localhost)."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def _random_token() -> str:
    # 256 bits from the OS CSPRNG; 43 URL-safe characters, also a valid PKCE verifier length.
    return secrets.token_urlsafe(32)


def _space_joined(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return " ".join(value)


def _with_params(endpoint: str, params: Sequence[tuple[str, str | None]]) -> str:
    # RFC 6749 §3.1: the endpoint's own query is kept; parameters without a value are omitted.
    parts = urlsplit(endpoint)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorization request and the secrets needed to check and redeem its answer."""

    url: str
    issuer: str
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_verifier: str
    iss_parameter_required: bool = False
    # The query parameters in `url`: what a pushed request (RFC 9126) sends instead.
    parameters: tuple[tuple[str, str], ...] = ()


def build_authorization_request(
    metadata: ProviderMetadata,
    client_id: str,
    redirect_uri: str,
    *,
    scope: str | Sequence[str] = DEFAULT_SCOPE,
    login_hint: str | None = None,
    prompt: str | Sequence[str] | None = None,
    ui_locales: str | Sequence[str] | None = None,
    max_age: int | None = None,
    token_factory: Callable[[], str] = _random_token,
) -> AuthorizationRequest:
    """Build the authorization URL with fresh `state`, `nonce` and PKCE S256 verifier.

    `prompt="create"` asks the provider to open on account creation (OIDC Prompt Create);
    `login_hint` pre-fills the email; `ui_locales` is space-joined (e.g. `["fr", "en"]`).
    `token_factory` exists for tests; it defaults to 256 bits from `secrets`.
    """
    state, nonce, code_verifier = token_factory(), token_factory(), token_factory()
    parameters: list[tuple[str, str | None]] = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", _space_joined(scope)),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", s256_code_challenge(code_verifier)),
        ("code_challenge_method", "S256"),
        ("login_hint", login_hint),
        ("prompt", _space_joined(prompt)),
        ("ui_locales", _space_joined(ui_locales)),
        ("max_age", None if max_age is None else str(max_age)),
    ]
    return AuthorizationRequest(
        url=_with_params(metadata.authorization_endpoint, parameters),
        issuer=metadata.issuer,
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
        iss_parameter_required=metadata.authorization_response_iss_parameter_supported,
        parameters=tuple((name, value) for name, value in parameters if value is not None),
    )


def pushed_authorization_url(metadata: ProviderMetadata, client_id: str, request_uri: str) -> str:
    """The URL the browser opens for a pushed request: `client_id` and `request_uri` only
    (RFC 9126 §4)."""
    return _with_params(
        metadata.authorization_endpoint, [("client_id", client_id), ("request_uri", request_uri)]
    )


def _single_values(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        if len(values) != 1:
            # RFC 6749 §3.1: parameters must not be repeated.
            raise AuthorizationResponseError(name, "parameter repeated")
        params[name] = values[0]
    return params


def parse_authorization_response(request: AuthorizationRequest, callback_url: str) -> str:
    """Check the redirect the browser brought back and return the authorization code.

    Checks run in this order: `iss` (RFC 9207 §2.4, before anything else is trusted),
    `state` (RFC 6749 §10.12), then an `error` becomes `AuthorizationDenied`/`OAuthError`,
    then the `code` must be present.
    """
    params = _single_values(urlsplit(callback_url).query)
    iss = params.get("iss")
    if iss is None and request.iss_parameter_required:
        raise AuthorizationResponseError("iss", "the provider promised an iss parameter")
    if iss is not None and iss != request.issuer:
        raise AuthorizationResponseError("iss", f"{iss!r} is not {request.issuer!r}")
    if not secrets.compare_digest(params.get("state", "").encode(), request.state.encode()):
        raise AuthorizationResponseError("state", "does not match the request")
    if "error" in params:
        error_class = AuthorizationDenied if params["error"] == "access_denied" else OAuthError
        raise error_class(params["error"], params.get("error_description"), params.get("error_uri"))
    code = params.get("code")
    if not code:
        raise AuthorizationResponseError("code", "no authorization code")
    return code
