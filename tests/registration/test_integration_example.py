"""The README's third-party integration guide, `examples/third_party_integration.py`, run
against a real provider (uvicorn on a loopback port): registration with an initial access
token, a PAR sign-in with DPoP-bound tokens, the submissions API, RFC 7592 read and delete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from idp.cli import main
from tests.conftest import LiveServer
from tests.support import EMAIL, PASSWORD, cli_with_settings

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "third_party_integration.py"


def run_guide(issuer: str, token: str) -> subprocess.CompletedProcess[str]:
    """The guide's script as a partner runs it, for the demo user, with this initial access
    token."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--issuer", issuer, "--demo-user", EMAIL],
        env={**os.environ, "SAGEID_INITIAL_ACCESS_TOKEN": token, "SAGEID_DEMO_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_integration_guide_runs(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = cli_with_settings(monkeypatch, live_server.settings)
    created = CliRunner().invoke(
        main, ["registration-tokens", "create", "--max-uses", "1", "--allow-scope", "edi"]
    )
    assert created.exit_code == 0, created.output
    token = created.output.split("initial_access_token: ")[1].split()[0]

    run = run_guide(settings.issuer, token)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("1. registered client_id ")
    assert lines[1].startswith("2. pushed: request_uri urn:ietf:params:oauth:request_uri:")
    assert lines[2] == "   signed in: token_type DPoP, scope 'openid profile email edi'"
    assert "GET /api/v1/submissions: HTTP 200" in run.stdout
    assert "GET registration: HTTP 200" in run.stdout
    assert lines[-1] == "   DELETE registration: HTTP 204"

    # The token had one use: a second run is refused at registration.
    again = run_guide(settings.issuer, token)
    assert again.returncode != 0
    assert "invalid_token" in again.stderr
