"""Jinja2 pages in the user's language: one environment per locale, built once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from idp.i18n import SUPPORTED_LOCALES, TYPOGRAPHY, negotiate_locale, translations
from idp.web.csrf import Csrf
from idp.web.profile_names import profile_name

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"

# Pages must not be framed (clickjacking) nor cached (they carry CSRF tokens and personal data).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # form-action must allow the redirect to a client after a form post (consent).
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self' http: https:"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    # Built-in profiles in the page's language (issue 18): `{{ profile.name|profile_name }}`.
    gettext = translations(locale).ugettext
    env.filters["profile_name"] = lambda stored: profile_name(stored, gettext)
    env.globals["punctuation"] = functools.partial(_punctuation, TYPOGRAPHY.get(locale))
    return env


def _punctuation(rule: Callable[[str], str] | None, mark: str) -> str:
    """A mark written in a template, beside data rather than in a catalog sentence
    (`{{ name }}{{ punctuation(":") }}`), spaced as the catalog's are."""
    return rule(" " + mark) if rule else mark


def request_locale(request: Request, ui_locales: str | None = None) -> str:
    """`ui_locales` of the page, or of the authorization request it continues, then the
    browser's `Accept-Language`; French by default."""
    if ui_locales is None:
        ui_locales = request.query_params.get("ui_locales")
        if ui_locales is None and (following := request.query_params.get("next")):
            ui_locales = parse_qs(urlsplit(following).query).get("ui_locales", [None])[0]
    return negotiate_locale(ui_locales, request.headers.get("accept-language"))


class Templates:
    def __init__(self, csrf: Csrf, issuer: str) -> None:
        self.csrf = csrf
        self.issuer = issuer
        self._environments = {locale: _environment(locale) for locale in SUPPORTED_LOCALES}

    def gettext(self, locale: str, message: str) -> str:
        return translations(locale).ugettext(message)

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        status: int = 200,
        locale: str | None = None,
    ) -> HTMLResponse:
        locale = locale or request_locale(request)
        values = {
            "locale": locale,
            "csrf_token": self.csrf.token(request),
            "issuer": self.issuer,
            **(context or {}),
        }
        html = self._environments[locale].get_template(name).render(values)
        response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
        self.csrf.set_cookie(request, response)
        return response
