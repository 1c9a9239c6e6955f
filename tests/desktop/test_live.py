"""The app's logic against the real provider on a loopback port, headless: the presenter over
the real services, background work in real threads, the user's browser and phone played over
HTTP by the drivers of tests/client_e2e. The window itself is tested in test_window.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from client import (
    BearerAuth,
    RelyingParty,
    TokenCache,
    default_http_client,
    list_submissions,
)
from client.desktop.i18n import FRENCH, Texts
from client.desktop.model import Level, Message, State, View
from client.desktop.presenter import Presenter
from client.desktop.services import LibraryServices, MigrationRecord
from tests.client_e2e.drivers import (
    FormBrowser,
    Phone,
    PushedRequests,
    introspect,
    only_pushed_reference,
)
from tests.conftest import LiveServer, free_port
from tests.edi.helpers import DSN
from tests.support import EMAIL, NATIVE_ID

from .fakes import ThreadRunner


class LiveApp:
    """The app as `sageid-desktop` builds it, minus the window, with `open_browser` the
    user's browser stand-in; a new `LiveApp` on the same folder is a restart."""

    def __init__(
        self, issuer: str, folder: Path, open_browser: Callable[[str], object] | None = None
    ) -> None:
        self.runner = ThreadRunner()
        self.opened: list[str] = []
        self.relying_party = RelyingParty(default_http_client(), issuer, NATIVE_ID)
        self.cache = TokenCache(folder / "cache")
        self.services = LibraryServices(
            self.relying_party,
            self.cache,
            MigrationRecord(folder / "desktop.json"),
            open_browser=open_browser or (lambda url: True),
            browser_timeout=30,
        )
        self.presenter = Presenter(
            self.services, self.runner, Texts("fr"), open_url=self.opened.append
        )

    @property
    def view(self) -> View:
        return self.presenter.view

    def until(self, *states: State) -> View:
        self.runner.pump_until(lambda: self.view.state in states)
        return self.view

    def launch(self) -> View:
        self.presenter.launched()
        return self.until(State.ASSISTANT, State.SESSION_EXPIRED, State.SIGNED_IN)

    def close(self) -> None:
        self.runner.join()
        self.services.close()


def test_migration_in_the_browser_then_a_declaration(
    live_provider: LiveServer, tmp_path: Path
) -> None:
    browser = FormBrowser()
    app = LiveApp(live_provider.url, tmp_path, browser)
    try:
        assert app.launch().state is State.ASSISTANT
        app.presenter.start_clicked()
        app.presenter.email_submitted(EMAIL)
        view = app.until(State.SIGNED_IN, State.EMAIL)
        browser.join()
        assert view.assistant_message is None and view.state is State.SIGNED_IN
        assert view.user_name == "Marie Martin"
        assert view.message == Message(Level.SUCCESS, FRENCH["signed_in"])
        assert only_pushed_reference(browser.urls[0], NATIVE_ID)  # PAR (RFC 9126)
        assert app.cache.find(live_provider.url, NATIVE_ID).token_type == "DPoP"

        declaration = tmp_path / "paie-2026-01.dsn"
        declaration.write_bytes(DSN)
        app.presenter.send_clicked()
        form = app.view.send
        assert form is not None and [c.code for c in form.customers] == ["C0001234"]
        app.presenter.declaration_submitted(str(declaration), "DSN", "C0001234")
        app.runner.pump_until(lambda: app.view.send is not None and not app.view.send.sending)
        result = app.view.send.result if app.view.send else None
        assert result is not None and result.level is Level.SUCCESS, result
        assert result.text.startswith(
            "Déclaration DSN reçue pour Boulangerie Martin (C0001234), référence "
        )

        # What the portal's « Suivi des envois » lists, through the same sign-in.
        session = app.relying_party.session(app.cache)
        with httpx.Client(auth=BearerAuth(session), timeout=10) as http:
            page = list_submissions(http, issuer=live_provider.url, customer="C0001234")
        assert [s.file_name for s in page.items] == ["paie-2026-01.dsn"]
        app.presenter.tracking_clicked()
        app.runner.pump_until(lambda: bool(app.opened))
        assert app.opened == [f"{live_provider.url}/portal"]
    finally:
        app.close()

    # A restart within the 30 days: the name menu at once, nothing asked.
    again = LiveApp(live_provider.url, tmp_path)
    try:
        view = again.launch()
        assert view.state is State.SIGNED_IN and view.user_name == "Marie Martin"
        refresh_token = again.cache.find(live_provider.url, NATIVE_ID).refresh_token
        assert refresh_token is not None
        again.presenter.sign_out_clicked()
        again.runner.pump_until(lambda: again.view.state is State.LATER)
        assert introspect(live_provider.url, refresh_token) == {"active": False}
    finally:
        again.close()


def test_migration_with_a_code_approved_on_the_phone(
    live_provider: LiveServer, tmp_path: Path
) -> None:
    phone = Phone(live_provider.url)
    app = LiveApp(live_provider.url, tmp_path)
    try:
        app.launch()
        app.presenter.start_clicked()
        app.presenter.device_chosen()
        app.runner.pump_until(lambda: app.view.device is not None)
        assert app.view.device is not None
        assert app.view.device.qr_data.startswith(f"{live_provider.url}/device")
        phone.approve(app.view.device.user_code)
        view = app.until(State.SIGNED_IN, State.EMAIL)
        phone.join()
        assert view.state is State.SIGNED_IN and view.user_name == "Marie Martin"
    finally:
        app.close()


def test_cancelling_the_browser_sign_in_frees_the_loopback_at_once(
    live_provider: LiveServer, tmp_path: Path
) -> None:
    app = LiveApp(live_provider.url, tmp_path)  # the browser never comes back
    pushed = PushedRequests(app.relying_party.http)
    try:
        app.launch()
        app.presenter.start_clicked()
        app.presenter.email_submitted(EMAIL)
        app.runner.pump_until(lambda: app.view.browser_url is not None)
        [form] = pushed.forms  # the request went to /par, the browser only gets request_uri
        redirect_uri = form["redirect_uri"]
        app.presenter.sign_in_cancelled()
        assert app.view.state is State.EMAIL
        assert app.view.assistant_message == Message(Level.INFO, FRENCH["cancelled"])
        app.runner.join(timeout=5)  # not the five minutes of the browser timeout
    finally:
        app.close()
    try:
        httpx.get(redirect_uri, timeout=2)
        still_listening = True
    except httpx.ConnectError:
        still_listening = False
    assert not still_listening


def test_an_unreachable_provider_is_a_message(tmp_path: Path) -> None:
    app = LiveApp(f"http://127.0.0.1:{free_port()}", tmp_path)
    try:
        app.launch()
        app.presenter.start_clicked()
        app.presenter.email_submitted(EMAIL)
        app.runner.pump_until(lambda: app.view.assistant_message is not None)
        assert app.view.state is State.EMAIL
        assert app.view.assistant_message == Message(Level.ERROR, FRENCH["err_unreachable"])
    finally:
        app.close()
