"""A real Chromium (Debian's, never downloaded) driven by Playwright's sync API, the loopback
"application" a native client redirects to, and screenshots saved under test-artifacts/.

Browser tests are plain (sync) functions: Playwright's sync API runs its own event loop and
must not share one with the asyncio tests.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import LiveServer, free_port

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


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """One Chromium per test, started *after* the provider: Playwright's sync API keeps an
    event loop running in this thread for as long as it is started, and the `live_server`
    fixture sets up its database with `anyio.run`, which refuses to nest in one. (A session
    scoped browser would therefore break every server set up after it.)"""
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
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test, in French like the seed's users."""
    browser_context = browser.new_context(locale="fr-FR", viewport={"width": 900, "height": 900})
    try:
        yield browser_context
    finally:
        browser_context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return tab


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


PAGE = "<!doctype html><title>Sage</title><h1>Vous pouvez revenir à votre application.</h1>"


class LoopbackApp:
    """What a desktop application listens with during an authorization-code sign-in (RFC 8252
    §7.3): one loopback port, one redirect expected, a page telling the user to go back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.redirect_uri = f"http://127.0.0.1:{port}/callback"
        self.received: dict[str, str] | None = None
        self.arrived = threading.Event()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/callback" and not app.arrived.is_set():
                    app.received = {k: v[0] for k, v in parse_qs(parts.query).items()}
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
