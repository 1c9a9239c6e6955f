"""`sageid` against the scripted provider: what each command does and shows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import httpx
import pytest

from client import REFRESH_TOKEN_LIFETIME
from client._exit_codes import ExitCode
from client.cli import Runtime
from tests.client.helpers import START, FrozenClock

from .fake_provider import USER_CODE, FakeProvider
from .helpers import LoopbackVisitor, cache_of, sageid, sign_in

MARIE = "Marie Martin <marie.martin@example.com>"


def test_device_login_shows_the_code_and_a_qr_code(
    runtime: Runtime, provider: FakeProvider, clock: FrozenClock
) -> None:
    result = sign_in(runtime)
    assert USER_CODE in result.stdout
    assert "http://127.0.0.1:8000/device" in result.stdout
    assert "▀" in result.stdout or "▄" in result.stdout  # the QR code, in half blocks
    assert f"Signed in as {MARIE}" in result.stdout
    assert "(in 30 days)" in result.stdout
    # Two polls, each after the 5 s interval: pending, then the tokens.
    assert provider.polls == 2
    assert clock.now() == START + 10
    assert cache_of(runtime).find(provider.issuer, provider.client_id).subject == "user-1"


def test_device_login_honours_slow_down(
    runtime: Runtime, provider: FakeProvider, clock: FrozenClock
) -> None:
    provider.device_answers = ["slow_down", "authorization_pending"]
    sign_in(runtime)
    assert provider.polls == 3
    assert clock.now() == START + 5 + 10 + 10  # RFC 8628 §3.5: +5 s per slow_down


def test_device_flow_is_the_default_without_a_display(
    runtime: Runtime, provider: FakeProvider
) -> None:
    runtime.environ = {}
    runtime.platform = "linux"
    result = sageid(runtime, "login")
    assert result.exit_code == 0, result.output
    assert USER_CODE in result.stdout


def test_browser_login(runtime: Runtime, provider: FakeProvider) -> None:
    browser = LoopbackVisitor(provider)
    runtime.open_browser = browser
    result = sageid(runtime, "login", "--browser", "--email", "marie@example.com", "--create")
    browser.join()
    assert result.exit_code == 0, result.output
    [url] = browser.urls
    params = httpx.URL(url).params
    assert params["login_hint"] == "marie@example.com"
    assert params["prompt"] == "create"
    assert params["redirect_uri"].startswith("http://127.0.0.1:")
    assert url in result.stdout  # printed for when no browser opens
    assert browser.pages[0].status_code == 200
    assert f"Signed in as {MARIE}" in result.stdout


def test_browser_is_the_default_on_a_desktop(runtime: Runtime, provider: FakeProvider) -> None:
    browser = LoopbackVisitor(provider)
    runtime.open_browser = browser
    result = sageid(runtime, "login")
    browser.join()
    assert result.exit_code == 0, result.output
    assert len(browser.urls) == 1


def test_whoami_shows_the_customer_accounts(runtime: Runtime) -> None:
    sign_in(runtime)
    result = sageid(runtime, "whoami")
    assert result.exit_code == 0, result.output
    for shown in ("Marie Martin", "marie.martin@example.com", "BOUL-0001", "Administrateur"):
        assert shown in result.stdout


def test_whoami_json(runtime: Runtime) -> None:
    sign_in(runtime)
    result = sageid(runtime, "whoami", "--json")
    identity = json.loads(result.stdout)
    assert identity["email"] == "marie.martin@example.com"
    [account] = identity["referencing"]["accounts"]
    assert account["customer_code"] == "BOUL-0001" and account["is_admin"] is True


def test_whoami_without_referencing_claim(runtime: Runtime, provider: FakeProvider) -> None:
    provider.userinfo_claims = {}
    sign_in(runtime)
    result = sageid(runtime, "whoami")
    assert "no `referencing` claim" in result.stdout


def test_whoami_offline_shows_the_sign_in_claims(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    provider.unreachable = True
    result = sageid(runtime, "whoami")
    assert result.exit_code == 0, result.output
    assert "Offline" in result.stderr
    assert "Marie Martin" in result.stdout


def test_token_prints_only_the_token(runtime: Runtime) -> None:
    sign_in(runtime)
    result = sageid(runtime, "token")
    assert result.exit_code == 0
    assert result.stdout == "at-1-user-1\n"


def test_token_refreshes_when_less_than_a_minute_is_left(
    runtime: Runtime, provider: FakeProvider, clock: FrozenClock
) -> None:
    sign_in(runtime)
    clock.advance(600 - 61)
    assert sageid(runtime, "token").stdout == "at-1-user-1\n"  # 61 s left: still good
    clock.advance(2)  # 59 s left: renewed
    assert sageid(runtime, "token").stdout == "at-2-user-1\n"
    assert provider.live_refresh_tokens == {"rt-2-user-1"}  # rotated
    assert sageid(runtime, "token").stdout == "at-2-user-1\n"  # cached now


def test_status_says_until_when(runtime: Runtime, clock: FrozenClock) -> None:
    sign_in(runtime)
    clock.advance(3600)
    result = sageid(runtime, "status")
    assert result.exit_code == 0, result.output
    assert f"Signed in as {MARIE}" in result.stdout
    assert "in 29 days" in result.stdout  # 30 days from the sign-in, an hour ago
    assert "expired (renewed on next use)" in result.stdout
    assert "encrypted, key in the OS keyring" in result.stdout
    status = json.loads(sageid(runtime, "status", "--json").stdout)
    assert status["signed_in_until"] == status["auth_time"] + REFRESH_TOKEN_LIFETIME
    assert status["auth_time"] == int(START + 10)


def test_logout_revokes_and_forgets(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    result = sageid(runtime, "logout")
    assert result.exit_code == 0, result.output
    assert provider.revoked == ["rt-1-user-1"]
    assert "revoked at the provider" in result.stdout
    assert sageid(runtime, "token").exit_code == ExitCode.SIGN_IN_REQUIRED


def test_logout_offline_still_forgets(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    provider.unreachable = True
    result = sageid(runtime, "logout")
    assert result.exit_code == 0, result.output
    assert "Could not revoke" in result.stderr
    assert "revoked at the provider" not in result.stdout
    assert cache_of(runtime).entries() == []


def test_logout_end_session_opens_the_provider(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    id_token = cache_of(runtime).find(provider.issuer, provider.client_id).id_token
    opened: list[str] = []

    def open_browser(url: str) -> bool:
        opened.append(url)
        return True

    runtime.open_browser = open_browser
    result = sageid(runtime, "logout", "--end-session")
    assert result.exit_code == 0, result.output
    [url] = opened
    params = httpx.URL(url).params
    assert url.startswith("http://127.0.0.1:8000/logout?")
    assert params["id_token_hint"] == id_token and params["client_id"] == provider.client_id


def test_logout_when_signed_out(runtime: Runtime) -> None:
    result = sageid(runtime, "logout")
    assert result.exit_code == 0
    assert "Not signed in" in result.stdout


def test_signing_in_again_revokes_the_replaced_sign_in(
    runtime: Runtime, provider: FakeProvider
) -> None:
    sign_in(runtime)
    result = sign_in(runtime)
    assert "Signed out" not in result.stdout  # the same account
    assert provider.revoked == ["rt-1-user-1"]
    assert sageid(runtime, "token").stdout == "at-2-user-1\n"


@pytest.mark.usefixtures("no_keyring")
def test_insecure_storage_says_so_loudly(runtime: Runtime) -> None:
    result = sageid(runtime, "--insecure-storage", "login", "--device")
    assert result.exit_code == 0, result.output
    assert "UNENCRYPTED" in result.stderr
    status = sageid(runtime, "--insecure-storage", "status")
    assert "UNENCRYPTED (--insecure-storage)" in status.stdout
    assert "at-1-user-1" in (runtime.cache_directory / "tokens.cache").read_text()  # type: ignore[operator]


@pytest.mark.usefixtures("no_keyring")
def test_insecure_storage_from_the_config_file(runtime: Runtime) -> None:
    assert runtime.config_path is not None
    runtime.config_path.write_text("insecure_storage = true\n")
    result = sageid(runtime, "login", "--device")
    assert result.exit_code == 0, result.output
    assert "UNENCRYPTED" in result.stderr


@pytest.mark.usefixtures("no_keyring")
def test_passphrase_fallback(runtime: Runtime) -> None:
    runtime.environ = {"DISPLAY": ":0", "SAGEID_CACHE_PASSPHRASE": "correct horse battery"}
    result = sign_in(runtime)
    assert "SAGEID_CACHE_PASSPHRASE" in result.stderr  # a warning, not silence
    status = sageid(runtime, "status")
    assert "derived from SAGEID_CACHE_PASSPHRASE" in status.stdout
    assert "at-1-user-1" not in (runtime.cache_directory / "tokens.cache").read_text()  # type: ignore[operator]


def test_issuer_and_client_id_flags_select_the_cache_entry(runtime: Runtime) -> None:
    sign_in(runtime)
    other = sageid(runtime, "token", "--client-id", "another-app")
    assert other.exit_code == ExitCode.SIGN_IN_REQUIRED
    assert "another-app" in other.stderr
    same = sageid(runtime, "token", "--issuer", "http://127.0.0.1:8000/")  # trailing slash
    assert same.exit_code == 0, same.output


def test_client_id_from_the_environment(runtime: Runtime, provider: FakeProvider) -> None:
    provider.client_id = "desktop-test"
    runtime = replace(runtime, environ={"DISPLAY": ":0", "SAGEID_CLIENT_ID": "desktop-test"})
    sign_in(runtime)
    assert cache_of(runtime).find(provider.issuer, "desktop-test").subject == "user-1"


def test_help_documents_every_exit_code(runtime: Runtime) -> None:
    for args in ([], ["login"], ["token"]):
        shown = sageid(runtime, *args, "--help").stdout
        for code in ExitCode:
            assert re.search(rf"^ +{code.value}  [a-z]", shown, re.MULTILINE), (code, args)


def test_console_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from client.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sageid, version ")
