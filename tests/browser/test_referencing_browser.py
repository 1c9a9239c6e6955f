"""Referencing end to end in a real Chromium (seed, étape 3): a first-time email proves it is a
Sage customer; an email known from past declaration notifications is referenced without a
question. Either way the application's tokens carry the `referencing` claim."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from idp.settings import Settings
from idp.store import Store
from tests.browser.conftest import (
    LoopbackApp,
    Screenshots,
    authorize_url,
    create_account,
    id_token_claims,
)
from tests.conftest import LiveServer, Seeder
from tests.referencing.helpers import CUSTOMERS, import_customers
from tests.support import pkce_pair, seed_store

SCOPE = "openid profile email offline_access referencing"
NOTIFIED = "nadia.leroy@example.fr"  # notified past submissions of Cabinet Comptable Durand
CUSTOMERS_WITH_NOTIFIED = CUSTOMERS + f"C0002087,notification_email,{NOTIFIED}\n"
PASSWORD = "Des bilans bien tenus chaque annee"


async def seed_customers(settings: Settings) -> None:
    await seed_store(settings)
    store = Store(settings.database_url)
    try:
        await import_customers(store, 0.0, CUSTOMERS_WITH_NOTIFIED)
    finally:
        await store.close()


@pytest.fixture
def live_seed() -> Seeder:
    """The live server holds customer data (overrides the shared seed for these tests)."""
    return seed_customers


def test_first_time_email_is_referenced_by_proof(
    live_server: LiveServer, page: Page, loopback_app: LoopbackApp, screenshots: Screenshots
) -> None:
    verifier, challenge = pkce_pair()
    email = "hugo.martin@example.fr"
    page.goto(authorize_url(live_server, loopback_app, challenge, login_hint=email, scope=SCOPE))
    create_account(page, live_server, email, "Hugo Martin", PASSWORD)

    expect(page.get_by_role("heading", name="Référencez votre Sage ID")).to_be_visible()
    page.get_by_label("Code client Sage").fill("C0001234")
    page.get_by_label("Numéro de facture ou numéro de série").fill("fa 2025 004 000")
    page.get_by_label("J’ai lu et j’accepte les conditions générales de vente.").check()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("alert")).to_be_visible()  # one generic message
    screenshots(page, "reference-wrong-proof")

    page.get_by_label("Numéro de facture ou numéro de série").fill("fa 2025 004711")
    page.get_by_label("J’ai lu et j’accepte les conditions générales de vente.").check()
    screenshots(page, "reference-proof")
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("heading", name="Félicitations !")).to_be_visible()
    expect(page.get_by_text("Boulangerie Martin")).to_be_visible()
    screenshots(page, "congratulations")
    page.get_by_role("link", name="Continuer").click()

    received = loopback_app.wait()
    claims = id_token_claims(live_server, loopback_app, received["code"], verifier)
    referencing = claims["referencing"]
    assert referencing["status"] == "referenced"
    [account] = referencing["accounts"]
    assert account["customer_code"] == "C0001234"
    assert account["customer_name"] == "Boulangerie Martin"
    assert account["method"] == "proof"
    assert account["profile"] and account["is_admin"] is False
    assert isinstance(account["referenced_at"], int)


def test_notification_email_is_referenced_automatically(
    live_server: LiveServer, page: Page, loopback_app: LoopbackApp, screenshots: Screenshots
) -> None:
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(live_server, loopback_app, challenge, login_hint=NOTIFIED, scope=SCOPE))
    create_account(page, live_server, NOTIFIED, "Nadia Leroy", PASSWORD)

    # No question asked: straight to the congratulations.
    expect(page.get_by_role("heading", name="Félicitations !")).to_be_visible()
    expect(page.get_by_text(re.compile("Cabinet Comptable Durand"))).to_be_visible()
    screenshots(page, "auto-referenced")
    page.get_by_role("link", name="Continuer").click()

    received = loopback_app.wait()
    claims = id_token_claims(live_server, loopback_app, received["code"], verifier)
    [account] = claims["referencing"]["accounts"]
    assert claims["referencing"]["status"] == "referenced"
    assert account["customer_code"] == "C0002087"
    assert account["method"] == "notification_email"
