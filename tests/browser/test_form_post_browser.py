"""OAuth 2.0 Form Post Response Mode in a real Chromium (issue 15): with scripts, the page
posts the code to the application by itself, under the provider's strict Content-Security-
Policy (no inline script); without scripts, a visible button does it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Screenshots
from tests.conftest import LiveServer
from tests.support import EMAIL, NATIVE_ID, PASSWORD, pkce_pair


class FormPostApp:
    """A loopback application that receives the authorization response as a POST."""

    def __init__(self) -> None:
        self.received: dict[str, str] | None = None
        self.arrived = threading.Event()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                app.received = {k: v[0] for k, v in form.items()}
                app.arrived.set()
                data = b"<!doctype html><title>App</title><h1>Signed in</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait(self) -> dict[str, str]:
        assert self.arrived.wait(15), "the form was never posted to the application"
        assert self.received is not None
        return self.received


@pytest.fixture
def form_post_app() -> Iterator[FormPostApp]:
    app = FormPostApp()
    app.thread.start()
    try:
        yield app
    finally:
        app.server.shutdown()
        app.server.server_close()


def _sign_in(page: Page, server: LiveServer, app: FormPostApp, challenge: str) -> None:
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


def _redeem(server: LiveServer, app: FormPostApp, code: str, verifier: str) -> None:
    response = httpx.post(
        f"{server.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "client_id": NATIVE_ID,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["id_token"]


def test_form_post_submits_itself_under_the_csp(
    live_server: LiveServer, page: Page, form_post_app: FormPostApp
) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    verifier, challenge = pkce_pair()
    _sign_in(page, live_server, form_post_app, challenge)
    received = form_post_app.wait()
    assert received["state"] == "state-from-the-app"
    assert received["iss"] == live_server.url
    expect(page.get_by_role("heading", name="Signed in")).to_be_visible()
    assert not [m for m in refused if "Content Security Policy" in m], refused
    _redeem(live_server, form_post_app, received["code"], verifier)


def test_form_post_without_scripts_shows_a_button(
    live_server: LiveServer, browser: Browser, form_post_app: FormPostApp, screenshots: Screenshots
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        verifier, challenge = pkce_pair()
        _sign_in(page, live_server, form_post_app, challenge)
        button = page.get_by_role("button", name="Continue")
        expect(button).to_be_visible()
        assert not form_post_app.arrived.is_set()
        screenshots(page, "form-post-without-scripts")
        button.click()
        received = form_post_app.wait()
        _redeem(live_server, form_post_app, received["code"], verifier)
    finally:
        context.close()
