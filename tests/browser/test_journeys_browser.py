"""The seed's journeys in a real Chromium at desktop (1280 × 800) and phone (390 × 844)
sizes, every step saved as a screenshot under test-artifacts/ (issue 18):

- a known notification email signing in directly at the portal is referenced with no
  question (seed, étape 3: « à la connexion … se référencer automatiquement »);
- the administrator's *profil des nouveaux membres* is applied, and named on the
  congratulations page;
- `login_hint` skips the email page (seed, étape 2, 2°: the email is asked once).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from idp.domain.referencing import Method, NewMembership
from idp.passwords import Passwords
from idp.settings import Settings
from idp.store import Store
from tests.browser.conftest import (
    SIZES,
    LoopbackApp,
    Screenshots,
    authorize_url,
    id_token_claims,
    opened_page,
)
from tests.conftest import LiveServer, Seeder
from tests.referencing.helpers import CUSTOMERS, PAUL, PHARMACIE, import_customers
from tests.support import EMAIL, pkce_pair, seed_store

PAUL_PASSWORD = "Cabinet-Durand-Paie-42"
SOPHIE = "sophie.bernard@example.com"
SOPHIE_PASSWORD = "Garage-Bernard-Atelier-7"
NEW_MEMBERS = "Déclarations seulement"
SCOPE = "openid profile email offline_access referencing"


async def _seed(settings: Settings) -> None:
    """Marie (no customer), Paul (a notification email of two customers), Sophie (the
    pharmacy's administrator, with a profile ready to be chosen for new members)."""
    await seed_store(settings)
    store = Store(settings.database_url)
    passwords = Passwords(settings.password_hashing)
    try:
        await import_customers(store, 0.0, CUSTOMERS)
        for email, name, password in (
            (PAUL, "Paul Durand", PAUL_PASSWORD),
            (SOPHIE, "Sophie Bernard", SOPHIE_PASSWORD),
        ):
            hashed = await passwords.hash(password)
            await store.users.add(
                email=email, name=name, password_hash=hashed, email_verified=True, now=0.0
            )
        sophie = await store.users.by_email(SOPHIE)
        assert sophie is not None
        default = next(p for p in await store.customers.profiles_of(PHARMACIE) if p.is_default)
        joined = NewMembership(PHARMACIE, default.id, Method.ADMIN)
        await store.customers.reference(sophie.id, [joined], 0.0)
        await store.customers.become_administrator(PHARMACIE, sophie.id, 0.0)
        await store.customers.add_profile(PHARMACIE, NEW_MEMBERS, ["submit_declarations"], 0.0)
    finally:
        await store.close()


@pytest.fixture
def live_seed() -> Seeder:
    return _seed


def _password_step(page: Page, password: str) -> None:
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_a_notification_email_signing_in_at_the_portal_is_referenced_with_no_question(
    live_server: LiveServer, sized_page: Page, screenshots: Screenshots
) -> None:
    page = sized_page
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto(f"{live_server.url}/portal")

    expect(page.get_by_label("Adresse email")).to_be_visible()
    page.get_by_label("Adresse email").fill(PAUL)
    screenshots(page, "portal-signin-email")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Renseignez votre mot de passe")).to_be_visible()
    screenshots(page, "portal-signin-password")
    _password_step(page, PAUL_PASSWORD)

    expect(page.get_by_role("heading", name="Félicitations !")).to_be_visible()
    accounts = page.locator(".referenced-accounts")
    expect(accounts).to_contain_text(
        "Cabinet Comptable Durand (C0002087) · profil : Profil par défaut"
    )
    expect(accounts).to_contain_text("Pharmacie du Marché (C0004412)")
    screenshots(page, "congratulations")
    page.get_by_role("link", name="Continuer").click()

    expect(page.get_by_role("heading", name="Suivi des envois")).to_be_visible()
    screenshots(page, "portal-tracking")
    assert not [url for url in visited if "/reference?" in url], visited  # no proof form


def test_the_administrators_new_members_profile_is_applied_and_named(
    live_server: LiveServer,
    browser: Browser,
    size: str,
    loopback_app: LoopbackApp,
    screenshots: Screenshots,
) -> None:
    # Sophie, the pharmacy's administrator, chooses the profile for new members.
    with opened_page(browser, viewport=SIZES[size]) as page:
        page.goto(f"{live_server.url}/portal/admin")
        page.get_by_label("Adresse email").fill(SOPHIE)
        page.get_by_role("button", name="Continuer").click()
        _password_step(page, SOPHIE_PASSWORD)
        expect(page.get_by_role("heading", name="Administration")).to_be_visible()
        page.get_by_label("Profil des nouveaux membres").select_option(label=NEW_MEMBERS)
        page.get_by_role("button", name="Choisir ce profil").click()
        expect(page.get_by_role("status")).to_have_text("Les nouveaux membres recevront ce profil.")
        screenshots(page, "administration-new-members-profile")

    # Paul then signs in from the desktop application, in another browser.
    verifier, challenge = pkce_pair()
    with opened_page(browser, viewport=SIZES[size]) as page:
        page.goto(authorize_url(live_server, loopback_app, challenge, login_hint=PAUL, scope=SCOPE))
        _password_step(page, PAUL_PASSWORD)
        expect(page.get_by_role("heading", name="Félicitations !")).to_be_visible()
        accounts = page.locator(".referenced-accounts")
        expect(accounts).to_contain_text(f"Pharmacie du Marché (C0004412) · profil : {NEW_MEMBERS}")
        screenshots(page, "congratulations-new-members-profile")
        page.get_by_role("link", name="Continuer").click()
        received = loopback_app.wait()
    claims = id_token_claims(live_server, loopback_app, received["code"], verifier)
    profiles = {a["customer_code"]: a["profile"] for a in claims["referencing"]["accounts"]}
    assert profiles == {"C0002087": "default", PHARMACIE: NEW_MEMBERS}


def test_login_hint_skips_the_email_page(
    live_server: LiveServer,
    sized_page: Page,
    loopback_app: LoopbackApp,
    screenshots: Screenshots,
) -> None:
    page = sized_page
    _, challenge = pkce_pair()
    page.goto(authorize_url(live_server, loopback_app, challenge, login_hint=EMAIL))
    expect(page.get_by_role("heading", name="Renseignez votre mot de passe")).to_be_visible()
    expect(page.get_by_label("Adresse email")).to_have_value(EMAIL)
    expect(page.get_by_text("Ce n’est pas vous ?")).to_be_visible()
    expect(page.get_by_role("link", name="Changer d’adresse")).to_be_visible()
    screenshots(page, "login-hint-password")
    _password_step(page, "Boulangerie-Martin-2026")
    assert loopback_app.wait()["code"]

    page.goto(
        authorize_url(
            live_server, loopback_app, challenge, login_hint="new@example.fr", prompt="login"
        )
    )
    expect(page.get_by_role("heading", name="Créer votre Sage ID")).to_be_visible()
    expect(page.get_by_label("Adresse email")).to_have_value("new@example.fr")
    screenshots(page, "login-hint-create")
    assert re.search(r"/signin\?", page.url)
