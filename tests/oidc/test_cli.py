"""The admin CLI (issue 15): clients register a back-channel logout URI and web origins;
`users revoke` sends logout tokens to the clients the user was signed in to."""

from __future__ import annotations

import time
import uuid

import anyio
import pytest
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.cli import main
from idp.keys import KeyRing
from idp.settings import DAY, Settings
from idp.store import Store
from idp.store.records import GrantRecord
from tests.oidc.relying_party import BackchannelReceiver
from tests.support import EMAIL, cli_with_settings, seed_into


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return cli_with_settings(monkeypatch, settings)


def add(*options: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["clients", "add", "--name", "Web app", "--confidential", "--redirect-uri",
         "https://app.example/cb", *options],
    )  # fmt: skip
    return result.exit_code, result.output


def test_clients_add_registers_backchannel_and_origins(cli_env: Settings) -> None:
    code, output = add(
        "--backchannel-logout-uri",
        "https://app.example/backchannel",
        "--backchannel-logout-session-required",
        "--web-origin",
        "https://app.example",
        "--web-origin",
        "http://127.0.0.1:5173",
    )
    assert code == 0, output
    listed = CliRunner().invoke(main, ["clients", "list"]).output
    assert "back-channel logout: https://app.example/backchannel" in listed
    assert "web origin: https://app.example" in listed
    assert "web origin: http://127.0.0.1:5173" in listed


@pytest.mark.parametrize(
    "options",
    [
        ("--web-origin", "https://app.example/path"),
        ("--web-origin", "http://app.example"),
        ("--web-origin", "app.example"),
        ("--backchannel-logout-uri", "http://app.example/logout"),
        ("--backchannel-logout-uri", "https://app.example/logout#x"),
        ("--backchannel-logout-uri", "not a url"),
    ],
)
def test_clients_add_refuses_bad_values(cli_env: Settings, options: tuple[str, str]) -> None:
    code, output = add(*options)
    assert code == 2, output
    assert "Error" in output


async def prepare(settings: Settings, uri: str) -> str:
    store = Store(settings.database_url)
    try:
        now = time.time()
        seeded = await seed_into(store, settings, now)
        await store.clients.add(
            client_id="web-app",
            name="Web app",
            public=False,
            secret="web-app-secret",
            redirect_uris=["https://app.example/cb"],
            post_logout_redirect_uris=[],
            grant_types=["authorization_code"],
            scope="openid",
            first_party=False,
            now=now,
            backchannel_logout_uri=uri,
        )
        grant = GrantRecord(
            id=str(uuid.uuid4()),
            user_id=seeded.user_id,
            client_id="web-app",
            scope="openid",
            auth_time=now,
            expires_at=now + DAY,
            revoked_at=None,
        )
        await store.grants.create(grant, refresh_token_hash=None, now=now)
        return seeded.user_id
    finally:
        await store.close()


def test_users_revoke_sends_logout_tokens(cli_env: Settings) -> None:
    with BackchannelReceiver() as receiver:
        user_id = anyio.run(prepare, cli_env, receiver.url)
        result = CliRunner().invoke(main, ["users", "revoke", EMAIL])
        assert result.exit_code == 0, result.output
        assert len(receiver.received) == 1
    keys = KeySet.import_key_set(KeyRing.from_dir(cli_env.key_dir).jwks)  # type: ignore[arg-type]
    token = jwt.decode(receiver.received[0]["logout_token"], keys)
    assert token.header["typ"] == "logout+jwt"
    assert token.claims["sub"] == user_id
    assert token.claims["aud"] == "web-app"
    assert "sid" not in token.claims  # that grant came from no browser session
