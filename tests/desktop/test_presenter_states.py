"""The states the user sees, each with its banner and its assistant (headless): first launch,
« Plus tard », migrated, and — once migrated — expired, revoked, signed out, each saying what
happened, with one button and the email of the last sign-in filled in. Then the email
typed in the assistant reaching the provider as `login_hint`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from client import (
    CallbackTimeout,
    PlaintextProtection,
    RelyingParty,
    SignInExpired,
    SignInRequired,
    SignInRevoked,
    TokenCache,
)
from client.desktop.i18n import ENGLISH, FRENCH, Texts
from client.desktop.model import Again, State, View
from client.desktop.presenter import Presenter
from client.desktop.seams import Cancellation, SessionExpired
from client.desktop.services import LibraryServices, MigrationRecord
from tests.client.helpers import FrozenClock, SigningKeys
from tests.client_e2e.fake_provider import FakeProvider

from .fakes import EMAIL, MARIE, FakeServices, ManualRunner

# Seed, étape 1, word for word; and the words the issue asks for once migrated.
NOT_MIGRATED = "Vous n'avez pas encore basculé sur la nouvelle authentification."
EXPIRED = "Votre session Sage ID a expiré\u00a0: reconnectez-vous."


def _launched(restored: object, language: str = "fr") -> tuple[Presenter, FakeServices]:
    services = FakeServices(restored=restored)  # type: ignore[arg-type]
    runner = ManualRunner()
    presenter = Presenter(services, runner, Texts(language), open_url=lambda url: True)
    presenter.launched()
    runner.finish()
    presenter.runner = runner  # type: ignore[attr-defined]
    return presenter, services


def _finish(presenter: Presenter) -> None:
    presenter.runner.finish()  # type: ignore[attr-defined]


def _assert_sign_in_again(view: View, again: Again, text_key: str) -> None:
    assert view.state is State.SESSION_EXPIRED and view.assistant_open
    assert view.again is again
    assert view.assistant_heading == FRENCH["expired_heading"]
    assert view.assistant_text == FRENCH[text_key]
    assert view.assistant_buttons == ("sign_in_again",)  # one button
    assert view.email == EMAIL  # from the last sign-in
    assert NOT_MIGRATED not in (view.banner_text or "")


def test_first_launch() -> None:
    presenter, _ = _launched(SignInRequired("none"))  # no migration record
    view = presenter.view
    assert view.state is State.ASSISTANT and view.again is None
    assert view.assistant_heading == FRENCH["welcome_heading"]
    assert view.assistant_text == FRENCH["welcome_text"]
    assert view.assistant_buttons == ("later", "start")
    assert not view.banner and view.banner_text is None  # the assistant says it all


def test_later_shows_the_seed_banner() -> None:
    presenter, _ = _launched(SignInRequired("none"))
    presenter.later_clicked()
    view = presenter.view
    assert view.state is State.LATER and view.banner
    assert view.banner_text == NOT_MIGRATED
    assert view.banner_action == FRENCH["banner_action"]
    presenter.edi_menu_clicked()  # the banner's button: the first-time assistant again
    assert presenter.view.state is State.ASSISTANT


def test_migrated() -> None:
    presenter, _ = _launched(MARIE)
    view = presenter.view
    assert view.state is State.SIGNED_IN and view.user_name == "Marie Martin"
    assert not view.banner and not view.assistant_open and view.again is None


def test_expired_at_launch() -> None:
    presenter, _ = _launched(SessionExpired(EMAIL, "expired"))
    _assert_sign_in_again(presenter.view, Again.EXPIRED, "expired_text")
    presenter.later_clicked()  # Escape, or closing it: the banner says why
    view = presenter.view
    assert view.banner and view.banner_text == EXPIRED
    assert view.banner_action == FRENCH["sign_in_again"]
    presenter.edi_menu_clicked()
    _assert_sign_in_again(presenter.view, Again.EXPIRED, "expired_text")


@pytest.mark.parametrize(
    ("error", "again", "text_key", "banner"),
    [
        (SignInExpired("30 days"), Again.EXPIRED, "expired_text", EXPIRED),
        (
            SignInRevoked("invalid_grant"),
            Again.REVOKED,
            "revoked_text",
            "Votre session Sage ID a été fermée\u00a0: reconnectez-vous.",
        ),
    ],
)
def test_expired_or_revoked_while_in_use(
    error: Exception, again: Again, text_key: str, banner: str
) -> None:
    presenter, services = _launched(MARIE)
    services.sent = error
    presenter.send_clicked()
    presenter.declaration_submitted("paie.dsn", "DSN", "C0001234")
    _finish(presenter)
    _assert_sign_in_again(presenter.view, again, text_key)
    presenter.later_clicked()
    assert presenter.view.banner_text == banner


def test_signed_out() -> None:
    presenter, services = _launched(MARIE)
    presenter.sign_out_clicked()
    _finish(presenter)
    view = presenter.view
    assert view.state is State.LATER and view.again is Again.SIGNED_OUT
    assert view.banner_text == FRENCH["banner_signed_out"]
    assert view.banner_action == FRENCH["sign_in_again"]
    presenter.edi_menu_clicked()
    _assert_sign_in_again(presenter.view, Again.SIGNED_OUT, "signed_out_text")
    # « Se reconnecter »: straight to the browser with the email, no first-time page.
    presenter.email_submitted(presenter.view.email)
    assert presenter.view.state is State.SIGNING_IN_BROWSER
    _finish(presenter)
    assert ("browser", EMAIL) in services.calls
    after = presenter.view
    assert after.state is State.SIGNED_IN and after.again is None


def test_signed_out_at_launch() -> None:
    presenter, _ = _launched(SessionExpired(EMAIL, "signed_out"))
    _assert_sign_in_again(presenter.view, Again.SIGNED_OUT, "signed_out_text")
    presenter.quit_requested()  # migrated: the exit asks nothing
    assert presenter.view.state is State.CLOSED


def test_english_banners() -> None:
    presenter, _ = _launched(SessionExpired(EMAIL, "expired"), language="en")
    presenter.later_clicked()
    assert presenter.view.banner_text == ENGLISH["banner_expired"]


# The email typed in the assistant reaches the provider as login_hint (so, with the
# provider's one-email-entry journey, the browser opens on the password page).


def test_the_email_is_the_login_hint(tmp_path: Path) -> None:
    clock = FrozenClock()
    provider = FakeProvider(clock, SigningKeys())
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        return True

    services = LibraryServices(
        RelyingParty(provider.http_client(), provider.issuer, provider.client_id, clock=clock),
        TokenCache(tmp_path / "cache", protection=PlaintextProtection(), clock=clock),
        MigrationRecord(tmp_path / "desktop.json"),
        open_browser=browser,
        browser_timeout=0.5,
    )
    cancellation = Cancellation()
    with pytest.raises(CallbackTimeout):  # nobody comes back: only the URL matters here
        services.sign_in_with_browser(EMAIL, lambda url: None, cancellation)
    query = parse_qs(urlsplit(opened[0]).query)
    assert query["login_hint"] == [EMAIL]
