"""`sageid-idp clients add --require-dpop` (RFC 9449 §5.2 `dpop_bound_access_tokens`)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from idp.cli import main
from idp.settings import Settings
from tests.oidc.test_cli import cli_env
from tests.support import stored_client

__all__ = ["cli_env"]


def test_clients_add_require_dpop(cli_env: Settings) -> None:
    base = ["clients", "add", "--confidential", "--grant-type", "client_credentials"]
    base += ["--scope", "edi", "--json"]
    bound = CliRunner().invoke(main, [*base, "--name", "Bound", "--require-dpop"])
    plain = CliRunner().invoke(main, [*base, "--name", "Plain"])
    assert bound.exit_code == 0 and plain.exit_code == 0, bound.output + plain.output
    bound_id = json.loads(bound.output)["client_id"]
    plain_id = json.loads(plain.output)["client_id"]
    assert stored_client(cli_env, bound_id).require_dpop is True
    assert stored_client(cli_env, plain_id).require_dpop is False
    listed = CliRunner().invoke(main, ["clients", "list"]).output
    assert listed.count("DPoP required") == 1
