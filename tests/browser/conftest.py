"""A real Chromium (Debian's, never downloaded) driven by Playwright's sync API, the loopback
"application" a native client redirects to, and screenshots saved under test-artifacts/.

Browser tests are plain (sync) functions: Playwright's sync API runs its own event loop and
must not share one with the asyncio tests.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.accounts.helpers import last_code
from tests.conftest import LiveServer, free_port
from tests.support import EMAIL, NATIVE_ID, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing leaves the machine: every host name fails except the loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, kept off the network (skips when it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test runs scripts/system-deps.sh)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """One Chromium per test, started *after* the provider: Playwright's sync API keeps an
    event loop running in this thread for as long as it is started, and the `live_server`
    fixture sets up its database with `anyio.run`, which refuses to nest in one. (A session
    scoped browser would therefore break every server set up after it.)"""
    with launched_chromium() as chromium:
        yield chromium


@contextmanager
def opened_page(browser: Browser, **options: Any) -> Iterator[Page]:
    """A tab in a fresh profile, in French like the seed's users unless `options` (those of
    `Browser.new_context`) say otherwise; closed with its profile."""
    context = browser.new_context(**{"locale": "fr-FR", **options})
    try:
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with opened_page(browser, viewport={"width": 900, "height": 900}) as tab:
        yield tab


SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def sized_page(size: str, browser: Browser) -> Iterator[Page]:
    """The test at desktop and at phone size."""
    with opened_page(browser, viewport=SIZES[size]) as tab:
        yield tab


def sign_in_with_password(page: Page, url: str) -> None:
    """The seed's user signs in, email first then password, from the sign-in page."""
    page.goto(f"{url}/signin?next=/account")
    page.get_by_label("Adresse email").fill(EMAIL)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


T = TypeVar("T")


def outside_the_browser_loop(work: Callable[[], Awaitable[T]]) -> T:
    """Run store code while Playwright's sync API holds this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, work).result()


class Screenshots:
    """Numbered full-page screenshots of one test, in test-artifacts/<test id>/."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: list[Path] = []

    def __call__(self, page: Page, name: str) -> Path:
        path = self.folder / f"{len(self.saved) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Screenshots(folder)


APPLICATION_HEADING = "Vous pouvez revenir à votre application."
PAGE = f"<!doctype html><title>Sage</title><h1>{APPLICATION_HEADING}</h1>"


class LoopbackApp:
    """What a desktop application listens with during an authorization-code sign-in (RFC 8252
    §7.3): one loopback port, one redirect expected, a page telling the user to go back. The
    response comes in the query, or posted as a form (OAuth 2.0 Form Post Response Mode)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.redirect_uri = f"http://127.0.0.1:{port}/callback"
        self.received: dict[str, str] | None = None
        self.arrived = threading.Event()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                self.receive(parts.path, parts.query)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.receive(urlsplit(self.path).path, self.rfile.read(length).decode())

            def receive(self, path: str, parameters: str) -> None:
                if path == "/callback" and not app.arrived.is_set():
                    app.received = {k: v[0] for k, v in parse_qs(parameters).items()}
                    app.arrived.set()
                data = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait(self, timeout: float = 15.0) -> dict[str, str]:
        assert self.arrived.wait(timeout), "the provider never redirected to the application"
        assert self.received is not None
        return self.received


@pytest.fixture
def loopback_app() -> Iterator[LoopbackApp]:
    app = LoopbackApp(free_port())
    app.thread.start()
    try:
        yield app
    finally:
        app.server.shutdown()
        app.server.server_close()


def create_account(page: Page, server: LiveServer, email: str, name: str, password: str) -> None:
    """On the create page (where an unknown email leads): name and password, then the code
    mailed to `email`."""
    page.get_by_label("Nom").fill(name)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmation du mot de passe").fill(password)
    page.get_by_role("button", name="Créer mon Sage ID").click()
    page.get_by_label("Code de vérification").fill(last_code(server.settings, to=email))
    page.get_by_role("button", name="Valider").click()


def authorize_url(server: LiveServer, app: LoopbackApp, challenge: str, **extra: str) -> str:
    """The desktop test application's authorization request, with PKCE."""
    params = {
        "response_type": "code",
        "client_id": NATIVE_ID,
        "redirect_uri": app.redirect_uri,
        "scope": "openid profile email offline_access",
        "state": "state-from-the-app",
        "nonce": "nonce-from-the-app",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{server.url}/authorize?{urlencode(params)}"


def redeem_code(server: LiveServer, app: LoopbackApp, code: str, verifier: str) -> httpx.Response:
    """The application's token request for the code it received (RFC 6749 §4.1.3, PKCE)."""
    return httpx.post(
        f"{server.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "client_id": NATIVE_ID,
            "code_verifier": verifier,
        },
    )


def id_token_claims(server: LiveServer, app: LoopbackApp, code: str, verifier: str) -> dict:  # type: ignore[type-arg]
    """The code redeemed: the ID token's claims, checked against the provider's keys (a
    refresh token comes with them)."""
    tokens = redeem_code(server, app, code, verifier)
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set(httpx.get(f"{server.url}/jwks.json").json())
    claims: dict = jwt.decode(tokens.json()["id_token"], keys).claims  # type: ignore[type-arg]
    assert tokens.json()["refresh_token"]
    return claims
