"""The loopback redirect receiver, driven by an HTTP client standing in for the browser."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import httpx
import pytest

from client import (
    AuthorizationDenied,
    AuthorizationResponseError,
    CallbackTimeout,
    LoopbackServer,
    ProviderMetadata,
    build_authorization_request,
    build_end_session_url,
    parse_authorization_response,
)

from .helpers import CLIENT_ID, ISSUER


class Browser:
    """Visits URLs on another thread, as the system browser would, recording the pages."""

    def __init__(self) -> None:
        self.pages: list[httpx.Response] = []
        self._threads: list[threading.Thread] = []

    def visit(self, *urls: str) -> None:
        def run() -> None:
            with httpx.Client(trust_env=False) as http:
                for url in urls:
                    self.pages.append(http.get(url))

        thread = threading.Thread(target=run)
        thread.start()
        self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def sign_in(
    metadata: ProviderMetadata, language: str, make_query: Callable[[str], str]
) -> tuple[str | Exception, Browser]:
    browser = Browser()
    with LoopbackServer(language=language) as server:
        assert server.redirect_uri == f"http://127.0.0.1:{server.port}/callback"
        request = build_authorization_request(metadata, CLIENT_ID, server.redirect_uri)
        base = f"http://127.0.0.1:{server.port}"
        browser.visit(f"{base}/favicon.ico", f"{base}/callback?{make_query(request.state)}")
        try:
            outcome: str | Exception = server.wait_for_code(
                partial(parse_authorization_response, request), timeout=10
            )
        except Exception as error:
            outcome = error
    browser.join()
    return outcome, browser


def test_receives_the_code_and_shows_a_french_page(metadata: ProviderMetadata) -> None:
    code, browser = sign_in(metadata, "fr", lambda state: f"code=abc&state={state}&iss={ISSUER}")
    assert code == "abc"
    favicon, page = browser.pages
    assert favicon.status_code == 404
    assert page.status_code == 200
    assert "Connexion réussie" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_english_page(metadata: ProviderMetadata) -> None:
    _, browser = sign_in(metadata, "en", lambda state: f"code=abc&state={state}&iss={ISSUER}")
    assert "Signed in" in browser.pages[-1].text


def test_forged_state_shows_a_failure_and_raises(metadata: ProviderMetadata) -> None:
    outcome, browser = sign_in(metadata, "fr", lambda state: f"code=abc&state=x&iss={ISSUER}")
    assert isinstance(outcome, AuthorizationResponseError)
    assert outcome.check == "state"
    assert browser.pages[-1].status_code == 400
    assert "La connexion a échoué" in browser.pages[-1].text


def test_denial_is_reported(metadata: ProviderMetadata) -> None:
    outcome, browser = sign_in(
        metadata, "en", lambda state: f"error=access_denied&state={state}&iss={ISSUER}"
    )
    assert isinstance(outcome, AuthorizationDenied)
    assert "access_denied" in browser.pages[-1].text


def test_times_out() -> None:
    with LoopbackServer() as server, pytest.raises(CallbackTimeout):
        server.wait_for_code(lambda url: "never", timeout=0.2)


def test_end_session_url() -> None:
    url = build_end_session_url(
        f"{ISSUER}/logout", client_id=CLIENT_ID, id_token_hint="eyJ.x.y", state="s"
    )
    assert url == f"{ISSUER}/logout?client_id={CLIENT_ID}&id_token_hint=eyJ.x.y&state=s"
    assert build_end_session_url(f"{ISSUER}/logout?ui_locales=fr", client_id="c") == (
        f"{ISSUER}/logout?ui_locales=fr&client_id=c"
    )
