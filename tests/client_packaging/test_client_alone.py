"""`pip install sageid` is the client alone: its dependencies are the client's, and nothing
the client imports pulls in the provider (checked in a fresh interpreter's `sys.modules`)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SERVER_ONLY = (
    "starlette",
    "sqlalchemy",
    "sqlmodel",
    "argon2",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "jinja2",
    "uvicorn",
    "aiosmtplib",
    "multipart",
    "idp",
)

PROBE = """
import json, sys
import client, client.cli, client._edi_commands, client.desktop.services
for name in client.__all__:
    getattr(client, name)
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    modules: list[str] = json.loads(result.stdout)
    return modules


def test_importing_the_client_never_imports_the_provider() -> None:
    modules = _modules_after(PROBE)
    assert [m for m in modules if m.split(".")[0] in SERVER_ONLY] == []
    # Authlib's server modules neither: the client computes its two hashes itself.
    assert [m for m in modules if m.startswith("authlib")] == []


def test_a_warm_token_command_loads_no_network_stack() -> None:
    # `sageid token` with a fresh cached token: config, cache, print (bench/client.py).
    code = "import json, sys, client.cli; print(json.dumps(sorted(sys.modules)))"
    modules = _modules_after(code)
    for heavy in ("httpx", "rich", "joserfc", "segno", "babel"):
        assert heavy not in modules, heavy


def _requirement_names(requirements: list[str]) -> set[str]:
    return {r.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip() for r in requirements}


def test_the_distribution_keeps_the_provider_in_the_server_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    client_deps = _requirement_names(project["dependencies"])
    server = _requirement_names(project["optional-dependencies"]["server"])
    assert {"starlette", "sqlmodel", "argon2-cffi", "asyncpg", "jinja2", "authlib"} <= server
    assert client_deps & {"starlette", "sqlmodel", "sqlalchemy", "argon2-cffi", "asyncpg"} == set()
    assert "sageid[server]" in project["optional-dependencies"]["dev"]
    assert set(project["scripts"]) == {"sageid", "sageid-desktop", "sageid-idp"}


@pytest.mark.parametrize("verifier", ["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "a" * 43])
def test_pkce_challenge_is_authlibs(verifier: str) -> None:
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    from client._hashes import s256_code_challenge

    assert s256_code_challenge(verifier) == create_s256_code_challenge(verifier)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS384", "ES512", "EdDSA"])
def test_at_hash_is_authlibs(alg: str) -> None:
    from authlib.oidc.core.util import create_half_hash

    from client._hashes import half_hash

    expected = create_half_hash("an-access-token", alg)
    assert half_hash("an-access-token", alg) == expected.decode()


def test_rfc7636_appendix_b_example() -> None:
    from client._hashes import s256_code_challenge

    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


# `sageid token` with a fresh cached token is answered before click is imported.

LAUNCH = (
    "import json, sys; from client._launch import main; main(sys.argv[1:]); "
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
)


def _seed(data_home: Path, expires_in: float) -> None:
    import time

    from client import CacheEntry, PlaintextProtection, TokenCache

    now = time.time()
    entry = CacheEntry(
        issuer="http://127.0.0.1:9",
        client_id="sage-desktop",
        subject="user-1",
        access_token="at-fresh",
        access_token_expires_at=now + expires_in,
        refresh_token="rt-1",
        auth_time=now,
        claims={"sub": "user-1"},
        refresh_token_expires_at=now + 86_400,
    )
    TokenCache(data_home / "sageid", protection=PlaintextProtection()).store(entry)


def _launch(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SAGEID_ISSUER": "http://127.0.0.1:9",  # nothing listens there (discard)
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_a_fresh_token_is_printed_without_the_cli(tmp_path: Path) -> None:
    _seed(tmp_path / "data", expires_in=3600)
    result = _launch(tmp_path, "token")
    assert (result.returncode, result.stdout) == (0, "at-fresh\n")
    modules = json.loads(result.stderr.splitlines()[-1])
    for heavy in ("click", "httpx", "rich", "keyring", "cryptography", "filelock", "joserfc"):
        assert heavy not in modules, heavy


def test_the_environment_token_too(tmp_path: Path) -> None:
    result = _launch(tmp_path, "token", SAGEID_TOKEN="ci-token")
    assert (result.returncode, result.stdout) == (0, "ci-token\n")


@pytest.mark.parametrize("expires_in", [30, -60])  # due for renewal, or expired
def test_anything_else_goes_to_the_cli(tmp_path: Path, expires_in: float) -> None:
    _seed(tmp_path / "data", expires_in=expires_in)
    result = _launch(tmp_path, "token")
    assert result.returncode == 5, result.stderr  # it tried the provider: unreachable
    assert "Error:" in result.stderr and "at-fresh" not in result.stdout
    nothing = _launch(tmp_path / "elsewhere", "token")
    assert nothing.returncode == 4  # not signed in: the CLI's own answer
