"""`sageid-idp users add` applies the same password policy as the sign-up page."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from idp.cli import main


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 12 characters."),
        ("password1234", "This password is too common."),
        ("claire@example.fr", "Do not use your email address"),
    ],
)
def test_users_add_refuses_a_weak_password(password: str, message: str) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "add", "--email", "claire@example.fr", "--name", "Claire", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code == 2
    assert message in result.output


def test_users_add_accepts_a_good_password(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "SAGEID_DATA_DIR": str(tmp_path)}
    args = ["users", "add", "--email", "Claire@Example.fr", "--name", "Claire", "--password-stdin"]
    result = CliRunner().invoke(main, args, input="Fournil de la Place 1987\n", env=env)
    assert result.exit_code == 0, result.output
    assert "created for claire@example.fr" in result.output
