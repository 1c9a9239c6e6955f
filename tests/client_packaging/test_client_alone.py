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
