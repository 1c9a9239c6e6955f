"""Provider metadata: OpenID Connect Discovery 1.0 / RFC 8414, parsed and checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ._exceptions import DiscoveryError
from ._http import get_json

DISCOVERY_PATH = "/.well-known/openid-configuration"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def discovery_url(issuer: str) -> str:
    """Return the discovery document URL of `issuer` (OIDC Discovery §4)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


def _check_endpoint_url(name: str, url: str) -> str:
    # Tokens travel to these URLs: plain http only on the loopback interface (RFC 8252 §8.3).
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return url
    raise DiscoveryError(f"{name} must be an https URL (or http on loopback), got {url!r}")


def _required(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise DiscoveryError(f"provider metadata lacks {name!r}")
    return _check_endpoint_url(name, value)


def _optional(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiscoveryError(f"provider metadata {name!r} is not a string")
    return _check_endpoint_url(name, value)


def _strings(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DiscoveryError(f"provider metadata {name!r} is not a list of strings")
    return tuple(value)


def _positive_int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None  # Informative: an odd value means "unknown", not a broken provider.
    return value


@dataclass(frozen=True)
class ProviderMetadata:
    """What the client needs from the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    device_authorization_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    revocation_endpoint: str | None = None
    end_session_endpoint: str | None = None
    pushed_authorization_request_endpoint: str | None = None  # RFC 9126 §5
    scopes_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    code_challenge_methods_supported: tuple[str, ...] = ()
    id_token_signing_alg_values_supported: tuple[str, ...] = ()
    dpop_signing_alg_values_supported: tuple[str, ...] = ()  # RFC 9449 §5.1
    authorization_response_iss_parameter_supported: bool = False
    # Not a registered metadata name: Sage ID publishes how long a sign-in lasts (seconds
    # from the sign-in, never extended). Absent elsewhere: the end of a sign-in is unknown.
    refresh_token_lifetime: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, expected_issuer: str) -> ProviderMetadata:
        """Parse a discovery document, which must name exactly `expected_issuer`.

        OIDC Discovery §4.3: the `issuer` in the document must be identical to the issuer
        the client asked for, or a provider could impersonate another.
        """
        issuer = data.get("issuer")
        if issuer != expected_issuer:
            raise DiscoveryError(
                f"provider metadata names issuer {issuer!r}, not {expected_issuer!r}"
            )
        iss_supported = data.get("authorization_response_iss_parameter_supported", False)
        if not isinstance(iss_supported, bool):
            raise DiscoveryError("authorization_response_iss_parameter_supported is not a boolean")
        return cls(
            issuer=_check_endpoint_url("issuer", expected_issuer),
            authorization_endpoint=_required(data, "authorization_endpoint"),
            token_endpoint=_required(data, "token_endpoint"),
            jwks_uri=_required(data, "jwks_uri"),
            device_authorization_endpoint=_optional(data, "device_authorization_endpoint"),
            userinfo_endpoint=_optional(data, "userinfo_endpoint"),
            revocation_endpoint=_optional(data, "revocation_endpoint"),
            end_session_endpoint=_optional(data, "end_session_endpoint"),
            pushed_authorization_request_endpoint=_optional(
                data, "pushed_authorization_request_endpoint"
            ),
            scopes_supported=_strings(data, "scopes_supported"),
            grant_types_supported=_strings(data, "grant_types_supported"),
            code_challenge_methods_supported=_strings(data, "code_challenge_methods_supported"),
            id_token_signing_alg_values_supported=_strings(
                data, "id_token_signing_alg_values_supported"
            ),
            dpop_signing_alg_values_supported=_strings(data, "dpop_signing_alg_values_supported"),
            authorization_response_iss_parameter_supported=iss_supported,
            refresh_token_lifetime=_positive_int(data, "refresh_token_lifetime"),
        )


def fetch_provider_metadata(http: httpx.Client, issuer: str) -> ProviderMetadata:
    """Fetch and parse the discovery document of `issuer` through `http`."""
    return ProviderMetadata.from_json(get_json(http, discovery_url(issuer)), expected_issuer=issuer)
