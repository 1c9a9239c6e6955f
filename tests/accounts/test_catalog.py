"""The account pages' texts: the policy's messages in the catalog, the seed's wording (every
translation being present is tests/test_i18n.py)."""

from __future__ import annotations

from idp.domain.password_policy import MESSAGES
from idp.i18n import gettext
from idp.pages.feedback import POLICY_MESSAGE_IDS


def test_the_policy_messages_are_in_the_catalog() -> None:
    assert set(POLICY_MESSAGE_IDS) == set(MESSAGES.values())
    for message in MESSAGES.values():
        assert gettext("fr", message) != message
        assert gettext("en", message) == message


def test_the_seed_wording_is_used() -> None:
    assert gettext("fr", "Create your Sage ID") == "Créer votre Sage ID"
    assert gettext("fr", "Remember your password well: you will be asked for it regularly.") == (
        "Mémorisez bien votre mot de passe, il vous sera demandé régulièrement."
    )
