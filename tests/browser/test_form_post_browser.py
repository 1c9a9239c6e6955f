"""OAuth 2.0 Form Post Response Mode in a real Chromium (issue 15): with scripts, the page
posts the code to the application by itself, under the provider's strict Content-Security-
Policy (no inline script); without scripts, a visible button does it."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    APPLICATION_HEADING,
    LoopbackApp,
    Screenshots,
    opened_page,
    redeem_code,
)
from tests.conftest import LiveServer
from tests.support import EMAIL, NATIVE_ID, PASSWORD, pkce_pair


def _sign_in(page: Page, server: LiveServer, app: LoopbackApp, challenge: str) -> None:
    params = {
        "response_type": "code",
        "response_mode": "form_post",
        "client_id": NATIVE_ID,
        "redirect_uri": app.redirect_uri,
        "scope": "openid profile",
        "state": "state-from-the-app",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": EMAIL,
        "ui_locales": "en",
    }
    page.goto(f"{server.url}/authorize?{urlencode(params)}")  # login_hint: the password page
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _redeem(server: LiveServer, app: LoopbackApp, code: str, verifier: str) -> None:
    response = redeem_code(server, app, code, verifier)
    assert response.status_code == 200, response.text
    assert response.json()["id_token"]


def test_form_post_submits_itself_under_the_csp(
    live_server: LiveServer, page: Page, loopback_app: LoopbackApp
) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    verifier, challenge = pkce_pair()
    _sign_in(page, live_server, loopback_app, challenge)
    received = loopback_app.wait()
    assert received["state"] == "state-from-the-app"
    assert received["iss"] == live_server.url
    expect(page.get_by_role("heading", name=APPLICATION_HEADING)).to_be_visible()
    assert not [m for m in refused if "Content Security Policy" in m], refused
    _redeem(live_server, loopback_app, received["code"], verifier)


def test_form_post_without_scripts_shows_a_button(
    live_server: LiveServer, browser: Browser, loopback_app: LoopbackApp, screenshots: Screenshots
) -> None:
    with opened_page(browser, java_script_enabled=False, locale="en-GB") as page:
        verifier, challenge = pkce_pair()
        _sign_in(page, live_server, loopback_app, challenge)
        button = page.get_by_role("button", name="Continue")
        expect(button).to_be_visible()
        assert not loopback_app.arrived.is_set()
        screenshots(page, "form-post-without-scripts")
        button.click()
        received = loopback_app.wait()
        _redeem(live_server, loopback_app, received["code"], verifier)
