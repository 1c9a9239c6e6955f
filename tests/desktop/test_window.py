"""The real window under Xvfb. `sageid-desktop` itself, as a process against the real provider
on a loopback port: the assistant at first launch, the name menu after a sign-in made
beforehand through the library. Then the same window in this process, its widgets clicked
through the whole journey. Screenshots go to test-artifacts/desktop/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from client import (
    DeviceAuthorization,
    Identity,
    PlaintextProtection,
    RelyingParty,
    SignInRevoked,
    TokenCache,
    default_cache_directory,
    default_http_client,
    login_with_browser,
)
from client.desktop.app import READY_FILE_ENV, MainWindow, TkRunner
from client.desktop.i18n import FRENCH, Texts
from client.desktop.model import State
from client.desktop.presenter import Presenter
from client.desktop.seams import Cancellation, SessionExpired, SignInCancelled
from tests.client_e2e.drivers import FormBrowser
from tests.conftest import LiveServer
from tests.support import EMAIL, NATIVE_ID

from .fakes import DEVICE, ISSUER, MARIE, FakeServices

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "desktop"
Box = tuple[int, int, int, int]
# Seed, étape 1, word for word.
SEED_BANNER = "Vous n'avez pas encore basculé sur la nouvelle authentification."


@pytest.fixture(scope="module")
def screenshots() -> Path:
    if shutil.which("import") is None:
        pytest.skip("ImageMagick is not installed (make test installs it: scripts/system-deps.sh)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def screenshot(display: str, boxes: list[Box], path: Path) -> Path:
    """The part of the screen the app's windows cover, saved as `path`; checked not blank."""
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    crop = f"{right - left}x{bottom - top}+{left}+{top}"
    command = ["import", "-display", display, "-window", "root", "-crop", crop, str(path)]
    subprocess.run(command, check=True, timeout=30, capture_output=True)
    colours = subprocess.run(
        ["identify", "-format", "%k", str(path)], check=True, capture_output=True, text=True
    )
    assert int(colours.stdout) > 16, f"{path} looks blank"
    return path


class DesktopProcess:
    """`python -m client.desktop` on `display`, reporting its state in a ready file."""

    def __init__(self, display: str, issuer: str, folder: Path) -> None:
        self.display = display
        self.ready = folder / "ready.json"
        self.log = folder / "desktop.log"
        env = {
            **_environ(),
            "DISPLAY": display,
            READY_FILE_ENV: str(self.ready),
            # No OS keyring in the app's process (never the developer's): the test stores
            # the sign-in unencrypted, and so does the app (--insecure-storage).
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "LANG": "C.UTF-8",
        }
        command = [sys.executable, "-m", "client.desktop", "--issuer", issuer]
        command += ["--client-id", NATIVE_ID, "--insecure-storage"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_for(self, state: State, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited: {self.log.read_text()}")
            if self.ready.exists():
                report: dict[str, Any] = json.loads(self.ready.read_text())
                if report["state"] == state.value:
                    return report
            time.sleep(0.1)
        raise AssertionError(f"the app never reached {state}: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "DISPLAY"))}


@pytest.fixture
def desktop(xvfb: str, tmp_path: Path) -> Iterator[Callable[[str], DesktopProcess]]:
    started: list[DesktopProcess] = []

    def start(issuer: str) -> DesktopProcess:
        started.append(DesktopProcess(xvfb, issuer, tmp_path))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def test_the_assistant_at_first_launch(
    live_provider: LiveServer,
    desktop: Callable[[str], DesktopProcess],
    screenshots: Path,
) -> None:
    app = desktop(live_provider.url)
    report = app.wait_for(State.ASSISTANT)
    assert report["assistant"] and report["user_name"] is None and len(report["windows"]) == 2
    screenshot(app.display, report["windows"], screenshots / "01-assistant.png")


def test_the_name_menu_after_a_sign_in_kept_from_before(
    live_provider: LiveServer,
    desktop: Callable[[str], DesktopProcess],
    screenshots: Path,
) -> None:
    # Signed in earlier through the library (the browser played over HTTP), into the cache
    # the app finds at launch: seed, étape 4, « conservée pendant 30 jours ».
    cache = TokenCache(default_cache_directory(), protection=PlaintextProtection())
    browser = FormBrowser()
    with default_http_client() as http:
        relying_party = RelyingParty(http, live_provider.url, NATIVE_ID)
        login_with_browser(relying_party, cache, open_browser=browser, login_hint=EMAIL, timeout=30)
    browser.join()

    app = desktop(live_provider.url)
    report = app.wait_for(State.SIGNED_IN)
    assert report["user_name"] == "Marie Martin"
    assert not report["assistant"] and not report["banner"]
    screenshot(app.display, report["windows"], screenshots / "02-signed-in.png")


# The same window in this process, clicked through the journey with scripted services.


class SlowServices(FakeServices):
    """Sign-ins that take their time, as a person in a browser or on a phone does."""

    def __init__(self) -> None:
        super().__init__()
        self.approved = threading.Event()

    def sign_in_with_browser(
        self, email: str, show_url: Callable[[str], None], cancellation: Cancellation
    ) -> Identity:
        self.calls.append(("browser", email))
        show_url(self.browser_url)
        cancellation.wait(30)
        raise SignInCancelled()

    def sign_in_with_device(
        self, show: Callable[[DeviceAuthorization], None], cancellation: Cancellation
    ) -> Identity:
        self.calls.append(("device",))
        show(DEVICE)
        if not self.approved.wait(30):
            raise AssertionError("never approved")
        return MARIE


def pump(root: tk.Tk, condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the window did not get there in time"
        root.update()
        time.sleep(0.01)
    root.update()


def boxes(*windows: tk.Misc | None) -> list[Box]:
    shown = [w for w in windows if w is not None and w.winfo_ismapped()]
    return [(w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()) for w in shown]


def press(root: tk.Tk, window: tk.Misc, key: str) -> None:
    """Press `key` as the keyboard would, in `window` (given the focus first)."""
    window.focus_force()
    root.update()
    target = window.focus_get() or window
    target.event_generate(f"<{key}>")
    root.update()


def test_the_window_through_the_whole_journey(xvfb: str, screenshots: Path, tmp_path: Path) -> None:
    services = SlowServices()
    opened: list[str] = []
    root = tk.Tk(screenName=xvfb)
    try:
        texts = Texts("fr")
        presenter = Presenter(services, TkRunner(root), texts, open_url=opened.append)
        window = MainWindow(root, presenter, texts)
        assistant, send = window.assistant, window.send_dialog
        presenter.launched()
        pump(root, lambda: assistant.window is not None and assistant.window.winfo_viewable())
        assert assistant.default is assistant.buttons["start"]  # Return presses « Commencer »
        screenshot(xvfb, boxes(root, assistant.window), screenshots / "10-first-launch.png")

        assert assistant.window is not None
        press(root, assistant.window, "Escape")  # Escape is « Plus tard »: the yellow banner
        pump(root, lambda: window.banner.winfo_ismapped() == 1)
        assert assistant.window is None
        assert window.banner_label.cget("text") == SEED_BANNER
        screenshot(xvfb, boxes(root), screenshots / "03-later-banner.png")

        window.banner_button.invoke()
        pump(root, lambda: "start" in assistant.buttons)
        assert assistant.window is not None
        press(root, assistant.window, "Return")  # « Commencer » by the keyboard
        pump(root, lambda: "continue" in assistant.buttons)
        assistant.email.set(EMAIL)
        press(root, assistant.window, "Return")  # in the email field: « Continuer »
        pump(root, lambda: presenter.view.browser_url is not None)
        assert ("browser", EMAIL) in services.calls

        assistant.buttons["use_code"].invoke()  # « use a code instead »: the device flow
        pump(root, lambda: assistant.qr is not None)
        screenshot(xvfb, boxes(root, assistant.window), screenshots / "04-device-code.png")

        services.approved.set()  # the phone approved
        pump(root, lambda: window.name_button.winfo_ismapped() == 1)
        assert window.name_button.cget("text") == "Marie Martin"
        assert not window.edi_button.winfo_ismapped() and not window.banner.winfo_ismapped()
        window.name_menu.post(
            window.name_button.winfo_rootx(),
            window.name_button.winfo_rooty() + window.name_button.winfo_height(),
        )
        pump(root, lambda: window.name_menu.winfo_ismapped() == 1)
        shot = screenshots / "05-name-menu.png"
        screenshot(xvfb, boxes(root, window.name_menu), shot)
        window.name_menu.unpost()
        assert window.name_menu.entrycget(0, "label") == FRENCH["menu_tracking"]
        window.name_menu.invoke(0)
        pump(root, lambda: bool(opened))
        assert opened == [f"{ISSUER}/portal"]

        window.send_button.invoke()
        pump(root, lambda: send.window is not None and send.window.winfo_viewable() == 1)
        send.file.set(str(tmp_path / "paie-2026-01.dsn"))
        assert send.window is not None
        send.window.focus_force()
        root.update()
        send.window.event_generate("<Return>")  # the focus on a field: Return sends
        pump(root, lambda: "Boulangerie Martin" in str(presenter.view.message))
        assert "Déclaration DSN reçue pour Boulangerie Martin (C0001234)" in str(
            presenter.view.message
        )
        # Sent: *Envoyer* stays disabled for this file (no double send by a second click).
        assert str(send.buttons["send_submit"].cget("state")) == "disabled"
        screenshot(xvfb, boxes(root, send.window), screenshots / "06-declaration-sent.png")
        assert services.calls[-1][1:] == (tmp_path / "paie-2026-01.dsn", "DSN", "C0001234")
        press(root, send.window, "Escape")
        pump(root, lambda: send.window is None)

        window.name_menu.invoke(1)  # « Se déconnecter »
        pump(root, lambda: window.edi_button.winfo_ismapped() == 1)
        assert window.banner.winfo_ismapped()
        assert window.banner_label.cget("text") == FRENCH["banner_signed_out"]
        screenshot(xvfb, boxes(root), screenshots / "07-signed-out-banner.png")
        window.banner_button.invoke()  # « Se reconnecter »
        pump(root, lambda: "sign_in_again" in assistant.buttons)
        assert assistant.email.get() == EMAIL  # pre-filled from the last sign-in
        assert set(assistant.buttons) == {"sign_in_again", "use_code"}  # one button, one link
        shot = screenshots / "08-signed-out-sign-in-again.png"
        screenshot(xvfb, boxes(root, assistant.window), shot)
        assert assistant.window is not None
        press(root, assistant.window, "Escape")
        pump(root, lambda: assistant.window is None)

        presenter.quit_requested()  # migrated: no assistant at exit, the exit
        assert window.closed
    finally:
        if not window_closed(root):
            root.destroy()


@pytest.mark.parametrize(
    ("restored", "sent", "name"),
    [
        (SessionExpired(EMAIL, "expired"), None, "11-expired"),
        (MARIE, SignInRevoked("invalid_grant"), "12-revoked"),
    ],
)
def test_sign_in_again_states(
    xvfb: str, screenshots: Path, restored: object, sent: Exception | None, name: str
) -> None:
    services = FakeServices(restored=restored)  # type: ignore[arg-type]
    if sent is not None:
        services.sent = sent
    root = tk.Tk(screenName=xvfb)
    try:
        texts = Texts("fr")
        presenter = Presenter(services, TkRunner(root), texts, open_url=lambda url: True)
        window = MainWindow(root, presenter, texts)
        assistant = window.assistant
        presenter.launched()
        if sent is not None:
            pump(root, lambda: window.name_button.winfo_ismapped() == 1)
            presenter.send_clicked()
            presenter.declaration_submitted("paie.dsn", "DSN", "C0001234")
        pump(root, lambda: "sign_in_again" in assistant.buttons)
        assert assistant.email.get() == EMAIL
        screenshot(xvfb, boxes(root, assistant.window), screenshots / f"{name}-assistant.png")
        assert assistant.window is not None
        press(root, assistant.window, "Escape")
        pump(root, lambda: window.banner.winfo_ismapped() == 1)
        assert window.banner_label.cget("text") == presenter.view.banner_text
        assert "pas encore basculé" not in window.banner_label.cget("text")
        screenshot(xvfb, boxes(root), screenshots / f"{name}-banner.png")
        assert assistant.window is None
        window.banner_button.invoke()
        pump(root, lambda: assistant.window is not None)
        assert assistant.window is not None
        press(root, assistant.window, "Return")  # « Se reconnecter », the only button
        pump(root, lambda: ("browser", EMAIL) in services.calls)
    finally:
        if not window_closed(root):
            root.destroy()


def window_closed(root: tk.Tk) -> bool:
    try:
        root.winfo_exists()
    except tk.TclError:
        return True
    return False
