"""End to end in a real Chromium (seed, étape 2): a desktop application sends the browser to
`/authorize` with the email the user typed; the unknown email creates a Sage ID, the code
from the mail validates it, and the application receives a code and then tokens whose ID
token says `email_verified: true`. Every page is saved as a screenshot."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.accounts.helpers import last_code
from tests.browser.conftest import LoopbackApp, Screenshots, authorize_url, id_token_claims
from tests.conftest import LiveServer
from tests.support import EMAIL, PASSWORD, pkce_pair

NEW_EMAIL = "claire.fontaine@example.fr"
NEW_PASSWORD = "Trois baguettes bien cuites"
CHANGED_PASSWORD = "Croissants au beurre du dimanche"


def test_a_new_user_creates_a_sage_id_and_the_application_signs_in(
    live_server: LiveServer, page: Page, loopback_app: LoopbackApp, screenshots: Screenshots
) -> None:
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(live_server, loopback_app, challenge, login_hint=NEW_EMAIL))

    # The application already asked the email (login_hint): an unknown one opens straight on
    # the create page, filled in (issue 18); French from the browser's Accept-Language.
    expect(page).to_have_url(re.compile(r"/signin\?"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Créer votre Sage ID")).to_be_visible()
    expect(page.get_by_label("Adresse email")).to_have_value(NEW_EMAIL)
    page.get_by_label("Nom").fill("Claire Fontaine")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    screenshots(page, "create-account")
    page.get_by_role("button", name="Créer mon Sage ID").click()

    # The code from the mail validates the account.
    expect(page.get_by_role("heading", name="Validez votre inscription")).to_be_visible()
    expect(page.get_by_text(f"envoyé sur l’adresse email {NEW_EMAIL}")).to_be_visible()
    screenshots(page, "verify-code")
    page.get_by_label("Code de vérification").fill(last_code(live_server.settings, to=NEW_EMAIL))
    page.get_by_role("button", name="Valider").click()

    # Back to the application's loopback listener with a code (RFC 9207 `iss` included).
    received = loopback_app.wait()
    expect(page.get_by_text("Vous pouvez revenir à votre application.")).to_be_visible()
    screenshots(page, "back-to-application")
    assert received["state"] == "state-from-the-app"
    assert received["iss"] == live_server.url

    claims = id_token_claims(live_server, loopback_app, received["code"], verifier)
    assert claims["email"] == NEW_EMAIL
    assert claims["email_verified"] is True
    assert claims["name"] == "Claire Fontaine"
    assert claims["nonce"] == "nonce-from-the-app"


def test_a_known_user_signs_in_in_english_after_a_wrong_password(
    live_server: LiveServer, page: Page, loopback_app: LoopbackApp, screenshots: Screenshots
) -> None:
    verifier, challenge = pkce_pair()
    url = authorize_url(live_server, loopback_app, challenge, login_hint=EMAIL, ui_locales="en")
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # A known email (login_hint): straight on the password page (issue 18).
    expect(page.get_by_role("heading", name="Enter your password")).to_be_visible()
    screenshots(page, "password")
    page.get_by_label("Password").fill("not my password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    screenshots(page, "wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    received = loopback_app.wait()
    claims = id_token_claims(live_server, loopback_app, received["code"], verifier)
    assert claims["email"] == EMAIL and claims["email_verified"] is True


def test_a_forgotten_password_is_replaced_with_a_mailed_code(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    page.goto(f"{live_server.url}/signin?login_hint={EMAIL}")
    page.get_by_role("link", name="Mot de passe oublié ?").click()

    expect(page.get_by_label("Adresse email")).to_have_value(EMAIL)
    screenshots(page, "forgot-password")
    page.get_by_role("button", name="Recevoir un code").click()

    expect(page.get_by_role("heading", name="Choisissez un nouveau mot de passe")).to_be_visible()
    page.get_by_label("Code reçu par email").fill(last_code(live_server.settings, to=EMAIL))
    page.get_by_label("Nouveau mot de passe").fill("trop court")
    page.get_by_label("Confirmation du mot de passe").fill("trop court")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    expect(
        page.locator("#password-errors").get_by_text("Utilisez au moins 12 caractères.")
    ).to_be_visible()
    screenshots(page, "reset-weak-password")

    page.get_by_label("Nouveau mot de passe").fill(CHANGED_PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(CHANGED_PASSWORD)
    page.get_by_role("button", name="Changer mon mot de passe").click()
    expect(page).to_have_url(f"{live_server.url}/account")
    expect(page.get_by_text(f"({EMAIL})")).to_be_visible()
    screenshots(page, "signed-in-with-new-password")
