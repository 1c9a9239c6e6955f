"""An authenticator app in a real Chromium (issue 17): enrolled from the account page's
*Sécurité* (QR code and key), then asked after the password; screenshots in test-artifacts/."""

from __future__ import annotations

import pyotp
from playwright.sync_api import Page, expect

from tests.browser.conftest import Screenshots, sign_in_with_password
from tests.conftest import LiveServer


def test_authenticator_app_enrolled_then_asked_at_sign_in(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    sign_in_with_password(page, live_server.url)
    page.get_by_role("link", name="Ajouter une application d’authentification").click()
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator("#secret").inner_text().replace(" ", "")
    screenshots(page, "app-enrolment")
    page.get_by_label("Nom de cette application (pour la reconnaître plus tard)").fill("Mobile")
    page.get_by_label("Code de l’application").fill(
        "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n’est pas valide")
    page.get_by_label("Code de l’application").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Je les ai conservés, continuer").click()
    expect(page.get_by_text("Mobile")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    sign_in_with_password(page, live_server.url)
    expect(page.get_by_role("heading", name="Validation en deux étapes")).to_be_visible()
    screenshots(page, "app-code-asked")
    page.get_by_role("link", name="Utiliser plutôt un code de secours").click()
    page.get_by_label("Code de secours").fill(codes[0])
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Sécurité")).to_be_visible()
    expect(page.get_by_text("Codes de secours restants : 9.")).to_be_visible()
