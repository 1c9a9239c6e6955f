"""The pushed requests' store (RFC 9126), on SQLite and PostgreSQL: consumed once, by one of
concurrent callers, by the client that pushed it, before its expiry; purged once expired."""

from __future__ import annotations

import anyio
import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.context import AppContext
from idp.settings import Retention, Settings
from idp.store.retention import purge
from tests.support import (
    NATIVE_ID,
    PARTNER_ID,
    Seeded,
    cli_with_settings,
    stored_client,
)

URI = "urn:ietf:params:oauth:request_uri:abc"
PARAMS = [("client_id", NATIVE_ID), ("scope", "openid"), ("state", "é&=")]


async def test_consumed_once_among_concurrent_callers(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    await ctx.store.pushed_requests.save(URI, NATIVE_ID, PARAMS, now=now, expires_at=now + 60)
    results: list[object] = []

    async def consume() -> None:
        results.append(await ctx.store.pushed_requests.consume(URI, NATIVE_ID, now + 1))

    async with anyio.create_task_group() as tasks:
        for _ in range(5):
            tasks.start_soon(consume)
    assert [r for r in results if r is not None] == [PARAMS]
    assert results.count(None) == 4


async def test_another_client_or_a_late_use_gets_nothing(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    await ctx.store.pushed_requests.save(URI, NATIVE_ID, PARAMS, now=now, expires_at=now + 60)
    assert await ctx.store.pushed_requests.consume(URI, PARTNER_ID, now) is None
    assert await ctx.store.pushed_requests.consume(URI, NATIVE_ID, now + 60) is None
    assert await ctx.store.pushed_requests.consume(URI + "x", NATIVE_ID, now) is None
    assert await ctx.store.pushed_requests.consume(URI, NATIVE_ID, now + 59) == PARAMS


async def test_expired_requests_are_purged(ctx: AppContext, seeded: Seeded) -> None:
    now = ctx.clock.now()
    await ctx.store.pushed_requests.save(URI, NATIVE_ID, PARAMS, now=now, expires_at=now + 60)
    keep = Retention()
    assert (await purge(ctx.store.db, now, keep))["pushed_authorization_requests"] == 0
    later = now + 60 + keep.expired + 1
    assert (await purge(ctx.store.db, later, keep))["pushed_authorization_requests"] == 1


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return cli_with_settings(monkeypatch, settings)


@pytest.mark.parametrize("flag", [True, False])
def test_clients_add_require_par(cli_env: Settings, flag: bool) -> None:
    options = ["--require-par"] if flag else []
    result = CliRunner().invoke(
        main,
        ["clients", "add", "--name", "Bank", "--confidential", "--client-id", "bank",
         "--redirect-uri", "https://bank.example/cb", *options],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    assert stored_client(cli_env, "bank").require_pushed_authorization_requests is flag
