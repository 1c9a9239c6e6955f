"""Passkeys end to end in a real Chromium with a CDP virtual authenticator (issue 17): enrol on
the account page, sign out, sign in with the passkey after the password, then passwordless; a
removed passkey is refused. The provider's issuer is `http://localhost:<port>`: WebAuthn RP IDs
are domain names (an IP address is refused by the browser), and localhost is a secure context."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from idp.audit import Kind
from idp.store import Store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Screenshots
from tests.conftest import LiveServer, free_port, make_settings
from tests.support import EMAIL, PASSWORD, seed_store


@pytest.fixture
def localhost_server(tmp_path: Path, database_url: str, key_template: Path) -> Iterator[LiveServer]:
    port = free_port()
    settings = make_settings(tmp_path, database_url, key_template, f"http://localhost:{port}")
    anyio.run(seed_store, settings)
    with LiveServer(settings, port) as server:
        yield server


@pytest.fixture
def chromium(localhost_server: LiveServer) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test runs scripts/system-deps.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _with_authenticator(browser: Browser, width: int = 900) -> tuple[Page, Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
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
    return page, (cdp, added["authenticatorId"])


def _password_sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/signin?next=/account")
    page.get_by_label("Adresse email").fill(EMAIL)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


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

    # Playwright's sync API keeps an event loop in this thread: read from another one.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, read).result()


def test_passkey_enrol_then_second_factor_then_passwordless_then_removed(
    localhost_server: LiveServer, chromium: Browser, screenshots: Screenshots
) -> None:
    url = localhost_server.url
    page, (cdp, authenticator) = _with_authenticator(chromium)

    _password_sign_in(page, url)
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
    _password_sign_in(page, url)
    expect(page.get_by_role("heading", name="Validation en deux étapes")).to_be_visible()
    screenshots(page, "passkey-second-step")
    page.get_by_role("button", name="Utiliser ma clé d’accès").click()
    expect(page.get_by_role("heading", name="Sécurité")).to_be_visible()
    used = _events(localhost_server, Kind.SECOND_FACTOR_USED)
    assert [e.detail["method"] for e in used] == ["passkey"]

    # Passwordless, from the email page, with the discoverable credential.
    _sign_out(page)
    page.goto(f"{url}/signin?next=/account")
    screenshots(page, "passkey-email-page")
    page.get_by_role("button", name="Se connecter avec une clé d’accès").click()
    expect(page.get_by_role("heading", name="Sécurité")).to_be_visible()
    screenshots(page, "passkey-passwordless-signed-in")
    signed = [e for e in _events(localhost_server, Kind.SIGN_IN) if e.detail.get("method")]
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
    localhost_server: LiveServer, chromium: Browser, screenshots: Screenshots
) -> None:
    page, _ = _with_authenticator(chromium, width=390)
    _password_sign_in(page, localhost_server.url)
    # The enrolment step of a journey offers a passkey too, and comes back to the journey.
    page.goto(f"{localhost_server.url}/account/security/app?next=/account%23security&required=1")
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
    page.goto(f"{localhost_server.url}/account/security/app")
    expect(page.get_by_label("Code de l’application")).to_have_attribute(
        "autocomplete", "one-time-code"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(page, "authenticator-app-enrolment-390")
