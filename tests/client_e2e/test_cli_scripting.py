"""`sageid` in scripts and CI: JSON that always parses, `SAGEID_TOKEN` instead of the cache,
narrowed tokens, the storage warning said once, French under a French locale."""

from __future__ import annotations

import json

import pytest

from client._exit_codes import ExitCode
from client.cli import Runtime
from tests.client.helpers import START

from .fake_provider import FakeProvider
from .helpers import sageid, sign_in


@pytest.mark.parametrize("command", ["status", "whoami"])
def test_json_when_signed_out(runtime: Runtime, provider: FakeProvider, command: str) -> None:
    result = sageid(runtime, command, "--json")
    assert result.exit_code == ExitCode.SIGN_IN_REQUIRED
    data = json.loads(result.stdout)
    assert data["signed_in"] is False
    assert data["issuer"] == provider.issuer


def test_status_and_whoami_json_when_signed_in(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    status = json.loads(sageid(runtime, "status", "--json").stdout)
    assert status["signed_in"] is True
    assert status["email"] == provider.email
    assert status["signed_in_until"] == START + 10 + 30 * 86_400  # the provider's 30 days
    whoami = json.loads(sageid(runtime, "whoami", "--json").stdout)
    assert whoami["signed_in"] is True
    assert whoami["name"] == "Marie Martin"


def test_token_json(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    data = json.loads(sageid(runtime, "token", "--json").stdout)
    assert data == {
        "access_token": "at-1-user-1",
        "token_type": "Bearer",
        "expires_at": START + 10 + 600,
        "scope": "openid profile email offline_access referencing edi",
        "source": "cache",
    }


def test_token_narrowed_by_scope_and_audience(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    result = sageid(
        runtime, "token", "--scope", "openid edi", "--audience", "https://api.example", "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["access_token"] == "at-2-user-1-narrow"
    assert data["scope"] == "openid edi"
    assert provider.refresh_forms[-1]["scope"] == "openid edi"
    assert provider.refresh_forms[-1]["resource"] == "https://api.example"
    # The rotated refresh token is kept; the cached full token stays the one handed out.
    assert sageid(runtime, "token").stdout == "at-1-user-1\n"
    assert "rt-2-user-1" in provider.live_refresh_tokens
    provider.clock.advance(600)
    assert sageid(runtime, "token").stdout == "at-3-user-1\n"  # refreshed with rt-2


def test_environment_token_is_used_instead_of_the_cache(
    runtime: Runtime, provider: FakeProvider
) -> None:
    runtime.environ = {"SAGEID_TOKEN": "ci-token"}
    assert sageid(runtime, "token").stdout == "ci-token\n"
    data = json.loads(sageid(runtime, "token", "--json").stdout)
    assert (data["access_token"], data["source"]) == ("ci-token", "environment")
    assert json.loads(sageid(runtime, "status", "--json").stdout)["source"] == "environment"
    assert provider.requests == []  # no cache, no network for `token`
    assert runtime.cache_directory is not None
    assert not runtime.cache_directory.exists()
    refused = sageid(runtime, "token", "--scope", "openid")
    assert refused.exit_code == ExitCode.USAGE


def test_environment_token_for_whoami(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)  # the fake userinfo accepts the last access token issued
    runtime.environ = {"SAGEID_TOKEN": "at-1-user-1"}
    result = sageid(runtime, "whoami", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["email"] == provider.email
    auth = [r.headers.get("authorization") for r in provider.requests if r.url.path == "/userinfo"]
    assert auth[-1] == "Bearer at-1-user-1"


@pytest.mark.usefixtures("no_keyring")
def test_the_storage_warning_is_said_once_at_login(runtime: Runtime) -> None:
    login = sageid(runtime, "login", "--device", "--insecure-storage")  # after the command
    assert login.exit_code == 0, login.output
    assert login.stderr.count("UNENCRYPTED") == 1
    assert "WARNING" not in login.stderr
    for command in ("token", "status", "whoami"):
        result = sageid(runtime, "--insecure-storage", command)
        assert result.exit_code == 0, result.output
        assert "Warning" not in result.stderr, command


def test_scope_flag_environment_and_config(runtime: Runtime, provider: FakeProvider) -> None:
    def asked_scope() -> str:
        forms = [r for r in provider.requests if r.url.path == "/device_authorization"]
        return dict(item.split("=") for item in forms[-1].content.decode().split("&"))[
            "scope"
        ].replace("+", " ")

    assert runtime.config_path is not None
    runtime.config_path.write_text('scope = "openid email offline_access"\n')
    sign_in(runtime)
    assert asked_scope() == "openid email offline_access"
    runtime.environ = {"SAGEID_SCOPE": "openid profile offline_access"}
    sign_in(runtime)
    assert asked_scope() == "openid profile offline_access"
    assert sageid(runtime, "login", "--device", "--scope", "openid").exit_code == 0
    assert asked_scope() == "openid"
    bad = sageid(runtime, "login", "--device", "--scope", "profile email")
    assert bad.exit_code == ExitCode.CONFIG
    assert "openid" in bad.stderr


def test_french_under_a_french_locale(runtime: Runtime, provider: FakeProvider) -> None:
    runtime.environ = {"DISPLAY": ":0", "LANG": "fr_FR.UTF-8"}
    login = sageid(runtime, "login", "--device")
    assert login.exit_code == 0, login.output
    assert "Pour vous connecter, ouvrez" in login.stdout
    assert "Connecté en tant que Marie Martin" in login.stdout
    assert "(dans 30 jours)" in login.stdout
    status = sageid(runtime, "status").stdout
    assert "Connecté jusqu'au" in status
    whoami = sageid(runtime, "whoami").stdout
    assert "Email :" in whoami and "(vérifié)" in whoami
    assert "— profil Administrateur, administrateur (par notification_email" in whoami
    signed_out = sageid(runtime, "logout")
    assert "Déconnexion de Marie Martin" in signed_out.stdout
    error = sageid(runtime, "token")
    assert error.exit_code == ExitCode.SIGN_IN_REQUIRED
    assert "Erreur :" in error.stderr
    assert "sageid login" in error.stderr


def test_english_otherwise(runtime: Runtime) -> None:
    runtime.environ = {"DISPLAY": ":0", "LANG": "de_DE.UTF-8"}
    assert "Signed in as" in sageid(runtime, "login", "--device").stdout
