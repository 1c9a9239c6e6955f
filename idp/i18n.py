"""French-first translations (Babel catalogs) and locale negotiation.

Catalogs are `.po` files under `idp/locales/<lang>/LC_MESSAGES/<domain>.po`, compiled in memory
once at start-up, so a checkout needs no build step. Message ids are English; French is the
default language of every page and mail (the seed is a French help page).
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED_LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
DOMAINS = ("messages", "mail")
LOCALE_DIR = Path(__file__).parent / "locales"

# French typography (Lexique des règles typographiques de l'Imprimerie nationale): a thin
# no-break space before « ; ! ? », a no-break space before « : » and inside « », so that no
# line of a French page or mail starts with one of them.
NO_BREAK_SPACE = "\u00a0"
NARROW_NO_BREAK_SPACE = "\u202f"
_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]+:")
_BEFORE_HIGH_PUNCTUATION = re.compile(r"[ \u00a0\u202f]+([;!?])")
_AFTER_OPENING_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_BEFORE_CLOSING_QUOTE = re.compile(r"[ \u00a0\u202f]*»")


def french_spacing(text: str) -> str:
    """The spaces French typography wants, made unbreakable. The space before « : ; ! ? »
    must already be written (a colon without one may be a URL or a time); guillemets get
    theirs whether written or not."""
    text = _BEFORE_COLON.sub(NO_BREAK_SPACE + ":", text)
    text = _BEFORE_HIGH_PUNCTUATION.sub(NARROW_NO_BREAK_SPACE + r"\1", text)
    text = _AFTER_OPENING_QUOTE.sub("«" + NO_BREAK_SPACE, text)
    return _BEFORE_CLOSING_QUOTE.sub(NO_BREAK_SPACE + "»", text)


# The rule each locale's translations go through when its catalogs are loaded: one place for
# every page and mail.
TYPOGRAPHY = {"fr": french_spacing}


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
        if rule := TYPOGRAPHY.get(locale):
            for message in catalog:
                if isinstance(message.string, str):
                    message.string = rule(message.string)
                elif message.string:
                    message.string = tuple(rule(form) for form in message.string)
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
