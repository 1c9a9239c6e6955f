"""The CLI's French catalog covers every message the CLI marks for translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from client._exit_codes import _TABLE
from client._i18n import _, catalog, messages_language, set_language

CLIENT = Path(__file__).parents[2] / "client"
MARKED = re.compile(r'_\(\s*"((?:[^"\\]|\\.)*)"\s*\)')


def _marked_messages() -> set[str]:
    found: set[str] = set()
    for path in CLIENT.glob("*.py"):
        for literal in MARKED.findall(path.read_text(encoding="utf-8")):
            found.add(literal.encode().decode("unicode_escape").encode("latin-1").decode())
    return found


def test_every_marked_message_has_a_french_translation() -> None:
    french = catalog("fr")
    marked = _marked_messages() | {hint for _kind, _code, hint in _TABLE if hint}
    assert len(marked) > 40
    assert sorted(marked - set(french)) == []


def test_french_keeps_the_placeholders() -> None:
    for message, translated in catalog("fr").items():
        assert set(re.findall(r"{[^}]+}", message)) == set(re.findall(r"{[^}]+}", translated))


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LC_ALL": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
        ({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_from_the_locale(environ: dict[str, str], language: str) -> None:
    assert messages_language(environ) == language


def test_english_is_the_message_itself() -> None:
    set_language("fr")
    try:
        assert _("Interrupted.") == "Interrompu."
    finally:
        set_language("en")
    assert _("Interrupted.") == "Interrupted."
