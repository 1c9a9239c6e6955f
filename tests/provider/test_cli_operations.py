"""`sageid-idp` as an operator runs it: every bad configuration is one line and a non-zero
exit, `db upgrade` says what it did to which database, SQLite files are private, backups are
consistent and checked, the purge runs on demand, and `audit list` reads the trail that every
administrator's change writes to."""

from __future__ import annotations

import json
import sqlite3
import stat
import sys
import time
from pathlib import Path

import anyio
import pytest

from idp.backup import integrity_check
from idp.cli import _port_note
from idp.domain.referencing import Method, NewMembership
from idp.migrate import head_revision, revisions_between
from idp.store import Store
from tests.conftest import POSTGRES_URL
from tests.support import cli_environment, run_cli

README = Path(__file__).parents[2] / "README.md"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return cli_environment(tmp_path, database_url)


BAD = {
    "sqlite file where no folder can be made": {
        "DATABASE_URL": "sqlite+aiosqlite:////proc/sageid/sageid.db"
    },
    "sqlite file under a file": {"DATABASE_URL": f"sqlite+aiosqlite:///{README}/sageid.db"},
    "PostgreSQL refusing connections": {
        "DATABASE_URL": "postgresql+asyncpg://sage:s3cret@127.0.0.1:1/sageid"
    },
    "unknown database kind": {"DATABASE_URL": "mysql+nodriver://127.0.0.1/sageid"},
    "not a URL": {"DATABASE_URL": "sageid.db"},
    "key folder under a file": {"SAGEID_KEY_DIR": f"{README}/certs"},
    "key folder that cannot be made": {"SAGEID_KEY_DIR": "/proc/sageid-certs"},
    "bad number": {"SAGEID_PURGE_INTERVAL": "often"},
    "bad issuer": {"SAGEID_ISSUER": "http://sage.example.com"},
}
if POSTGRES_URL:
    BAD["PostgreSQL database that does not exist"] = {
        "DATABASE_URL": POSTGRES_URL.rsplit("/", 1)[0] + "/no_such_database_14"
    }
COMMANDS = [("db", "upgrade"), ("users", "list"), ("keys", "list"), ("serve", "--port", "1")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("bad", sorted(BAD))
def test_a_bad_configuration_is_one_line_and_a_failure(
    env: dict[str, str], bad: str, command: tuple[str, ...]
) -> None:
    code, out = run_cli({**env, **BAD[bad]}, *command)
    uses_keys = command[0] in ("keys", "serve")
    uses_database = command[0] != "keys"
    if ("SAGEID_KEY_DIR" in BAD[bad] and not uses_keys) or (
        "DATABASE_URL" in BAD[bad] and not uses_database
    ):
        assert code == 0, out  # a command that does not need what is wrong works
        return
    assert code == 1, out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    assert "Traceback" not in out and "s3cret" not in out


def test_db_upgrade_names_the_database_and_the_revisions(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "sageid.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{path}", "SAGEID_KEY_DIR": str(tmp_path / "k")}
    url = f"sqlite+aiosqlite:///{path}"
    chain = revisions_between(url, None, head_revision(url))
    assert chain[:3] == ["0001", "0002", "0003"]
    code, out = run_cli(env, "db", "upgrade")
    assert code == 0
    assert out.strip() == f"database {url}: applied {', '.join(chain)}; now at {chain[-1]}"
    code, out = run_cli(env, "db", "upgrade")
    assert out.strip() == f"database {url} is up to date (revision {chain[-1]})"
    # Readable by its owner only, with SQLite's journal files.
    run_cli(env, "users", "list")
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_backup_is_a_checked_private_copy(env: dict[str, str], tmp_path: Path) -> None:
    assert (
        run_cli(
            env,
            "users",
            "add",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--password-stdin",
            stdin="Un mot de passe solide 2026\n",
        )[0]
        == 0
    )
    target = tmp_path / "backups" / "sageid-backup.db"
    code, out = run_cli(env, "db", "backup", str(target))
    assert code == 0 and "integrity check ok" in out, out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert integrity_check(target) == "ok"
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT email FROM users").fetchall() == [("a@example.com",)]
    code, out = run_cli(env, "db", "backup", str(target))
    assert code == 1 and out.strip() == f"Error: {target} exists: choose a new file name"


def test_backup_of_postgresql_says_pg_dump(env: dict[str, str], tmp_path: Path) -> None:
    pg = {**env, "DATABASE_URL": "postgresql+asyncpg://sage:s3cret@db.example/sageid"}
    code, out = run_cli(pg, "db", "backup", str(tmp_path / "x.db"))
    assert code == 1 and "pg_dump" in out and "s3cret" not in out
    assert len(out.strip().splitlines()) == 1


def test_purge_on_demand(env: dict[str, str]) -> None:
    code, out = run_cli(env, "db", "purge")
    assert code == 0 and out.startswith("purged: authorization_codes 0")


def test_every_administrator_change_is_in_the_audit_trail(
    env: dict[str, str], tmp_path: Path
) -> None:
    password = "Un mot de passe solide 2026\n"
    steps = [
        ("users", "add", "--email", "Ana@Example.com", "--name", "Ana", "--password-stdin"),
        (
            "clients",
            "add",
            "--name",
            "App",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--client-id",
            "app-1",
        ),
        ("clients", "remove", "app-1"),
        ("keys", "rotate"),
        ("users", "revoke", "ana@example.com"),
    ]
    for step in steps:
        code, out = run_cli(env, *step, stdin=password)
        assert code == 0, out
    csv = tmp_path / "customers.csv"
    csv.write_text("customer_code,kind,value\nC0000001,customer,Ana SARL\n")
    assert run_cli(env, "customers", "import", str(csv))[0] == 0
    anyio.run(_reference, env["DATABASE_URL"], "ana@example.com", "C0000001")
    assert run_cli(env, "customers", "set-admin", "C0000001", "ana@example.com")[0] == 0
    listed = run_cli(env, "keys", "list")[1].splitlines()
    published = [line.split()[0] for line in listed if " published " in line]
    code, out = run_cli(env, "keys", "retire", "--", published[-1])  # rotated in, never signing
    assert code == 0, out

    code, out = run_cli(env, "audit", "list", "--json")
    assert code == 0, out
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["kind"] for e in reversed(events)] == [
        "admin.user_added",
        "admin.client_added",
        "admin.client_removed",
        "admin.key_rotated",
        "admin.user_revoked",
        "admin.customers_imported",
        "admin.administrator_set",
        "admin.key_retired",
    ]
    assert {e["actor"] for e in events} == {"cli"}
    assert events[-1]["subject_email"] == "ana@example.com"  # the oldest: user added
    assert events[0]["detail"] == {"kid": published[-1]}
    assert "solide" not in out

    code, out = run_cli(env, "audit", "list", "--user", "ana@example.com")
    assert code == 0 and len(out.splitlines()) == 3
    assert "admin.user_revoked  success  subject=ana@example.com  actor=cli" in out
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400))
    assert run_cli(env, "audit", "list", "--since", tomorrow) == (0, "")
    code, out = run_cli(env, "audit", "list", "--since", "yesterday")
    assert code == 2 and "2026-12-01" in out
    code, out = run_cli(env, "audit", "list", "--user", "nobody@example.com")
    assert code == 1 and out.strip() == "Error: no Sage ID uses nobody@example.com"


async def _reference(database_url: str, email: str, code: str) -> None:
    store = Store(database_url)
    try:
        user = await store.users.by_email(email)
        assert user is not None
        [profile] = [p for p in await store.customers.profiles_of(code) if p.name == "default"]
        membership = NewMembership(code, profile.id, Method.PROOF)
        await store.customers.reference(user.id, [membership], time.time())
    finally:
        await store.close()


def test_serve_on_another_port_than_the_issuer_says_so() -> None:
    assert _port_note("http://127.0.0.1:8000", 8000) is None
    assert _port_note("https://id.example.com", 443) is None
    note = _port_note("http://127.0.0.1:8000", 8123)
    assert note is not None and "port 8000" in note and "8123" in note
    assert sys.platform  # the live start-up line is checked by tests/provider/test_crash.py
