"""`sageid-idp users revoke EMAIL`: every live grant of that user, and no one else's."""

from __future__ import annotations

import uuid

import anyio
import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.settings import DAY, Settings
from idp.store import Store
from idp.store.records import GrantRecord
from idp.store.tables import grants
from tests.support import EMAIL, NATIVE_ID, PARTNER_ID, cli_with_settings, seed_into

NOW = 1_764_000_000.0


def grant(user_id: str, client_id: str, revoked_at: float | None = None) -> GrantRecord:
    return GrantRecord(
        id=str(uuid.uuid4()),
        user_id=user_id,
        client_id=client_id,
        scope="openid offline_access",
        auth_time=NOW,
        expires_at=NOW + 30 * DAY,
        revoked_at=revoked_at,
    )


async def prepare(settings: Settings) -> None:
    store = Store(settings.database_url)
    try:
        seeded = await seed_into(store, settings, NOW)
        other = await store.users.add(
            email="paul@example.com", name="Paul", password_hash="x", now=NOW
        )
        for record in (grant(seeded.user_id, NATIVE_ID), grant(seeded.user_id, PARTNER_ID)):
            await store.grants.create(record, refresh_token_hash=None, now=NOW)
        await store.grants.create(grant(other.id, NATIVE_ID), refresh_token_hash=None, now=NOW)
    finally:
        await store.close()


async def revoked_by_email(settings: Settings) -> dict[str, list[bool]]:
    store = Store(settings.database_url)
    try:
        users = {u.id: u.email for u in await store.users.list()}
        async with store.db.read() as c:
            rows = (await c.execute(grants.select())).all()
    finally:
        await store.close()
    result: dict[str, list[bool]] = {}
    for row in rows:
        result.setdefault(users[row.user_id], []).append(row.revoked_at is not None)
    return result


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    anyio.run(prepare, settings)
    return cli_with_settings(monkeypatch, settings)


def test_users_revoke(cli_env: Settings) -> None:
    result = CliRunner().invoke(main, ["users", "revoke", " Marie.Martin@Example.com"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"revoked 2 grants of {EMAIL}"
    assert anyio.run(revoked_by_email, cli_env) == {
        EMAIL: [True, True],
        "paul@example.com": [False],
    }
    again = CliRunner().invoke(main, ["users", "revoke", EMAIL])
    assert again.exit_code == 0 and "revoked 0 grants" in again.output


def test_users_revoke_unknown_email(cli_env: Settings) -> None:
    result = CliRunner().invoke(main, ["users", "revoke", "nobody@example.com"])
    assert result.exit_code == 1
    assert "no account for nobody@example.com" in result.output
