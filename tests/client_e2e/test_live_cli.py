"""`sageid` end to end against the real provider: what a user types after `make run`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import Result

from client import AccessTokenAuth, DPoPProofs, SystemClock, TokenCache, installation_key
from client._exit_codes import ExitCode
from client.cli import Runtime
from tests.conftest import LiveServer, free_port
from tests.support import EMAIL, NATIVE_ID

from .drivers import (
    CUSTOMER_CODE,
    CUSTOMER_NAME,
    FormBrowser,
    Phone,
    PushedRequests,
    introspect,
    only_pushed_reference,
)
from .helpers import sageid


def live_runtime(live_provider: LiveServer, tmp_path: Path, **changes: object) -> Runtime:
    """The CLI pointed at the live provider through the environment, with private folders."""
    runtime = Runtime(
        environ={"SAGEID_ISSUER": live_provider.url, "SAGEID_CLIENT_ID": NATIVE_ID},
        config_path=tmp_path / "config.toml",
        cache_directory=tmp_path / "cache",
        callback_timeout=30,
    )
    for name, value in changes.items():
        setattr(runtime, name, value)
    return runtime


def device_login(
    live_provider: LiveServer, tmp_path: Path, decision: str = "approve"
) -> tuple[Runtime, Result]:
    """`sageid login --device`, the code approved (or denied) on the user's phone; the
    runtime keeps talking to the provider through the phone's HTTP client."""
    phone = Phone(live_provider.url, decision=decision)
    runtime = live_runtime(
        live_provider, tmp_path, http_factory=phone.http_client, sleep=phone.sleep
    )
    try:
        login = sageid(runtime, "login", "--device")
    finally:
        phone.join()
    return runtime, login


def test_device_login_whoami_token_status_logout(live_provider: LiveServer, tmp_path: Path) -> None:
    runtime, login = device_login(live_provider, tmp_path)
    assert login.exit_code == 0, login.output
    assert f"{live_provider.url}/device" in login.stdout
    assert f"Signed in as Marie Martin <{EMAIL}>" in login.stdout

    whoami = sageid(runtime, "whoami")
    assert whoami.exit_code == 0, whoami.output
    assert EMAIL in whoami.stdout
    assert f"{CUSTOMER_CODE}  {CUSTOMER_NAME}" in whoami.stdout  # the `referencing` claim

    token = sageid(runtime, "token")
    assert token.exit_code == 0, token.output
    access_token = token.stdout.strip()
    as_json = json.loads(sageid(runtime, "token", "--json").stdout)
    assert as_json["access_token"] == access_token and as_json["token_type"] == "DPoP"
    # The provider advertises DPoP: the token is bound to the installation's key, so it
    # is refused as a bearer token and taken with a proof by that key.
    userinfo = f"{live_provider.url}/userinfo"
    bearer = httpx.get(userinfo, headers={"Authorization": f"Bearer {access_token}"})
    assert bearer.status_code == 401
    proofs = DPoPProofs(installation_key(TokenCache(tmp_path / "cache")))
    info = httpx.get(userinfo, auth=AccessTokenAuth(access_token, proofs))
    assert info.status_code == 200 and info.json()["email"] == EMAIL

    status = sageid(runtime, "status")
    assert status.exit_code == 0, status.output
    assert "in 30 days" in status.stdout or "in 29 days" in status.stdout

    cache = TokenCache(runtime.cache_directory, clock=SystemClock())
    refresh_token = cache.find(live_provider.url, NATIVE_ID).refresh_token
    assert refresh_token is not None
    logout = sageid(runtime, "logout")
    assert logout.exit_code == 0, logout.output
    assert "revoked at the provider" in logout.stdout
    assert introspect(live_provider.url, refresh_token) == {"active": False}
    assert sageid(runtime, "token").exit_code == ExitCode.SIGN_IN_REQUIRED


def test_device_login_denied(live_provider: LiveServer, tmp_path: Path) -> None:
    _, login = device_login(live_provider, tmp_path, decision="deny")
    assert login.exit_code == ExitCode.DENIED, login.output
    assert "access_denied" in login.stderr


def test_browser_login_with_email(live_provider: LiveServer, tmp_path: Path) -> None:
    browser = FormBrowser()
    pushed: list[PushedRequests] = []

    def http_factory() -> httpx.Client:
        pushed.append(PushedRequests(httpx.Client(timeout=10)))
        return pushed[-1].http

    runtime = live_runtime(live_provider, tmp_path, open_browser=browser, http_factory=http_factory)
    try:
        login = sageid(runtime, "login", "--browser", "--email", EMAIL)
    finally:
        browser.join()
    assert login.exit_code == 0, login.output
    # The provider advertises PAR: the request went over the back channel.
    assert only_pushed_reference(browser.urls[0], NATIVE_ID)
    [form] = [form for recorder in pushed for form in recorder.forms]
    assert form["login_hint"] == EMAIL and form["client_id"] == NATIVE_ID
    assert EMAIL in sageid(runtime, "whoami").stdout


def test_provider_down(tmp_path: Path) -> None:
    runtime = Runtime(
        environ={"SAGEID_ISSUER": f"http://127.0.0.1:{free_port()}"},
        config_path=tmp_path / "config.toml",
        cache_directory=tmp_path / "cache",
    )
    login = sageid(runtime, "login", "--device")
    assert login.exit_code == ExitCode.UNREACHABLE, login.output
    assert "Is the provider running" in login.stderr


def test_submit_then_list_submissions(live_provider: LiveServer, tmp_path: Path) -> None:
    """Seed, step 4: a declaration sent from the app shows up in Sage EDI Online."""
    runtime, login = device_login(live_provider, tmp_path)
    assert login.exit_code == 0, login.output
    declaration = tmp_path / "dsn-2026-11.dsn"
    declaration.write_text("S10.G00.00.001,'Sage Paie'\nS10.G00.00.002,'2026.11'\n")

    sent = sageid(runtime, "submit", str(declaration), "--kind", "dsn")
    assert sent.exit_code == 0, sent.output
    assert f"{live_provider.url}/portal" in sent.stdout
    listed = sageid(runtime, "submissions")
    assert listed.exit_code == 0, listed.output
    assert "dsn-2026-11.dsn" in listed.stdout and CUSTOMER_CODE in listed.stdout

    refused = sageid(runtime, "submit", str(declaration), "--kind", "DSN", "--customer", "C0009999")
    assert refused.exit_code == ExitCode.REFUSED, refused.output
