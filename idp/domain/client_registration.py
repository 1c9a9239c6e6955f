"""What a client registration must satisfy (RFC 6749 §3.1.2, RFC 8252, RFC 9700)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

REDIRECT_GRANTS = ("authorization_code",)


class RegistrationError(ValueError):
    pass


def check_redirect_uri(uri: str) -> None:
    try:
        parts = urlsplit(uri)
    except ValueError as error:
        raise RegistrationError(f"not a URL: {uri}") from error
    if parts.fragment or "#" in uri:
        raise RegistrationError(f"a redirect URI has no fragment (RFC 6749 §3.1.2): {uri}")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost"):
        return
    if parts.scheme and "." in parts.scheme and not parts.netloc:
        return  # private-use scheme of a native app, e.g. com.example.app:/callback (RFC 8252)
    raise RegistrationError(
        f"redirect URIs must be https, loopback http or a private-use scheme: {uri}"
    )


def check_registration(
    *,
    public: bool,
    redirect_uris: Sequence[str],
    logout_uris: Sequence[str],
    grant_types: Sequence[str],
    scope: str,
    known_scopes: Iterable[str],
) -> None:
    unknown = set(scope.split()) - set(known_scopes)
    if unknown:
        raise RegistrationError(f"unknown scope: {' '.join(sorted(unknown))}")
    if public and "client_credentials" in grant_types:
        raise RegistrationError("a public client cannot use client_credentials")
    if any(g in REDIRECT_GRANTS for g in grant_types) and not redirect_uris:
        raise RegistrationError("authorization_code needs at least one --redirect-uri")
    for uri in [*redirect_uris, *logout_uris]:
        check_redirect_uri(uri)


def check_web_origin(origin: str) -> None:
    """A CORS origin (RFC 6454): scheme, host and port only; https, or http on loopback."""
    parts = urlsplit(origin)
    if parts.path or parts.query or parts.fragment or not parts.hostname:
        raise RegistrationError(f"a web origin is scheme://host[:port], nothing more: {origin}")
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise RegistrationError(f"web origins must be https (or loopback http): {origin}")


def check_backchannel_logout_uri(uri: str) -> None:
    """Back-Channel Logout §2.2: an absolute URI, no fragment; https, or http on loopback."""
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.fragment or "#" in uri or not parts.hostname:
        raise RegistrationError(f"not a usable back-channel logout URI: {uri}")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise RegistrationError(f"a back-channel logout URI must be https: {uri}")
