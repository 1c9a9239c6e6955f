"""Where a page may send the browser next: only back into this provider; and the way to the
sign-in page that comes back to it."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.responses import RedirectResponse, Response

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


def sign_in_redirect(
    following: str,
    *,
    login_hint: str | None = None,
    ui_locales: str | None = None,
    page: str = "/signin",
) -> Response:
    """Sign in first (or create an account first: `page="/signup"`), then on to `following`
    (a path `safe_next` allows)."""
    query = {"next": following}
    if login_hint:
        query["login_hint"] = login_hint
    if ui_locales:
        query["ui_locales"] = ui_locales
    return RedirectResponse(f"{page}?" + urlencode(query), status_code=303)
