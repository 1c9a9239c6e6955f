"""Two uses of one refresh token at the same moment never both rotate it.

Against the real server: in-process (`live_server`, one uvicorn, the in-process write lock)
and as several uvicorn worker processes sharing the database, where only the conditional
UPDATE of the rotation transaction stands between them. Exactly one rotation happens; what
the other requests get depends on the grace window:
- with the default 10 s, every request gets the one new pair (a retry, not a theft: the
  token is DPoP-bound and each request proves its key);
- with no grace, exactly one request succeeds, the others are refused as reuse, and the
  grant is revoked (which is what reuse detection must do when it cannot tell).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from idp.store import Store
from idp.store.records import sha256_hex
from idp.store.tables import grants, refresh_tokens
from tests.conftest import LiveServer
from tests.dpop_keys import DPoPKey
from tests.lifecycle.helpers import sign_in_tokens
from tests.support import (
    refresh_form,
    seeded_for_serving,
    settings_environment,
    wait_until_serving,
)

CONCURRENT = 12


async def stored_family(database_url: str) -> tuple[list[tuple[str, float | None]], float | None]:
    """Every refresh token (hash, rotated_at) and the grant's revoked_at (one grant here)."""
    store = Store(database_url)
    try:
        async with store.db.read() as c:
            tokens = (
                await c.execute(select(refresh_tokens.c.token_hash, refresh_tokens.c.rotated_at))
            ).all()
            revoked = (await c.execute(select(grants.c.revoked_at))).scalar_one()
    finally:
        await store.close()
    return [(t.token_hash, t.rotated_at) for t in tokens], revoked


async def refresh_at_once(
    base_url: str, refresh_token: str, key: DPoPKey | None = None
) -> list[httpx.Response]:
    """The same refresh sent CONCURRENT times, each with its own proof when `key` is given
    (the grace window applies only to DPoP-bound tokens of a public client, issue 16)."""
    form = refresh_form(refresh_token)
    limits = httpx.Limits(max_connections=CONCURRENT)

    def headers() -> dict[str, str]:
        return {"DPoP": key.proof("POST", f"{base_url}/token")} if key else {}

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        return list(
            await asyncio.gather(
                *(http.post("/token", data=form, headers=headers()) for _ in range(CONCURRENT))
            )
        )


async def first_tokens(base_url: str, key: DPoPKey | None = None) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        return await sign_in_tokens(http, dpop=key)


def assert_one_rotation(family: list[tuple[str, float | None]], presented: str) -> None:
    rotated = [token_hash for token_hash, rotated_at in family if rotated_at is not None]
    assert rotated == [sha256_hex(presented)]
    assert len(family) == 2  # the presented token and its one successor


async def test_in_process_server_with_grace(live_server: LiveServer, database_url: str) -> None:
    key = DPoPKey()
    tokens = await first_tokens(live_server.url, key)
    responses = await refresh_at_once(live_server.url, tokens["refresh_token"], key)
    assert [r.status_code for r in responses] == [200] * CONCURRENT, responses[0].text
    pairs = {(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}
    assert len(pairs) == 1
    family, revoked = await stored_family(database_url)
    assert_one_rotation(family, tokens["refresh_token"])
    assert revoked is None


@pytest.fixture
def workers(
    tmp_path: Path, database_url: str, key_template: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """`uvicorn --workers 2` in a subprocess, sharing the test database (grace from param).
    The keys exist before the workers start: each would otherwise make its own. PostgreSQL
    only: SQLite serves one process (`idp.execution`; `serve --workers 2` refuses it)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several worker processes need PostgreSQL")
    settings, port = seeded_for_serving(tmp_path, database_url, key_template)
    env = {
        **os.environ,
        **settings_environment(settings),
        "SAGEID_REFRESH_REUSE_GRACE": str(request.param),
    }
    command = [sys.executable, "-m", "uvicorn", "idp.asgi:app_factory", "--factory"]
    command += ["--workers", "2", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    try:
        wait_until_serving(settings.issuer, server)
        yield settings.issuer
    finally:
        server.terminate()
        server.wait(15)


@pytest.mark.parametrize("workers", [10, 0], indirect=True, ids=["grace", "no-grace"])
async def test_several_worker_processes(workers: str, database_url: str) -> None:
    key = DPoPKey()
    tokens = await first_tokens(workers, key)
    responses = await refresh_at_once(workers, tokens["refresh_token"], key)
    statuses = sorted(r.status_code for r in responses)
    family, revoked = await stored_family(database_url)
    assert_one_rotation(family, tokens["refresh_token"])
    ok = [r.json() for r in responses if r.status_code == 200]
    if revoked is None:  # the grace case
        assert statuses == [200] * CONCURRENT
        assert len({(p["access_token"], p["refresh_token"]) for p in ok}) == 1
    else:
        assert statuses == [200] + [400] * (CONCURRENT - 1)
        assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}
