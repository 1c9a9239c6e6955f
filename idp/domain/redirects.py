"""Redirect URI matching: exact, except loopback redirects of native apps (RFC 8252 §7.3)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")


def _without_port(uri: str) -> str | None:
    """The loopback URI with its port removed, or None when `uri` is not a loopback http URI."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.fragment:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if "@" in parts.netloc or hostname not in LOOPBACK_HOSTS:
        return None
    return urlunsplit(("http", hostname, parts.path, parts.query, ""))


def redirect_uri_matches(registered: Iterable[str], requested: str) -> bool:
    """Exact string comparison (RFC 9700 §4.1.3), except that a registered loopback redirect
    `http://127.0.0.1/...` or `http://[::1]/...` matches the same URI on any port, since native
    apps get an ephemeral port from the OS (RFC 8252 §7.3). `localhost` is not special: RFC 8252
    §8.3 recommends the IP literal."""
    registered = list(registered)
    if requested in registered:
        return True
    portless = _without_port(requested)
    if portless is None:
        return False
    return any(_without_port(uri) == portless for uri in registered)
