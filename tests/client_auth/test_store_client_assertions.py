"""Assertion `jti`s in the store, on SQLite and PostgreSQL: the first use of a client's `jti`
wins among concurrent ones; another client's same `jti` is its own; an expired one is
forgotten. And `clients add --jwks/--jwks-uri`."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.context import AppContext
from idp.settings import Settings
from tests.client_auth.helpers import new_key, public_set
from tests.support import (
    cli_with_settings,
    stored_client,
)


async def test_a_jti_is_used_once(ctx: AppContext) -> None:
    repo = ctx.store.client_assertions
    now = ctx.clock.now()
    results: list[bool] = []

    async def use() -> None:
        results.append(await repo.first_use("a", "jti-1", now + 60, now))

    async with anyio.create_task_group() as tasks:
        for _ in range(4):
            tasks.start_soon(use)
    assert sorted(results) == [False, False, False, True]
    assert await repo.first_use("b", "jti-1", now + 60, now)  # another client's
    assert not await repo.first_use("a", "jti-1", now + 60, now + 59)
    assert await repo.first_use("a", "jti-1", now + 200, now + 61)  # the first one expired


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return cli_with_settings(monkeypatch, settings)


def add(*options: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["clients", "add", "--name", "Keyed", "--confidential", "--client-id", "keyed",
         "--grant-type", "client_credentials", "--scope", "edi", *options],
    )  # fmt: skip
    return result.exit_code, result.output


def test_clients_add_jwks_registers_private_key_jwt(cli_env: Settings, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(public_set(new_key("k"))))
    code, output = add("--jwks", str(path))
    assert code == 0, output
    assert "client_secret" not in output

    client = stored_client(cli_env, "keyed")
    assert (client.token_endpoint_auth_method, client.secret_hash) == ("private_key_jwt", None)


@pytest.mark.parametrize(
    ("document", "options"),
    [
        ({"keys": [new_key("k").as_dict(private=True)]}, []),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, []),
        ({"not": "a set"}, []),
        (None, ["--jwks-uri", "http://keys.example/jwks.json"]),
    ],
    ids=["private-key", "symmetric", "not-a-set", "http-uri"],
)
def test_clients_add_refuses_bad_keys(
    cli_env: Settings, tmp_path: Path, document: object, options: list[str]
) -> None:
    if document is not None:
        path = tmp_path / "keys.json"
        path.write_text(json.dumps(document))
        options = ["--jwks", str(path)]
    code, output = add(*options)
    assert code == 2, output
