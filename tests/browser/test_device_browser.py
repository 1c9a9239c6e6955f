"""The device flow end to end (RFC 8628): a desktop application polls while the user, in a real
Chromium, enters the code, creates a Sage ID, validates it with the mailed code and approves."""

from __future__ import annotations

import threading
import time

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page, expect

from shared.scopes import DEVICE_CODE_GRANT
from tests.browser.conftest import Screenshots, create_account
from tests.conftest import LiveServer
from tests.support import NATIVE_ID

NEW_EMAIL = "lucie.moreau@example.fr"
NEW_PASSWORD = "Une paie juste chaque mois"
SCOPE = "openid profile email offline_access"


class Poller(threading.Thread):
    """The desktop application: polls the token endpoint at the interval it is told."""

    def __init__(self, server: LiveServer, device_code: str, interval: int) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.device_code = device_code
        self.interval = interval
        self.errors: list[str] = []
        self.tokens: dict[str, str] | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=self.server.url) as http:
            while time.monotonic() < deadline:
                time.sleep(self.interval)
                response = http.post(
                    "/token",
                    data={
                        "grant_type": DEVICE_CODE_GRANT,
                        "device_code": self.device_code,
                        "client_id": NATIVE_ID,
                    },
                )
                if response.status_code == 200:
                    self.tokens = response.json()
                    return
                error = response.json()["error"]
                self.errors.append(error)
                if error == "slow_down":
                    self.interval += 5
                elif error != "authorization_pending":
                    return


def test_device_login_with_account_creation(
    live_server: LiveServer, page: Page, screenshots: Screenshots
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        started = http.post("/device_authorization", data={"client_id": NATIVE_ID, "scope": SCOPE})
        assert started.status_code == 200
        grant = started.json()
    poller = Poller(live_server, grant["device_code"], grant["interval"])
    poller.start()

    page.goto(grant["verification_uri_complete"])
    expect(page.get_by_label("Code")).to_have_value(grant["user_code"])
    screenshots(page, "device-code")
    page.get_by_role("button", name="Continuer").click()

    # Not signed in: the usual journey, email first, then account creation.
    page.get_by_label("Adresse email").fill(NEW_EMAIL)
    page.get_by_role("button", name="Continuer").click()
    create_account(page, live_server, NEW_EMAIL, "Lucie Moreau", NEW_PASSWORD)

    # Back to the device request: the user checks the code and approves.
    expect(page.get_by_text(grant["user_code"])).to_be_visible()
    screenshots(page, "device-confirm")
    page.get_by_role("button", name="Approuver").click()
    expect(page.get_by_role("heading", name="Votre application est connectée")).to_be_visible()
    screenshots(page, "device-done")

    poller.join(30)
    assert poller.tokens is not None, poller.errors
    assert set(poller.errors) <= {"authorization_pending", "slow_down"}
    with httpx.Client(base_url=live_server.url) as http:
        keys = KeySet.import_key_set(http.get("/jwks.json").json())
    claims = jwt.decode(poller.tokens["id_token"], keys).claims
    assert claims["email"] == NEW_EMAIL and claims["email_verified"] is True
    assert poller.tokens["refresh_token"]
