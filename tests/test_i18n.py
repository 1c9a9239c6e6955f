"""Every page and mail text has its French translation (scripts/i18n.sh extracts them; French
is the default language of every page, the seed being a French help page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from idp.i18n import DOMAINS, LOCALE_DIR

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _entries() -> list[tuple[str, str, str]]:
    entries = []
    for domain in DOMAINS:
        with (LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
            catalog = read_po(f, locale="fr", domain=domain)
        entries += [(domain, str(m.id), str(m.string)) for m in catalog if m.id]
    return entries


@pytest.mark.parametrize(("domain", "msgid", "msgstr"), _entries())
def test_every_text_has_a_french_translation(domain: str, msgid: str, msgstr: str) -> None:
    assert msgstr, f"no French for {msgid!r} in {domain}.po: run scripts/i18n.sh and translate"
    assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid))


CLIENT_LOCALE_DIR = LOCALE_DIR.parents[1] / "client" / "locales"
CATALOGS = sorted([*LOCALE_DIR.glob("*/LC_MESSAGES/*.po"), *CLIENT_LOCALE_DIR.glob("*/*/*.po")])


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(LOCALE_DIR.parents[1])))
def test_every_catalog_parses_whole(path: Path) -> None:
    """A broken entry (an msgid without its msgstr, as a union merge of two catalogs can
    leave) is skipped by gettext with a warning only: its text would silently go untranslated."""
    with path.open("rb") as f:
        catalog = read_po(f, abort_invalid=True)
    assert len(catalog) > 0
