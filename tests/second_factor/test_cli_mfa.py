"""`sageid-idp users mfa EMAIL` lists the second factors, `users mfa-reset EMAIL` removes
them (audited, actor "cli")."""

from __future__ import annotations

import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import anyio
from click.testing import CliRunner

from idp.audit import Kind
from idp.cli import main
from idp.store import Store
from idp.store.audit import StoredEvent
from tests.conftest import make_settings
from tests.support import EMAIL, seed_store


def test_list_then_reset_the_second_factors(
    database_url: str, tmp_path: Path, key_template: Path
) -> None:
    settings = make_settings(tmp_path, database_url, key_template)
    user_id = anyio.run(seed_store, settings).user_id

    async def enrol() -> None:
        store = Store(database_url)
        try:
            await store.factors.add_totp(
                user_id, name="Phone", sealed_secret="sealed", step=0, now=time.time()
            )
        finally:
            await store.close()

    async def after_reset() -> tuple[bool, list[StoredEvent]]:
        store = Store(database_url)
        try:
            enrolled = (await store.factors.of_user(user_id)).enrolled
            return enrolled, await store.audit.list(subject=user_id, kinds=(Kind.MFA_RESET,))
        finally:
            await store.close()

    env = {"DATABASE_URL": database_url, "SAGEID_DATA_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    none = runner.invoke(main, ["users", "mfa", EMAIL], env=env)
    assert none.exit_code == 0 and "no second factor" in none.output, none.output
    anyio.run(enrol)
    listed = runner.invoke(main, ["users", "mfa", EMAIL], env=env)
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("totp  Phone  added ")
    assert "recovery codes left: 0" in listed.output
    reset = runner.invoke(main, ["users", "mfa-reset", EMAIL.upper()], env=env)
    assert reset.exit_code == 0, reset.output
    assert reset.output.strip() == f"removed 1 second factor of {EMAIL}"
    mails = list((tmp_path / "var" / "outbox").glob("*.eml"))
    assert len(mails) == 1
    mail = BytesParser(policy=policy.default).parsebytes(mails[0].read_bytes())
    assert mail["Subject"] == (
        "Les doubles authentifications de votre Sage ID ont été retirées par le support Sage"
    )
    enrolled, events = anyio.run(after_reset)
    assert not enrolled
    assert [(e.actor, e.detail) for e in events] == [("cli", {"factors": 1})]
    unknown = runner.invoke(main, ["users", "mfa", "nobody@example.com"], env=env)
    assert unknown.exit_code == 1 and "no account for nobody@example.com" in unknown.output
