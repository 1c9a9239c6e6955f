"""Initial access tokens in the store, on SQLite and PostgreSQL: stored hashed, spent at most
`max_uses` times among concurrent registrations; and `registration-tokens create`."""

from __future__ import annotations

import anyio
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from idp.cli import main
from idp.context import AppContext
from idp.settings import Settings
from idp.store import Store
from idp.store.initial_access_tokens import InitialAccessGrant
from idp.store.tables import initial_access_tokens
from tests.support import cli_with_settings


async def test_spent_at_most_max_uses_times(ctx: AppContext) -> None:
    repo = ctx.store.initial_access_tokens
    now = ctx.clock.now()
    await repo.create(
        "t", now=now, expires_at=now + 60, max_uses=2, allowed_scope="edi", profile="fapi2"
    )
    assert await repo.usable("t", now) == InitialAccessGrant("edi", "fapi2")
    results: list[bool] = []

    async def spend() -> None:
        results.append(await repo.spend("t", now))

    async with anyio.create_task_group() as tasks:
        for _ in range(5):
            tasks.start_soon(spend)
    assert sorted(results) == [False, False, False, True, True]
    assert await repo.usable("t", now) is None


async def test_expires(ctx: AppContext) -> None:
    repo = ctx.store.initial_access_tokens
    now = ctx.clock.now()
    await repo.create("t", now=now, expires_at=now + 60, max_uses=None, allowed_scope="")
    assert await repo.usable("t", now + 59) == InitialAccessGrant("", None)
    assert await repo.usable("t", now + 60) is None
    assert not await repo.spend("t", now + 60)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return cli_with_settings(monkeypatch, settings)


def test_registration_tokens_create(cli_env: Settings) -> None:
    args = [
        "registration-tokens",
        "create",
        "--ttl",
        "7d",
        "--max-uses",
        "3",
        "--allow-scope",
        "edi",
        "--profile",
        "fapi2",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    token = result.output.split("initial_access_token: ")[1].split()[0]

    async def read() -> tuple[object, ...]:
        store = Store(cli_env.database_url)
        try:
            async with store.db.read() as c:
                row = (await c.execute(select(initial_access_tokens))).one()
            usable = await store.initial_access_tokens.usable(token, row.created_at)
        finally:
            await store.close()
        return row.token_hash != token, row.max_uses, row.expires_at - row.created_at, usable

    assert anyio.run(read) == (True, 3, 7 * 86400, InitialAccessGrant("edi", "fapi2"))


@pytest.mark.parametrize("ttl", ["0d", "7w", "x", "-1"])
def test_registration_tokens_create_refuses_a_bad_ttl(cli_env: Settings, ttl: str) -> None:
    result = CliRunner().invoke(main, ["registration-tokens", "create", "--ttl", ttl])
    assert result.exit_code == 2, result.output
