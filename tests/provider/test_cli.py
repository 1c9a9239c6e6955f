"""`sageid-idp`: administration from the command line, with clear errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from idp.store.clients import new_client_id
from tests.support import cli_environment, run_cli


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return cli_environment(tmp_path, database_url)


def test_keys_are_created_private_and_rotate(env: dict[str, str]) -> None:
    code, out = run_cli(env, "keys", "list")
    assert code == 0
    key_file = Path(env["SAGEID_KEY_DIR"]) / "keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert out.count("  signing") == 2

    first_signing = {line.split()[0] for line in out.splitlines() if "  signing" in line}

    code, out = run_cli(env, "keys", "rotate")  # new keys published, not signing yet
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4
    signing = {line.split()[0] for line in lines if "signing" in line}
    published = {line.split()[0] for line in lines if "published" in line}
    assert signing == first_signing and len(published) == 2

    code, out = run_cli(env, "keys", "activate", "--", *published)
    assert code == 0
    lines = out.strip().splitlines()
    assert {line.split()[0] for line in lines if "signing" in line} == published
    assert {line.split()[0] for line in lines if "published" in line} == first_signing

    old_kid = next(iter(first_signing))
    signing_kid = next(iter(published))
    code, out = run_cli(env, "keys", "retire", "--", signing_kid)
    assert code != 0 and "current signing key" in out
    code, out = run_cli(env, "keys", "retire", "--", old_kid)
    assert code == 0 and old_kid not in out
    code, out = run_cli(env, "keys", "retire", "--", "no-such-kid")
    assert code != 0 and "no key" in out
    code, out = run_cli(env, "keys", "activate", "--", "no-such-kid")
    assert code != 0 and "no key" in out and "Traceback" not in out


def test_clients_add_list_remove(env: dict[str, str]) -> None:
    code, out = run_cli(
        env,
        "clients",
        "add",
        "--name",
        "Payroll",
        "--confidential",
        "--redirect-uri",
        "https://payroll.example.com/cb",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--scope",
        "openid profile",
        "--json",
    )
    assert code == 0, out
    created = json.loads(out)
    assert created["client_secret"] and len(created["client_secret"]) >= 40

    code, out = run_cli(env, "clients", "list")
    assert code == 0
    assert created["client_id"] in out and "Payroll" in out
    assert created["client_secret"] not in out  # shown once, stored hashed

    code, out = run_cli(
        env,
        "clients",
        "add",
        "--name",
        "Desk",
        "--public",
        "--first-party",
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--id-token-alg",
        "ES256",
    )
    assert code == 0 and "client_secret" not in out
    desk = out.split("client_id: ")[1].split()[0]
    listing = run_cli(env, "clients", "list")[1]
    assert listing.split(desk)[1].split("ID tokens: ")[1].startswith("ES256")
    assert listing.split(created["client_id"])[1].split("ID tokens: ")[1].startswith("RS256")

    assert run_cli(env, "clients", "remove", created["client_id"])[0] == 0
    code, out = run_cli(env, "clients", "remove", created["client_id"])
    assert code != 0 and "no client" in out


def test_client_ids_are_safe_as_command_arguments() -> None:
    # A random id starting with "-" read as an option made `clients remove ID` fail one
    # run in 64 (exit 2, "no such option"); ids are letters and digits only.
    ids = [new_client_id() for _ in range(2000)]
    assert all(len(i) == 32 and i.isascii() and i.isalnum() for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--redirect-uri", "https://a.example/cb"], "--public or --confidential"),
        (["--name", "X", "--public"], "redirect-uri"),
        (["--name", "X", "--public", "--redirect-uri", "http://evil.example/cb"], "https"),
        (["--name", "X", "--public", "--redirect-uri", "https://a.example/cb#frag"], "fragment"),
        (
            [
                "--name",
                "X",
                "--public",
                "--redirect-uri",
                "https://a.example/cb",
                "--scope",
                "root",
            ],
            "unknown scope",
        ),
        (["--name", "X", "--public", "--grant-type", "client_credentials"], "client_credentials"),
        (["--name", "X", "--public", "--grant-type", "implicit"], "implicit"),
    ],
    ids=["no-kind", "no-redirect", "http", "fragment", "scope", "public-cc", "implicit"],
)
def test_clients_add_refuses_bad_arguments(
    env: dict[str, str], args: list[str], message: str
) -> None:
    code, out = run_cli(env, "clients", "add", *args)
    assert code != 0
    assert message in out


def test_users_add_and_list(env: dict[str, str]) -> None:
    code, out = run_cli(
        env,
        "users",
        "add",
        "--email",
        " Jean@Example.FR ",
        "--name",
        "Jean",
        "--password-stdin",
        "--verified",
        stdin="a-long-enough-passphrase-42\n",
    )
    assert code == 0, out
    assert "jean@example.fr" in out
    code, out = run_cli(env, "users", "list")
    assert "jean@example.fr" in out and "verified" in out
    assert "a-long-enough" not in out
    code, out = run_cli(
        env,
        "users",
        "add",
        "--email",
        "JEAN@example.fr",
        "--name",
        "J",
        "--password-stdin",
        stdin="another-long-passphrase-43\n",
    )
    assert code != 0 and "already" in out


def test_users_add_needs_a_password(env: dict[str, str]) -> None:
    code, out = run_cli(
        env, "users", "add", "--email", "a@b.fr", "--name", "A", "--password-stdin", stdin=""
    )
    assert code != 0 and "password" in out


def test_demo_is_idempotent(env: dict[str, str]) -> None:
    first = run_cli(env, "demo")
    second = run_cli(env, "demo")
    assert first[0] == second[0] == 0
    assert first[1] == second[1]
    assert "sage-desktop" in first[1] and "marie.martin@example.com" in first[1]


def test_bad_settings_are_reported(env: dict[str, str]) -> None:
    code, out = run_cli({**env, "SAGEID_ISSUER": "http://sage.example.com"}, "users", "list")
    assert code != 0 and "https" in out


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    empty = {
        "SAGEID_DATA_DIR": str(tmp_path / "var"),
        "SAGEID_KEY_DIR": str(tmp_path / "certs"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
    }
    code, out = run_cli(empty, "serve", "--port", "1")
    assert code != 0
    assert "sageid-idp db upgrade" in out and "Traceback" not in out


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    """idp.execution: on SQLite statements run on the event loop, so one process serves."""
    sqlite = {
        "SAGEID_DATA_DIR": str(tmp_path / "var"),
        "SAGEID_KEY_DIR": str(tmp_path / "certs"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sageid.db'}",
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sageid-idp"), "serve", "--workers", "2"],
        env={**os.environ, **sqlite},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    error = done.stderr.strip().splitlines()
    assert len(error) == 1 and "PostgreSQL" in error[0] and "--workers" in error[0], error
    assert "Traceback" not in done.stderr and done.stdout == ""
