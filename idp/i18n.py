"""French-first translations (Babel catalogs) and locale negotiation.

Catalogs are `.po` files under `idp/locales/<lang>/LC_MESSAGES/<domain>.po`, compiled in memory
once at start-up, so a checkout needs no build step. Message ids are English; French is the
default language of every page and mail (the seed is a French help page).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED_LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
DOMAINS = ("messages", "mail")
LOCALE_DIR = Path(__file__).parent / "locales"


@functools.cache
def translations(locale: str) -> Translations:
    """All domains of one locale, merged; English falls through to the message ids."""
    merged = Translations()
    for domain in DOMAINS:
        path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=locale, domain=domain)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        merged.merge(Translations(buffer, domain=domain))
    return merged


def gettext(locale: str, message: str) -> str:
    return translations(locale).ugettext(message)


def _language(tag: str) -> str:
    return tag.strip().split(";")[0].split("-")[0].split("_")[0].lower()


def negotiate_locale(ui_locales: str | None, accept_language: str | None) -> str:
    """`ui_locales` (OIDC Core §3.1.2.1, space-separated, in preference order) wins over
    `Accept-Language` (RFC 9110 §12.5.4, q-values); French when nothing matches."""
    for tag in (ui_locales or "").split():
        if _language(tag) in SUPPORTED_LOCALES:
            return _language(tag)
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        parts = item.strip().split(";")
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = _language(parts[0])
        if language in SUPPORTED_LOCALES and quality > 0:
            weighted.append((-quality, position, language))
    if weighted:
        return min(weighted)[2]
    return DEFAULT_LOCALE


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is rendered."""
    return message
