"""The policy for clients registered by third parties (RFC 7591, issue 16): never first-party
(consent is always asked), redirect URIs https or loopback http only, ordinary scopes only
unless the initial access token grants more, `client_credentials` only with `private_key_jwt`.
Plain functions over the metadata: no web framework, no store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from idp.domain.client_authentication import (
    CLIENT_AUTH_METHODS,
    CLIENT_SECRET_BASIC,
    PRIVATE_KEY_JWT,
)
from shared.scopes import ALL_SCOPES, EDI

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
RESTRICTED_SCOPES = frozenset({EDI})  # only with an initial access token that allows them
DEFAULT_SCOPE = "openid profile email"
PROFILES = ("fapi2",)  # idp.oauth.profiles
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class RegistrationRefused(ValueError):
    """An RFC 7591 §3.2.2 error: `invalid_redirect_uri` or `invalid_client_metadata`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class RegisteredMetadata:
    name: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scope: str
    auth_method: str
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    profile: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        """RFC 7591 §3.2.1: the metadata as registered."""
        body: dict[str, Any] = {
            "client_name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "grant_types": list(self.grant_types),
            "response_types": ["code"] if "authorization_code" in self.grant_types else [],
            "scope": self.scope,
            "token_endpoint_auth_method": self.auth_method,
        }
        if self.jwks is not None:
            body["jwks"] = self.jwks
        if self.jwks_uri is not None:
            body["jwks_uri"] = self.jwks_uri
        if self.profile is not None:
            body["profile"] = self.profile
            body["require_pushed_authorization_requests"] = True
        return body


def _metadata_error(description: str) -> RegistrationRefused:
    return RegistrationRefused("invalid_client_metadata", description)


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _metadata_error(f"'{name}' must be a list of strings.")
    return tuple(value)


def _check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri or not parts.hostname:
        raise RegistrationRefused("invalid_redirect_uri", f"Not a redirect URI: {uri}")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return
    raise RegistrationRefused(
        "invalid_redirect_uri", f"Redirect URIs must be https, or http on loopback: {uri}"
    )


def registered_metadata(data: Mapping[str, Any], allowed_scope: str) -> RegisteredMetadata:
    """The metadata to register, or `RegistrationRefused`; `allowed_scope` is what the initial
    access token allows beyond the ordinary scopes."""
    grant_types = _strings(data.get("grant_types", ["authorization_code"]), "grant_types")
    unknown = [g for g in grant_types if g not in GRANT_TYPES]
    if unknown or not grant_types:
        raise _metadata_error(f"Grant types allowed: {', '.join(GRANT_TYPES)}.")
    response_types = _strings(data.get("response_types", ["code"]), "response_types")
    if set(response_types) - {"code"}:
        raise _metadata_error("Only the 'code' response type is supported.")
    redirect_uris = _strings(data.get("redirect_uris", []), "redirect_uris")
    if "authorization_code" in grant_types and not redirect_uris:
        raise RegistrationRefused("invalid_redirect_uri", "'redirect_uris' is required.")
    for uri in redirect_uris:
        _check_redirect_uri(uri)
    auth_method = data.get("token_endpoint_auth_method", CLIENT_SECRET_BASIC)
    if auth_method not in CLIENT_AUTH_METHODS:
        raise _metadata_error(f"Authentication methods allowed: {', '.join(CLIENT_AUTH_METHODS)}.")
    if "client_credentials" in grant_types and auth_method != PRIVATE_KEY_JWT:
        raise _metadata_error("'client_credentials' needs 'private_key_jwt'.")
    jwks, jwks_uri = data.get("jwks"), data.get("jwks_uri")
    if auth_method == PRIVATE_KEY_JWT:
        if (jwks is None) == (jwks_uri is None):
            raise _metadata_error("'private_key_jwt' needs 'jwks' or 'jwks_uri' (one of them).")
        if jwks_uri is not None and (
            not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme != "https"
        ):
            raise _metadata_error("'jwks_uri' must be an https URL.")
    elif jwks is not None or jwks_uri is not None:
        raise _metadata_error("Keys are registered only with 'private_key_jwt'.")
    scope = data.get("scope", DEFAULT_SCOPE)
    if not isinstance(scope, str):
        raise _metadata_error("'scope' must be a string.")
    scopes = scope.split()
    allowed = (set(ALL_SCOPES) - RESTRICTED_SCOPES) | set(allowed_scope.split())
    if refused := [s for s in scopes if s not in allowed]:
        raise _metadata_error(f"Scope not allowed for this registration: {refused[0]}.")
    profile = data.get("profile")
    if profile is not None and profile not in PROFILES:
        raise _metadata_error(f"Profiles: {', '.join(PROFILES)}.")
    if profile == "fapi2" and auth_method != PRIVATE_KEY_JWT:
        raise _metadata_error("The 'fapi2' profile needs 'private_key_jwt'.")
    name = data.get("client_name", "")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise _metadata_error("'client_name' is required (at most 200 characters).")
    return RegisteredMetadata(
        name=name.strip(),
        redirect_uris=redirect_uris,
        grant_types=grant_types,
        scope=" ".join(scopes),
        auth_method=auth_method,
        jwks=jwks if isinstance(jwks, dict) else None,
        jwks_uri=jwks_uri if isinstance(jwks_uri, str) else None,
        profile=profile,
    )
