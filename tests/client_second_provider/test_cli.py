"""`sageid` against a provider that is not Sage ID (Authlib's server, see `provider.py`): both
sign-in flows with its own scopes, the name from userinfo, its one-day sign-in."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from client._exit_codes import ExitCode
from client.cli import Runtime, cli

from .conftest import Browser
from .provider import SIGN_IN_LIFETIME, SecondProvider

ITS_SCOPES = "openid profile email offline_access"
ALICE = "Alice Liddell <alice@acme.example>"


def sageid(runtime: Runtime, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj=runtime, catch_exceptions=False)


def _asked(provider: SecondProvider, path: str) -> dict[str, str]:
    return [params for _, where, params in provider.store.requests if where == path][-1]


def test_device_flow_with_its_scopes(runtime: Runtime, provider: SecondProvider) -> None:
    result = sageid(runtime, "login", "--device", "--scope", ITS_SCOPES)
    assert result.exit_code == 0, result.output
    assert f"Signed in as {ALICE}" in result.stdout  # the name came from userinfo
    assert "(in 1 day)" in result.stdout  # its refresh_token_expires_in, not Sage's 30 days
    assert _asked(provider, "/device/code")["scope"] == ITS_SCOPES


def test_browser_flow_with_the_scope_from_the_environment(
    runtime: Runtime, provider: SecondProvider, browser: Browser
) -> None:
    runtime.environ = {**runtime.environ, "SAGEID_SCOPE": "openid profile offline_access"}
    result = sageid(runtime, "login", "--browser", "--email", "alice@acme.example")
    browser.join()
    assert result.exit_code == 0, result.output
    assert "Signed in as Alice Liddell" in result.stdout
    asked = _asked(provider, "/authorize")
    assert asked["scope"] == "openid profile offline_access"
    assert asked["login_hint"] == "alice@acme.example"
    assert asked["code_challenge_method"] == "S256"


def test_whoami_and_status(runtime: Runtime, provider: SecondProvider) -> None:
    before = time.time()
    assert sageid(runtime, "login", "--device", "--scope", ITS_SCOPES).exit_code == 0
    whoami = sageid(runtime, "whoami")
    assert whoami.exit_code == 0, whoami.output
    assert "Alice Liddell" in whoami.stdout and "usr_alice_0001" in whoami.stdout
    assert "not shared by the provider" in whoami.stdout  # no Sage `referencing` claim
    status = sageid(runtime, "status")
    assert "in 1 day" in status.stdout and "30 days" not in status.stdout
    data = json.loads(sageid(runtime, "status", "--json").stdout)
    assert data["name"] == "Alice Liddell" and data["subject"] == "usr_alice_0001"
    assert (
        before + SIGN_IN_LIFETIME - 5 <= data["signed_in_until"] <= time.time() + SIGN_IN_LIFETIME
    )


def test_its_scope_list_is_its_own(runtime: Runtime, provider: SecondProvider) -> None:
    # Sage ID's scopes by default: this provider refuses `referencing` and `edi` at once.
    refused = sageid(runtime, "login", "--device")
    assert refused.exit_code == ExitCode.PROVIDER, refused.output
    assert "invalid_scope" in refused.stderr


def test_tokens_narrowed_and_revoked(runtime: Runtime, provider: SecondProvider) -> None:
    assert sageid(runtime, "login", "--device", "--scope", ITS_SCOPES).exit_code == 0
    token = sageid(runtime, "token").stdout.strip()
    assert token.startswith("acme-at-")
    narrowed = json.loads(sageid(runtime, "token", "--scope", "openid email", "--json").stdout)
    assert narrowed["scope"] == "openid email" and narrowed["access_token"] != token
    assert sageid(runtime, "token").stdout.strip() == token  # the cached one is kept
    result = sageid(runtime, "logout")
    assert "revoked at the provider" in result.stdout
    assert all(t.revoked for t in provider.store.tokens if t.refresh_token)


@pytest.mark.parametrize("flow", ["--device", "--browser"])
def test_the_config_file_scope(
    runtime: Runtime, provider: SecondProvider, browser: Browser, flow: str
) -> None:
    assert runtime.config_path is not None
    runtime.config_path.write_text(f'scope = "{ITS_SCOPES}"\n')
    result = sageid(runtime, "login", flow)
    browser.join()
    assert result.exit_code == 0, result.output
    assert "(in 1 day)" in result.stdout


def test_bearer_tokens_without_dpop_and_no_pushed_request(
    runtime: Runtime, provider: SecondProvider, browser: Browser, tmp_path: Path
) -> None:
    """Its discovery names neither `dpop_signing_alg_values_supported` nor a PAR endpoint:
    the front-channel request as before, bearer tokens, not one proof, no key made."""
    metadata = provider.metadata()
    assert "dpop_signing_alg_values_supported" not in metadata
    assert "pushed_authorization_request_endpoint" not in metadata
    result = sageid(runtime, "login", "--browser", "--scope", ITS_SCOPES)
    browser.join()
    assert result.exit_code == 0, result.output
    assert "code_challenge" in _asked(provider, "/authorize")  # the request itself, in the URL
    whoami = sageid(runtime, "whoami")  # its userinfo takes only `Bearer`
    assert whoami.exit_code == 0 and "Alice Liddell" in whoami.stdout
    token = json.loads(sageid(runtime, "token", "--json").stdout)
    assert token["token_type"] == "Bearer"
    assert provider.store.dpop_headers == 0
    assert list((tmp_path / "cache").glob("*.secret")) == []
