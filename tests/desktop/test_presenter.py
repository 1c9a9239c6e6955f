"""The migration assistant headless (seed, étapes 1, 2 and 4): the presenter with scripted
services, and with the real services over a token cache whose clock the test moves."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from client import (
    AuthorizationDenied,
    CacheEntry,
    CallbackTimeout,
    DeviceCodeExpired,
    IdTokenError,
    KeyringUnavailable,
    OAuthError,
    PlaintextProtection,
    ProviderError,
    ProviderUnreachable,
    RelyingParty,
    SignInExpired,
    SignInRequired,
    SignInRevoked,
    SubmissionRefused,
    TokenCache,
)
from client.desktop.i18n import ENGLISH, FRENCH, Texts
from client.desktop.model import Again, Level, Message, State, describe_error
from client.desktop.presenter import Presenter
from client.desktop.seams import SessionExpired, SignInCancelled
from client.desktop.services import LibraryServices, MigrationRecord
from tests.client.helpers import FrozenClock

from .fakes import DEVICE, EMAIL, ISSUER, MARIE, MARIE_CLAIMS, FakeServices, ManualRunner

DAY = 24 * 3600


class App:
    """A presenter over scripted services; `opened` collects the URLs sent to the browser."""

    def __init__(self, services: FakeServices | None = None, language: str = "fr") -> None:
        self.services = services or FakeServices()
        self.runner = ManualRunner()
        self.opened: list[str] = []
        self.open_result: bool = True
        self.texts = Texts(language)
        self.presenter = Presenter(self.services, self.runner, self.texts, open_url=self._open)

    def _open(self, url: str) -> bool:
        self.opened.append(url)
        return self.open_result

    def state(self) -> State:
        return self.presenter.view.state

    def launch(self) -> App:
        self.presenter.launched()
        self.runner.finish()
        return self


def test_first_launch_shows_the_assistant() -> None:
    app = App()
    app.presenter.launched()
    assert app.state() is State.STARTING
    assert app.presenter.view.message == Message(Level.INFO, FRENCH["starting"])
    app.runner.finish()
    view = app.presenter.view
    assert view.state is State.ASSISTANT and view.assistant_open
    assert not view.banner and view.user_name is None and view.message is None


def test_later_shows_the_yellow_banner_until_the_migration() -> None:
    app = App().launch()
    app.presenter.later_clicked()
    view = app.presenter.view
    assert view.state is State.LATER and view.banner and not view.assistant_open

    app.presenter.edi_menu_clicked()  # the « Sage EDI Online » button: the assistant again
    assert app.state() is State.ASSISTANT
    assert app.presenter.view.banner  # still not migrated

    app.presenter.start_clicked()
    app.presenter.email_submitted(EMAIL)
    app.runner.finish()
    view = app.presenter.view
    assert view.state is State.SIGNED_IN and not view.banner


def test_the_assistant_appears_again_at_exit() -> None:
    app = App().launch()
    app.presenter.later_clicked()
    app.presenter.quit_requested()
    assert app.state() is State.ASSISTANT  # seed: « en sortie de Sage »
    app.presenter.later_clicked()
    assert app.state() is State.CLOSED


def test_closing_the_main_window_while_the_assistant_is_shown_exits() -> None:
    app = App().launch()
    app.presenter.quit_requested()
    assert app.state() is State.CLOSED


def test_migrating_at_exit_then_exits() -> None:
    app = App().launch()
    app.presenter.later_clicked()
    app.presenter.quit_requested()
    app.presenter.start_clicked()
    app.presenter.email_submitted(EMAIL)
    app.runner.finish()
    assert app.state() is State.CLOSED
    assert ("browser", EMAIL) in app.services.calls


def test_a_completed_migration_shows_the_name_menu_without_the_assistant() -> None:
    app = App(FakeServices(restored=MARIE)).launch()
    view = app.presenter.view
    assert view.state is State.SIGNED_IN and view.user_name == "Marie Martin"
    assert not view.assistant_open and not view.banner
    app.presenter.edi_menu_clicked()
    assert app.state() is State.SIGNED_IN
    app.presenter.quit_requested()  # nothing to ask at exit
    assert app.state() is State.CLOSED


def test_browser_sign_in_with_the_email() -> None:
    app = App().launch()
    app.presenter.start_clicked()
    assert app.state() is State.EMAIL
    app.presenter.email_submitted("not an email")
    view = app.presenter.view
    assert view.state is State.EMAIL
    assert view.assistant_message == Message(Level.ERROR, FRENCH["email_invalid"])
    assert app.runner.jobs == []

    app.presenter.email_submitted(f"  {EMAIL} ")
    assert app.state() is State.SIGNING_IN_BROWSER
    app.runner.finish()
    view = app.presenter.view
    assert app.services.calls[-1] == ("browser", EMAIL)
    assert view.state is State.SIGNED_IN and view.user_name == "Marie Martin"
    assert view.message == Message(Level.SUCCESS, FRENCH["signed_in"])


def test_the_link_is_shown_while_waiting_for_the_browser() -> None:
    app = App().launch()
    seen: list[str | None] = []
    app.presenter.subscribe(lambda view: seen.append(view.browser_url))
    app.presenter.start_clicked()
    app.presenter.email_submitted(EMAIL)
    app.runner.finish()
    assert app.services.browser_url in seen


def test_device_flow_shows_the_code_then_signs_in() -> None:
    app = App().launch()
    app.presenter.start_clicked()
    app.presenter.device_chosen()
    view = app.presenter.view
    assert view.state is State.SIGNING_IN_DEVICE and view.device is None
    shown: list[object] = []
    app.presenter.subscribe(lambda view: shown.append(view.device))
    app.runner.finish()
    [prompt] = [device for device in shown if device is not None]
    assert prompt.user_code == DEVICE.user_code  # type: ignore[attr-defined]
    assert prompt.qr_data == DEVICE.verification_uri_complete  # type: ignore[attr-defined]
    assert app.state() is State.SIGNED_IN


def test_cancelling_a_sign_in_returns_to_the_email_and_ignores_its_outcome() -> None:
    app = App().launch()
    app.presenter.start_clicked()
    app.presenter.email_submitted(EMAIL)
    app.presenter.sign_in_cancelled()
    view = app.presenter.view
    assert view.state is State.EMAIL
    assert view.assistant_message == Message(Level.INFO, FRENCH["cancelled"])
    app.runner.finish()  # the cancelled sign-in ends (here: successfully) after all
    assert app.state() is State.EMAIL
    assert app.services.cancellations[0].cancelled


def test_switching_from_the_browser_to_a_code_cancels_the_browser_sign_in() -> None:
    app = App().launch()
    app.presenter.start_clicked()
    app.presenter.email_submitted(EMAIL)
    app.presenter.device_chosen()
    assert app.state() is State.SIGNING_IN_DEVICE
    app.runner.finish_all()
    assert app.services.cancellations[0].cancelled
    assert not app.services.cancellations[1].cancelled
    assert app.state() is State.SIGNED_IN


def test_a_failed_sign_in_is_a_message_in_the_assistant() -> None:
    app = App(FakeServices(signed_in=ProviderUnreachable("down", request_sent=False))).launch()
    app.presenter.start_clicked()
    app.presenter.email_submitted(EMAIL)
    app.runner.finish()
    view = app.presenter.view
    assert view.state is State.EMAIL and view.email == EMAIL
    assert view.assistant_message == Message(Level.ERROR, FRENCH["err_unreachable"])


def test_an_unusable_cache_at_launch_opens_the_assistant_with_the_reason() -> None:
    app = App(FakeServices(restored=KeyringUnavailable("no keyring"))).launch()
    view = app.presenter.view
    assert view.state is State.ASSISTANT
    assert view.assistant_message == Message(Level.ERROR, FRENCH["err_keyring"])


def test_sign_out_brings_back_the_button_and_the_banner() -> None:
    app = App(FakeServices(restored=MARIE)).launch()
    app.presenter.sign_out_clicked()
    assert app.presenter.view.busy
    app.runner.finish()
    view = app.presenter.view
    assert ("sign_out",) in app.services.calls
    assert view.state is State.LATER and view.user_name is None and view.banner
    assert view.again is Again.SIGNED_OUT and view.email == EMAIL
    assert view.message == Message(Level.INFO, FRENCH["signed_out"])
    app.presenter.quit_requested()  # migrated: no assistant at exit
    assert app.state() is State.CLOSED


def test_tracking_opens_the_portal_in_the_browser() -> None:
    app = App(FakeServices(restored=MARIE)).launch()
    app.presenter.tracking_clicked()
    app.runner.finish()
    assert app.opened == [f"{ISSUER}/portal"]
    assert app.presenter.view.message == Message(Level.INFO, FRENCH["tracking_opened"])

    app.open_result = False
    app.presenter.tracking_clicked()
    app.runner.finish()
    message = app.presenter.view.message
    assert message is not None and message.level is Level.ERROR
    assert f"{ISSUER}/portal" in message.text


def _signed_in_with_form(services: FakeServices) -> App:
    app = App(services).launch()
    app.presenter.send_clicked()
    return app


def test_sending_a_declaration() -> None:
    app = _signed_in_with_form(FakeServices(restored=MARIE))
    form = app.presenter.view.send
    assert form is not None and [c.code for c in form.customers] == ["C0001234"]

    app.presenter.declaration_submitted("", "DSN", "C0001234")
    form = app.presenter.view.send
    assert form is not None and form.result == Message(Level.ERROR, FRENCH["send_no_file"])

    app.presenter.declaration_submitted("paie.dsn", "DSN", "C0001234")
    assert app.presenter.view.send is not None and app.presenter.view.send.sending
    app.runner.finish()
    assert app.services.calls[-1] == ("submit", Path("paie.dsn"), "DSN", "C0001234")
    form = app.presenter.view.send
    assert form is not None and not form.sending and form.result is not None
    assert form.result.level is Level.SUCCESS
    assert form.result.text == (
        "Déclaration DSN reçue pour Boulangerie Martin (C0001234), référence SUB0-001. "
        "Suivez-la dans «\u00a0Suivi des envois\u00a0»."
    )
    assert app.presenter.view.message == form.result
    # No second send of the same file by a second click; another file may be sent.
    assert not form.can_send
    app.presenter.declaration_submitted("paie.dsn", "DSN", "C0001234")
    assert [c for c in app.services.calls if c[0] == "submit"] == [app.services.calls[-1]]
    app.presenter.send_file_changed("paie-02.dsn")
    form = app.presenter.view.send
    assert form is not None and form.can_send
    app.presenter.send_closed()
    assert app.presenter.view.send is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            SubmissionRefused(
                403,
                "Not referenced",
                "You are not referenced to C0002087.",
                problem_type=f"{ISSUER}/api/v1/problems/not-referenced",
            ),
            FRENCH["problem_not-referenced"],
        ),
        (
            SubmissionRefused(
                415,
                "File type refused",
                "A TVA file must be named …",
                problem_type=f"{ISSUER}/api/v1/problems/file-type-refused",
            ),
            FRENCH["problem_file-type-refused"],
        ),
        (
            SubmissionRefused(500, "Internal", "boom"),  # about:blank: the status only
            FRENCH["send_refused"].format(status=500),
        ),
        (ProviderUnreachable("down", request_sent=True), FRENCH["err_unreachable"]),
        (FileNotFoundError(2, "No such file or directory"), FRENCH["err_file"][:30]),
    ],
)
def test_a_refused_declaration_is_a_message(error: Exception, expected: str) -> None:
    app = _signed_in_with_form(FakeServices(restored=MARIE, sent=error))
    app.presenter.declaration_submitted("paie.dsn", "DSN", "C0002087")
    app.runner.finish()
    form = app.presenter.view.send
    assert form is not None and form.result is not None
    assert form.result.level is Level.ERROR and form.result.text.startswith(expected)
    assert app.state() is State.SIGNED_IN


@pytest.mark.parametrize(
    ("error", "again"),
    [
        (SignInRevoked("revoked"), Again.REVOKED),
        (SignInExpired("30 days"), Again.EXPIRED),
        (SignInRequired("gone"), Again.EXPIRED),
    ],
)
def test_a_declaration_refused_for_the_sign_in_asks_to_sign_in_again(
    error: Exception, again: Again
) -> None:
    app = _signed_in_with_form(FakeServices(restored=MARIE, sent=error))
    app.presenter.declaration_submitted("paie.dsn", "DSN", "C0001234")
    app.runner.finish()
    view = app.presenter.view
    assert view.state is State.SESSION_EXPIRED and view.assistant_open
    assert view.user_name is None and view.send is None
    assert view.again is again and view.email == EMAIL
    assert view.assistant_buttons == ("sign_in_again",)


def test_sending_before_the_migration_opens_the_assistant() -> None:
    app = App().launch()
    app.presenter.later_clicked()
    app.presenter.send_clicked()
    view = app.presenter.view
    assert view.state is State.ASSISTANT and view.send is None
    assert view.assistant_message == Message(Level.INFO, FRENCH["sign_in_first"])


def test_english() -> None:
    app = App(language="en").launch()
    app.presenter.later_clicked()
    app.presenter.start_clicked()  # ignored outside the assistant
    assert app.presenter.view.banner
    assert app.texts("banner") == "You have not switched to the new authentication yet."


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (SignInCancelled(), "cancelled"),
        (AuthorizationDenied("access_denied"), "err_denied"),
        (CallbackTimeout("late"), "err_timeout"),
        (DeviceCodeExpired("late"), "err_device_expired"),
        (IdTokenError("aud", "wrong"), "err_security"),
        (SessionExpired(EMAIL), "session_expired"),
        (ProviderError("500"), "err_provider"),
        (RuntimeError("a bug"), "err_unexpected"),
    ],
)
def test_errors_in_the_users_words(error: Exception, key: str) -> None:
    assert describe_error(error, Texts("fr")) == FRENCH[key]
    assert describe_error(error, Texts("en")) == ENGLISH[key]


def test_an_oauth_error_names_its_code() -> None:
    assert describe_error(OAuthError("invalid_client"), Texts("fr")).endswith("(invalid_client).")


def _placeholders(text: str) -> set[str]:
    return {part.split("}")[0] for part in text.split("{")[1:]}


def test_both_languages_say_the_same_things() -> None:
    assert FRENCH.keys() == ENGLISH.keys()
    for key in FRENCH:
        assert _placeholders(FRENCH[key]) == _placeholders(ENGLISH[key]), key


# The real services over a token cache: the 30 days are the client's, the clock the test's.


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("offline", request=request)


def _library_app(tmp_path: Path, clock: FrozenClock) -> tuple[App, TokenCache]:
    cache = TokenCache(tmp_path / "cache", protection=PlaintextProtection(), clock=clock)
    http = httpx.Client(transport=httpx.MockTransport(_unreachable))
    relying_party = RelyingParty(http, ISSUER, "sage-desktop", clock=clock)
    record = MigrationRecord(tmp_path / "state" / "desktop.json")
    services = LibraryServices(relying_party, cache, record, open_browser=lambda url: False)
    app = App()
    app.presenter = Presenter(services, app.runner, app.texts, open_url=lambda url: True)
    return app, cache


def _sign_in_entry(clock: FrozenClock) -> CacheEntry:
    return CacheEntry(
        issuer=ISSUER,
        client_id="sage-desktop",
        subject="user-marie",
        access_token="access",
        access_token_expires_at=clock.now() + 600,
        refresh_token="refresh",
        auth_time=clock.now(),
        claims=MARIE_CLAIMS,
        refresh_token_expires_at=clock.now() + 30 * DAY,
    )


def test_a_restart_keeps_the_sign_in_then_asks_again_after_30_days(tmp_path: Path) -> None:
    clock = FrozenClock()
    app, cache = _library_app(tmp_path, clock)
    cache.store(_sign_in_entry(clock))
    MigrationRecord(tmp_path / "state" / "desktop.json").remember(ISSUER, "sage-desktop", EMAIL)

    clock.advance(29 * DAY)  # restarted within the 30 days: the name, no question
    app.launch()
    assert app.state() is State.SIGNED_IN
    assert app.presenter.view.user_name == "Marie Martin"

    clock.advance(DAY + 1)  # restarted after them: the assistant asks to sign in again
    app, _ = _library_app(tmp_path, clock)
    app.launch()
    view = app.presenter.view
    assert view.state is State.SESSION_EXPIRED and view.assistant_open
    assert view.user_name is None and view.again is Again.EXPIRED
    assert view.email == EMAIL  # filled in from the migration record


def test_sign_out_forgets_the_sign_in_even_offline(tmp_path: Path) -> None:
    clock = FrozenClock()
    app, cache = _library_app(tmp_path, clock)
    cache.store(_sign_in_entry(clock))
    MigrationRecord(tmp_path / "state" / "desktop.json").remember(ISSUER, "sage-desktop", EMAIL)
    app.launch()
    app.presenter.sign_out_clicked()
    app.runner.finish()  # revocation fails (offline): best effort, the sign-out stands
    assert app.state() is State.LATER
    with pytest.raises(SignInRequired):
        cache.find(ISSUER, "sage-desktop")
    app, _ = _library_app(tmp_path, clock)
    app.launch()
    view = app.presenter.view  # migrated, signed out on purpose: « reconnectez-vous »
    assert view.state is State.SESSION_EXPIRED and view.again is Again.SIGNED_OUT
    assert view.email == EMAIL
