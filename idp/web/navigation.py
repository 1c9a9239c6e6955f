"""Where a page may send the browser next: only back into this provider."""

from __future__ import annotations

from urllib.parse import urlsplit

ALLOWED_NEXT = ("/authorize", "/device", "/portal", "/account", "/reference")


def safe_next(target: str | None, default: str = "/account") -> str:
    """A relative path on this provider, or `default`. Never another host: `//evil`,
    `/\\evil` and absolute URLs are refused (open-redirect defence)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(ALLOWED_NEXT):
        return default
    return target
