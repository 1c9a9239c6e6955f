"""Every failure of `sageid` ends with a message and its own exit code, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest

from client import (
    AuthorizationDenied,
    AuthorizationResponseError,
    CacheCorrupted,
    CacheError,
    CallbackTimeout,
    ConfigError,
    DeviceCodeExpired,
    DiscoveryError,
    IdTokenError,
    KeyringUnavailable,
    OAuthError,
    ProviderError,
    ProviderUnreachable,
    SageIDError,
    SignInRequired,
)
from client._exit_codes import EXIT_CODES_HELP, ExitCode, exit_code_for
from client.cli import Runtime
from tests.client.helpers import FrozenClock, no_keyring_backend

from .fake_provider import FakeProvider
from .helpers import cache_of, sageid, sign_in


def assert_fails(result: object, code: ExitCode, *words: str) -> None:
    """Exit `code`, an `Error:` line naming `words`, and no traceback."""
    from click.testing import Result

    assert isinstance(result, Result)
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    if code != ExitCode.USAGE:
        assert "Error:" in result.stderr or "Interrupted" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


# --- 3: bad configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "config", "words"),
    [
        ({"SAGEID_ISSUER": "ftp://example.com"}, None, ["SAGEID_ISSUER", "https"]),
        ({"SAGEID_ISSUER": "http://sso.example.com"}, None, ["SAGEID_ISSUER"]),
        ({"SAGEID_CLIENT_ID": "two words"}, None, ["SAGEID_CLIENT_ID"]),
        ({}, "issuer = [unterminated", ["config.toml", "cannot read"]),
        ({}, 'isuer = "https://typo.example.com"', ["unknown setting", "isuer"]),
        ({}, "client_id = 42", ["client_id must be a str"]),
        ({}, 'language = "de"', ["language must be one of"]),
    ],
    ids=["scheme", "plain-http", "client-id", "toml", "unknown-key", "type", "language"],
)
def test_bad_configuration(
    runtime: Runtime, environ: dict[str, str], config: str | None, words: list[str]
) -> None:
    runtime.environ = environ
    if config is not None:
        assert runtime.config_path is not None
        runtime.config_path.write_text(config)
    assert_fails(sageid(runtime, "token"), ExitCode.CONFIG, *words)


def test_bad_issuer_flag(runtime: Runtime) -> None:
    result = sageid(runtime, "login", "--issuer", "https://sso.example.com/?tenant=1")
    assert_fails(result, ExitCode.CONFIG, "--issuer", "query")


# --- 4: not signed in, sign-in over ----------------------------------------------------------


@pytest.mark.parametrize("command", ["token", "whoami", "status"])
def test_not_signed_in(runtime: Runtime, command: str) -> None:
    assert_fails(sageid(runtime, command), ExitCode.SIGN_IN_REQUIRED, "not signed in")


def test_refresh_refused_signs_out(
    runtime: Runtime, provider: FakeProvider, clock: FrozenClock
) -> None:
    sign_in(runtime)
    provider.refresh_error = "invalid_grant"
    clock.advance(600)
    assert_fails(sageid(runtime, "token"), ExitCode.SIGN_IN_REQUIRED, "sign in again")
    assert cache_of(runtime).entries() == []


def test_thirty_days_later(runtime: Runtime, clock: FrozenClock) -> None:
    sign_in(runtime)
    clock.advance(30 * 86_400)
    assert_fails(sageid(runtime, "token"), ExitCode.SIGN_IN_REQUIRED)


def test_corrupt_cache(runtime: Runtime) -> None:
    sign_in(runtime)
    assert runtime.cache_directory is not None
    (runtime.cache_directory / "tokens.cache").write_text("{not json")
    assert_fails(sageid(runtime, "token"), ExitCode.SIGN_IN_REQUIRED, "moved to")
    assert sageid(runtime, "token").exit_code == ExitCode.SIGN_IN_REQUIRED  # now simply empty


# --- 5: provider unreachable --------------------------------------------------------------


@pytest.mark.parametrize("flow", ["--device", "--browser"])
def test_provider_unreachable_at_login(runtime: Runtime, provider: FakeProvider, flow: str) -> None:
    provider.unreachable = True
    result = sageid(runtime, "login", flow)
    assert_fails(result, ExitCode.UNREACHABLE, "cannot reach", "Is the provider running at")


def test_provider_unreachable_when_a_refresh_is_due(
    runtime: Runtime, provider: FakeProvider, clock: FrozenClock
) -> None:
    sign_in(runtime)
    provider.unreachable = True
    assert sageid(runtime, "token").exit_code == 0  # still fresh: no network needed
    clock.advance(600)
    assert_fails(sageid(runtime, "token"), ExitCode.UNREACHABLE)
    provider.unreachable = False
    assert sageid(runtime, "token").exit_code == 0  # still signed in


# --- 6: provider error --------------------------------------------------------------------


def _discovery_fails(provider: FakeProvider) -> None:
    provider.discovery_status = 500


def _other_issuer(provider: FakeProvider) -> None:
    provider.discovery_issuer = "https://impostor.example.com"


def _unknown_client(provider: FakeProvider) -> None:
    provider.device_error = "invalid_client"


@pytest.mark.parametrize(
    ("breakage", "words"),
    [
        (_discovery_fails, ["answered 500"]),
        (_other_issuer, ["impostor"]),
        (_unknown_client, ["invalid_client", "registered"]),
    ],
    ids=["discovery-500", "issuer-mismatch", "invalid-client"],
)
def test_provider_error(
    runtime: Runtime,
    provider: FakeProvider,
    breakage: Callable[[FakeProvider], None],
    words: list[str],
) -> None:
    breakage(provider)
    assert_fails(sageid(runtime, "login", "--device"), ExitCode.PROVIDER, *words)


# --- 7: denied, 8: timed out ---------------------------------------------------------------


def test_denied(runtime: Runtime, provider: FakeProvider) -> None:
    provider.device_answers = ["authorization_pending", "access_denied"]
    assert_fails(sageid(runtime, "login", "--device"), ExitCode.DENIED, "access_denied")
    assert cache_of(runtime).entries() == []


def test_device_code_expired_by_the_provider(runtime: Runtime, provider: FakeProvider) -> None:
    provider.device_answers = ["expired_token"]
    assert_fails(sageid(runtime, "login", "--device"), ExitCode.TIMED_OUT, "expired")


def test_device_code_expired_while_waiting(
    runtime: Runtime, provider: FakeProvider, clock: FrozenClock
) -> None:
    provider.device_answers = ["authorization_pending"] * 1000
    result = sageid(runtime, "login", "--device")
    assert_fails(result, ExitCode.TIMED_OUT, "expired", "--device")
    assert provider.polls == 119  # every 5 s for 600 s, then no poll with an expired code
    assert clock.now() == pytest.approx(1_764_000_000 + 600)


def test_browser_never_comes_back(runtime: Runtime) -> None:
    runtime.callback_timeout = 0.3
    result = sageid(runtime, "login", "--browser")
    assert_fails(result, ExitCode.TIMED_OUT, "No browser could be opened", "no sign-in came back")
    assert "http://127.0.0.1:8000/authorize?" in result.stdout


# --- 9: no keyring, 10: cache unusable ------------------------------------------------------


@pytest.mark.usefixtures("no_keyring")
def test_no_keyring_and_no_fallback(runtime: Runtime, provider: FakeProvider) -> None:
    result = sageid(runtime, "login")
    assert_fails(result, ExitCode.NO_KEYRING, "SAGEID_CACHE_PASSPHRASE", "--insecure-storage")
    assert provider.requests == []  # stopped before any sign-in started


@pytest.mark.parametrize("command", ["token", "status"])
def test_a_keyring_cache_without_the_keyring(
    runtime: Runtime, memory_keyring: object, command: str
) -> None:
    sign_in(runtime)  # encrypted under a key in the keyring
    keyring.set_keyring(no_keyring_backend())
    result = sageid(runtime, command)
    assert_fails(result, ExitCode.NO_KEYRING, "SAGEID_CACHE_PASSPHRASE", "--insecure-storage")


@pytest.mark.usefixtures("no_keyring")
@pytest.mark.parametrize("command", ["token", "status"])
def test_nothing_cached_and_no_keyring_is_not_signed_in(runtime: Runtime, command: str) -> None:
    # Reading needs no keyring when there is nothing (or only plaintext) to read.
    assert_fails(sageid(runtime, command), ExitCode.SIGN_IN_REQUIRED, "sageid login")


@pytest.mark.usefixtures("no_keyring")
def test_wrong_passphrase(runtime: Runtime) -> None:
    runtime.environ = {"SAGEID_CACHE_PASSPHRASE": "correct horse battery"}
    sign_in(runtime)
    runtime.environ = {"SAGEID_CACHE_PASSPHRASE": "wrong"}
    assert_fails(sageid(runtime, "token"), ExitCode.CACHE, "wrong passphrase")


@pytest.mark.usefixtures("no_keyring")
@pytest.mark.parametrize("then", [{}, {"SAGEID_CACHE_PASSPHRASE": "wrong"}])
def test_logout_deletes_a_cache_it_cannot_open(runtime: Runtime, then: dict[str, str]) -> None:
    runtime.environ = {"SAGEID_CACHE_PASSPHRASE": "correct horse battery"}
    sign_in(runtime)
    assert runtime.cache_directory is not None
    cache_file = runtime.cache_directory / "tokens.cache"
    assert cache_file.exists()
    runtime.environ = then
    result = sageid(runtime, "logout")
    assert result.exit_code == 0, result.output
    assert "it is deleted" in result.stdout
    assert not cache_file.exists()
    # Nothing is left to block another choice of storage.
    result = sageid(runtime, "login", "--device", "--insecure-storage")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "flags",
    [
        ("--device", "--browser"),
        ("--browser", "--device"),
        ("--device", "--create"),
        ("--device", "--email", "a@b.c"),
    ],
)
def test_contradictory_login_flags_are_refused_at_once(
    runtime: Runtime, provider: FakeProvider, flags: tuple[str, ...]
) -> None:
    assert_fails(sageid(runtime, "login", *flags), ExitCode.USAGE)
    assert provider.requests == []


def test_an_option_given_twice_differently_is_refused(runtime: Runtime) -> None:
    result = sageid(
        runtime, "--issuer", "https://a.example", "status", "--issuer", "https://b.example"
    )
    assert_fails(result, ExitCode.USAGE)


# --- 1, 2, 130 --------------------------------------------------------------------------------


def test_usage_error(runtime: Runtime) -> None:
    assert_fails(sageid(runtime, "login", "--devise"), ExitCode.USAGE)


def test_interrupted(runtime: Runtime) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    runtime.sleep = interrupt
    assert_fails(sageid(runtime, "login", "--device"), ExitCode.INTERRUPTED)


def test_unwritable_cache_stops_the_login_before_it_starts(
    runtime: Runtime, provider: FakeProvider, tmp_path: Path
) -> None:
    runtime.cache_directory = tmp_path / "a-file"
    runtime.cache_directory.write_text("")
    assert_fails(sageid(runtime, "login", "--device"), ExitCode.FAILURE, "a-file")
    assert provider.requests == []


# --- the table itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("x"), ExitCode.CONFIG),
        (SignInRequired("x"), ExitCode.SIGN_IN_REQUIRED),
        (CacheCorrupted(Path("x")), ExitCode.SIGN_IN_REQUIRED),
        (ProviderUnreachable("x", request_sent=False), ExitCode.UNREACHABLE),
        (ProviderError("x"), ExitCode.PROVIDER),
        (DiscoveryError("x"), ExitCode.PROVIDER),
        (OAuthError("invalid_client"), ExitCode.PROVIDER),
        (AuthorizationResponseError("state", "x"), ExitCode.PROVIDER),
        (IdTokenError("aud", "x"), ExitCode.PROVIDER),
        (AuthorizationDenied("access_denied"), ExitCode.DENIED),
        (DeviceCodeExpired("x"), ExitCode.TIMED_OUT),
        (CallbackTimeout("x"), ExitCode.TIMED_OUT),
        (KeyringUnavailable("x"), ExitCode.NO_KEYRING),
        (CacheError("x"), ExitCode.CACHE),
        (SageIDError("x"), ExitCode.FAILURE),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else "",
)
def test_exit_code_table(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_exit_codes_are_distinct_and_documented() -> None:
    assert len({code.value for code in ExitCode}) == len(ExitCode)
    for code in ExitCode:
        assert f"{code.value:>3}  " in EXIT_CODES_HELP, code


def test_readme_table_is_the_help_table(runtime: Runtime) -> None:
    # client/README-cli.md lists exactly the codes `sageid --help` lists, and every code.
    readme = (Path(__file__).parents[2] / "client" / "README-cli.md").read_text()
    in_readme = {int(code) for code in re.findall(r"^\| (\d+) \|", readme, flags=re.MULTILINE)}
    help_text = sageid(runtime, "--help").stdout
    in_help = {int(code) for code in re.findall(r"^\s*(\d+)  \S", help_text, flags=re.MULTILINE)}
    assert in_readme == in_help == {code.value for code in ExitCode}
