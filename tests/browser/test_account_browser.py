"""The account page in a real Chromium at desktop and phone sizes (issue 18): details,
customer accounts, *Appareils et applications connectés* and *Déconnecter*; screenshots in
test-artifacts/."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import LoopbackApp, Screenshots, authorize_url, redeem_code
from tests.conftest import LiveServer
from tests.support import EMAIL, NATIVE_ID, PASSWORD, pkce_pair


def test_an_application_is_listed_and_disconnected_from_the_account_page(
    live_server: LiveServer, sized_page: Page, loopback_app: LoopbackApp, screenshots: Screenshots
) -> None:
    page = sized_page
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(live_server, loopback_app, challenge, login_hint=EMAIL))
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    code = loopback_app.wait()["code"]
    tokens = redeem_code(live_server, loopback_app, code, verifier).json()

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Appareils et applications connectés")).to_be_visible()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("Marie Martin")
    screenshots(page, "account")
    page.get_by_role("button", name="Déconnecter Desktop test app").click()
    expect(page.get_by_role("status")).to_contain_text("L’application a été déconnectée.")
    expect(
        page.get_by_text("Aucune application n’est connectée avec votre Sage ID.")
    ).to_be_visible()
    screenshots(page, "account-disconnected")

    with httpx.Client(base_url=live_server.url) as http:
        refused = http.post(
            "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": NATIVE_ID,
            },
        )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
