"""Several accounts at one provider (as `gh auth switch`): `--account`, `accounts list`,
`accounts switch`; signing in as another account keeps the first one."""

from __future__ import annotations

import json

from client._exit_codes import ExitCode
from client.cli import Runtime

from .fake_provider import FakeProvider
from .helpers import sageid, sign_in

MARIE = "marie.martin@example.com"
PAUL = "paul@example.com"


def _sign_in_both(runtime: Runtime, provider: FakeProvider) -> None:
    sign_in(runtime)
    provider.subject, provider.name, provider.email = "user-2", "Paul Durand", PAUL
    result = sign_in(runtime)
    assert "Signed in as Paul Durand" in result.stdout


def _status_email(runtime: Runtime, *args: str) -> str:
    result = sageid(runtime, *args, "status", "--json")
    assert result.exit_code == 0, result.output
    email: str = json.loads(result.stdout)["email"]
    return email


def test_a_second_account_is_added_and_becomes_the_active_one(
    runtime: Runtime, provider: FakeProvider
) -> None:
    _sign_in_both(runtime, provider)
    assert provider.revoked == []  # Marie's sign-in is kept, not revoked
    listed = json.loads(sageid(runtime, "accounts", "list", "--json").stdout)
    assert [(row["account"], row["active"]) for row in listed] == [(MARIE, False), (PAUL, True)]
    assert _status_email(runtime) == PAUL
    text = sageid(runtime, "accounts", "list").stdout
    assert f"* {PAUL} (Paul Durand)" in text
    assert f"  {MARIE} (Marie Martin)" in text


def test_switching_accounts(runtime: Runtime, provider: FakeProvider) -> None:
    _sign_in_both(runtime, provider)
    result = sageid(runtime, "accounts", "switch", MARIE.upper())
    assert result.exit_code == 0, result.output
    assert f"Now using {MARIE}." in result.stdout
    assert _status_email(runtime) == MARIE
    assert sageid(runtime, "token").stdout == "at-1-user-1\n"


def test_account_option_before_or_after_the_command(
    runtime: Runtime, provider: FakeProvider
) -> None:
    _sign_in_both(runtime, provider)
    assert sageid(runtime, "token", "--account", MARIE).stdout == "at-1-user-1\n"
    assert sageid(runtime, "--account", MARIE, "token").stdout == "at-1-user-1\n"
    assert _status_email(runtime, "--account", MARIE) == MARIE
    assert sageid(runtime, "token").stdout == "at-2-user-2\n"  # the active one is unchanged


def test_an_unknown_account_is_not_signed_in(runtime: Runtime, provider: FakeProvider) -> None:
    _sign_in_both(runtime, provider)
    for args in (("accounts", "switch", "nobody@example.com"), ("token", "--account", "x@y.z")):
        result = sageid(runtime, *args)
        assert result.exit_code == ExitCode.SIGN_IN_REQUIRED, result.output
        assert "is not signed in here" in result.stderr


def test_logout_signs_out_the_chosen_account_only(runtime: Runtime, provider: FakeProvider) -> None:
    _sign_in_both(runtime, provider)
    result = sageid(runtime, "logout", "--account", MARIE)
    assert result.exit_code == 0, result.output
    assert "Signed out Marie Martin" in result.stdout
    assert provider.revoked == ["rt-1-user-1"]
    listed = json.loads(sageid(runtime, "accounts", "list", "--json").stdout)
    assert [row["account"] for row in listed] == [PAUL]
