"""The CLI's words in French under a French locale, English otherwise (Babel catalogs, as on
the provider: `client/locales/fr/LC_MESSAGES/messages.po`, read once when first needed).

Message ids are the English text; `_` returns it unchanged in English, so an English run
never loads Babel.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Final

LOCALE_DIR: Final = Path(__file__).parent / "locales"
_LOCALE_VARIABLES: Final = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
_state = {"language": "en"}


def messages_language(environ: Mapping[str, str]) -> str:
    """`fr` when the POSIX locale is French (`LANG=fr_FR.UTF-8`), `en` otherwise."""
    for name in _LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def set_language(language: str) -> None:
    """Choose the language of `_` for this process (the CLI sets it at each invocation)."""
    _state["language"] = language


def current_language() -> str:
    """The language `_` translates to."""
    return _state["language"]


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """The translated messages of `language` ({} for English, the ids' own language)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    from babel.messages.pofile import read_po  # Only a French run pays for Babel.

    with path.open("rb") as file:
        messages = read_po(file, locale=language)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string}


def _(message: str) -> str:
    """Return `message` in the current language (unchanged when it has no translation)."""
    language = _state["language"]
    if language == "en":
        return message
    return catalog(language).get(message, message)
