"""The Sage EDI Online portal in a real Chromium (issue 8; seed, étapes 3 and 4): a declaration
sent through the client library shows in *Suivi des envois*; a member becomes administrator
of a customer account without one and changes another member's profile; a member who is not
an administrator gets a 403 page for the administration.

The portal's texts are English message ids until the French catalog has them, so its names
are matched in either language.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect

from client import (
    BearerAuth,
    PlaintextProtection,
    RelyingParty,
    TokenCache,
    authorization_code_grant,
    entry_from_sign_in,
    request_token,
    submit,
)
from idp.settings import Settings
from idp.store import Store
from tests.browser.conftest import LoopbackApp, Screenshots, outside_the_browser_loop
from tests.conftest import LiveServer, Seeder
from tests.edi.helpers import DSN, reference
from tests.referencing.helpers import BOULANGERIE, CABINET, PAUL, add_user, import_customers
from tests.support import EMAIL, NATIVE_ID, PASSWORD, pkce_pair, seed_store

SCOPE = "openid profile email offline_access referencing edi"
NONCE = "nonce-from-the-app"


def both(french: str, english: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*({re.escape(french)}|{re.escape(english)})\s*$")


TRACKING = both("Suivi des envois", "Submission tracking")
PROFILE = both("Profil", "Profile")
ADMINISTRATION = both("Administration", "Administration")


async def seed_portal(settings: Settings) -> None:
    """Marie: Boulangerie Martin, and Cabinet Comptable Durand (no administrator yet), where
    Paul is a member too."""
    seeded = await seed_store(settings)
    store = Store(settings.database_url)
    try:
        now = time.time()
        await import_customers(store, now)
        await reference(store, seeded.user_id, BOULANGERIE, "default", now)
        await reference(store, seeded.user_id, CABINET, "default", now)
        paul = await add_user(store, PAUL, now, name="Paul Durand")
        await reference(store, paul.id, CABINET, "default", now)
    finally:
        await store.close()


@pytest.fixture
def live_seed() -> Seeder:
    """The live server holds the portal's customers (overrides the shared seed here)."""
    return seed_portal


def sign_in_on_the_page(page: Page) -> None:
    """The provider's email-first sign-in, in French (straight on the password page when the
    application gave the email as `login_hint`, issue 18)."""
    email = page.get_by_label("Adresse email")
    expect(email).to_be_visible()
    if page.locator('form[action="/signin/password"]').count() == 0:
        email.fill(EMAIL)
        page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_submission_from_the_client_library_shows_in_tracking(
    live_server: LiveServer,
    page: Page,
    loopback_app: LoopbackApp,
    screenshots: Screenshots,
    tmp_path: Path,
) -> None:
    # The desktop application signs Marie in with the code flow (seed, étape 2).
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": NATIVE_ID,
        "redirect_uri": loopback_app.redirect_uri,
        "scope": SCOPE,
        "state": "state-from-the-app",
        "nonce": NONCE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": EMAIL,
    }
    page.goto(f"{live_server.url}/authorize?{urlencode(params)}")
    sign_in_on_the_page(page)
    code = loopback_app.wait()["code"]

    # Then sends January's DSN through the client library, as `sageid submit` does.
    with httpx.Client(timeout=10) as http:
        relying_party = RelyingParty(http, live_server.url, NATIVE_ID)
        body = authorization_code_grant(
            code,
            redirect_uri=loopback_app.redirect_uri,
            code_verifier=verifier,
            client_id=NATIVE_ID,
        )
        tokens = request_token(http, relying_party.metadata.token_endpoint, body, now=time.time())
        entry = entry_from_sign_in(
            tokens,
            jwks=relying_party.jwks,
            issuer=live_server.url,
            client_id=NATIVE_ID,
            nonce=NONCE,
            now=time.time(),
        )
        cache = TokenCache(tmp_path / "cache", protection=PlaintextProtection())
        cache.store(entry)
        declaration = tmp_path / "DSN-janvier-2026.dsn"
        declaration.write_bytes(DSN)
        with httpx.Client(auth=BearerAuth(relying_party.session(cache)), timeout=10) as api:
            sent = submit(api, declaration, "DSN", BOULANGERIE, issuer=live_server.url)
    assert sent.status == "received"

    # The portal, in the same browser (already signed in on the provider), shows it.
    page.goto(f"{live_server.url}/portal")
    expect(page.get_by_role("heading", name=TRACKING)).to_be_visible()
    row = page.locator(f"#submission-{sent.id}")
    expect(row).to_contain_text("DSN-janvier-2026.dsn")
    expect(row).to_contain_text("Boulangerie Martin (C0001234)")
    expect(row).to_contain_text("Marie Martin")
    expect(row).to_contain_text(re.compile("Reçu|Received"))
    screenshots(page, "tracking")

    page.get_by_label(both("Type", "Kind")).select_option("TVA")
    page.get_by_role("button", name=both("Filtrer", "Filter")).click()
    expect(page).to_have_url(re.compile(r"kind=TVA"))
    expect(page.locator(f"#submission-{sent.id}")).to_have_count(0)
    screenshots(page, "tracking-filtered")


def test_become_administrator_then_change_a_member_s_profile(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    page.goto(f"{live_server.url}/portal")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fportal"))
    sign_in_on_the_page(page)
    expect(page.get_by_role("heading", name=TRACKING)).to_be_visible()
    expect(page.get_by_role("link", name=ADMINISTRATION)).to_have_count(0)

    page.get_by_role("link", name=PROFILE).click()
    expect(page.get_by_text("marie.martin@example.com")).to_be_visible()
    screenshots(page, "profile")
    page.get_by_role(
        "button",
        name=both(
            "Devenir administrateur de Cabinet Comptable Durand",
            "Become administrator of Cabinet Comptable Durand",
        ),
    ).click()
    expect(page.get_by_role("status")).to_be_visible()
    screenshots(page, "profile-administrator")

    page.get_by_role("navigation").get_by_role("link", name=ADMINISTRATION).click()
    expect(page).to_have_url(re.compile(r"/portal/admin/C0002087$"))
    expect(page.get_by_text("paul.durand@example.com")).to_be_visible()

    # A profile for payroll only, then Paul gets it.
    page.get_by_label(both("Nom du profil", "Profile name")).fill("Paie seulement")
    page.get_by_label(both("Envoyer des déclarations", "Send declarations")).check()
    page.get_by_label(
        both("Voir tous les envois du compte", "See all the account's submissions")
    ).check()
    page.get_by_role("button", name=both("Créer le profil", "Create the profile")).click()
    expect(page.get_by_role("status")).to_be_visible()

    paul = page.get_by_label(both("Profil de Paul Durand", "Profile of Paul Durand"))
    expect(paul).to_have_value(re.compile(".+"))
    paul.select_option(label="Paie seulement")
    screenshots(page, "administration-change-profile")
    page.get_by_role(
        "button", name=both("Changer le profil de Paul Durand", "Change the profile of Paul Durand")
    ).click()
    expect(page.get_by_role("status")).to_be_visible()
    paul = page.get_by_label(both("Profil de Paul Durand", "Profile of Paul Durand"))
    expect(paul.locator("option:checked")).to_have_text("Paie seulement")
    screenshots(page, "administration-profile-changed")

    async def profile_of_paul() -> str:
        store = Store(live_server.settings.database_url)
        try:
            members = await store.members.members_of(CABINET)
        finally:
            await store.close()
        return next(m.profile for m in members if m.email == PAUL)

    assert outside_the_browser_loop(profile_of_paul) == "Paie seulement"


def test_a_member_who_is_not_administrator_gets_a_403_page(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    page.goto(f"{live_server.url}/portal/profile")
    sign_in_on_the_page(page)
    expect(page.get_by_role("heading", name=PROFILE)).to_be_visible()
    expect(page.get_by_role("link", name=ADMINISTRATION)).to_have_count(0)

    for path in ("/portal/admin", f"/portal/admin/{CABINET}"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text(
            both("Réservé aux administrateurs", "Administrators only")
        )
    screenshots(page, "administration-forbidden")
