"""Passkeys end to end in a real Chromium with a CDP virtual authenticator (issue 17): enrol on
the account page, sign out, sign in with the passkey after the password, then passwordless; a
removed passkey is refused. The provider's issuer is `http://localhost:<port>`: WebAuthn RP IDs
are domain names (an IP address is refused by the browser), and localhost is a secure context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, expect

from idp.audit import Kind
from idp.store import Store
from tests.browser.conftest import Screenshots, outside_the_browser_loop, sign_in_with_password
from tests.conftest import LiveServer, serving


@pytest.fixture
def live_server(tmp_path: Path, database_url: str, key_template: Path) -> Iterator[LiveServer]:
    """The shared fixture's provider, named `localhost` in its issuer (overrides it here)."""
    with serving(tmp_path, database_url, key_template, host="localhost") as server:
        yield server


def _add_authenticator(page: Page) -> tuple[CDPSession, str]:
    """A virtual platform authenticator (CDP WebAuthn domain) in the page's profile: resident
    keys, user verification, presence given at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator: str = added["authenticatorId"]
    return cdp, authenticator


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous n’êtes pas connecté")).to_be_visible()


def _events(server: LiveServer, kind: Kind) -> list[Any]:
    async def read() -> list[Any]:
        store = Store(server.settings.database_url)
        try:
            return await store.audit.list(kinds=(kind,))
        finally:
            await store.close()

    return outside_the_browser_loop(read)


def test_passkey_enrol_then_second_factor_then_passwordless_then_removed(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    url = live_server.url
    cdp, authenticator = _add_authenticator(page)

    sign_in_with_password(page, url)
    expect(page.get_by_role("heading", name="Sécurité")).to_be_visible()
    page.get_by_label("Nom de cette clé d’accès (pour la reconnaître plus tard)").fill(
        "Ordinateur du bureau"
    )
    page.get_by_role("button", name="Ajouter une clé d’accès").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    screenshots(page, "passkey-enrolled-recovery-codes")
    page.get_by_role("link", name="Je les ai conservés, continuer").click()
    expect(page.get_by_text("Ordinateur du bureau")).to_be_visible()
    screenshots(page, "passkey-listed")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True
    assert credentials["credentials"][0]["rpId"] == "localhost"

    # Password, then the passkey (offered first) before the session exists.
    _sign_out(page)
    sign_in_with_password(page, url)
    expect(page.get_by_role("heading", name="Validation en deux étapes")).to_be_visible()
    screenshots(page, "passkey-second-step")
    page.get_by_role("button", name="Utiliser ma clé d’accès").click()
    expect(page.get_by_role("heading", name="Sécurité")).to_be_visible()
    used = _events(live_server, Kind.SECOND_FACTOR_USED)
    assert [e.detail["method"] for e in used] == ["passkey"]

    # Passwordless, from the email page, with the discoverable credential.
    _sign_out(page)
    page.goto(f"{url}/signin?next=/account")
    screenshots(page, "passkey-email-page")
    page.get_by_role("button", name="Se connecter avec une clé d’accès").click()
    expect(page.get_by_role("heading", name="Sécurité")).to_be_visible()
    screenshots(page, "passkey-passwordless-signed-in")
    signed = [e for e in _events(live_server, Kind.SIGN_IN) if e.detail.get("method")]
    assert [e.detail["method"] for e in signed] == ["passkey"]

    # Removed (the sign-in is recent), the passkey still in the authenticator is refused.
    page.get_by_role("button", name="Retirer Ordinateur du bureau").click()
    expect(page.get_by_role("status").first).to_contain_text("La clé d’accès a été retirée.")
    _sign_out(page)
    page.goto(f"{url}/signin?next=/account")
    page.get_by_role("button", name="Se connecter avec une clé d’accès").click()
    expect(page.get_by_role("alert")).to_contain_text("Cette clé d’accès n’est pas reconnue")
    screenshots(page, "passkey-removed-refused")
    assert page.get_by_text("Vous n’êtes pas connecté").count() == 0
    page.goto(f"{url}/account")
    expect(page.get_by_text("Vous n’êtes pas connecté")).to_be_visible()


def test_passkey_pages_at_phone_width(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    _add_authenticator(page)
    sign_in_with_password(page, live_server.url)
    # The enrolment step of a journey offers a passkey too, and comes back to the journey.
    page.goto(f"{live_server.url}/account/security/app?next=/account%23security&required=1")
    expect(page.get_by_role("heading", name="Ou ajoutez une clé d’accès")).to_be_visible()
    page.get_by_role("button", name="Ajouter une clé d’accès").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(page, "passkey-recovery-codes-390")
    continue_link = page.get_by_role("link", name="Je les ai conservés, continuer")
    expect(continue_link).to_have_attribute("href", "/account#security")
    page.get_by_role("link", name="Je les ai conservés, continuer").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(page, "account-security-390")
    page.goto(f"{live_server.url}/account/security/app")
    expect(page.get_by_label("Code de l’application")).to_have_attribute(
        "autocomplete", "one-time-code"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(page, "authenticator-app-enrolment-390")
