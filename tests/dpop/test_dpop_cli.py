"""`sageid-idp clients add --require-dpop` (RFC 9449 §5.2 `dpop_bound_access_tokens`)."""

from __future__ import annotations

import json

import anyio
from click.testing import CliRunner

from idp.cli import main
from idp.settings import Settings
from idp.store import Store
from tests.oidc.test_cli import cli_env

__all__ = ["cli_env"]


async def stored(settings: Settings, client_id: str) -> bool | None:
    store = Store(settings.database_url)
    try:
        client = await store.clients.get(client_id)
    finally:
        await store.close()
    return None if client is None else client.require_dpop


def test_clients_add_require_dpop(cli_env: Settings) -> None:
    base = ["clients", "add", "--confidential", "--grant-type", "client_credentials"]
    base += ["--scope", "edi", "--json"]
    bound = CliRunner().invoke(main, [*base, "--name", "Bound", "--require-dpop"])
    plain = CliRunner().invoke(main, [*base, "--name", "Plain"])
    assert bound.exit_code == 0 and plain.exit_code == 0, bound.output + plain.output
    bound_id = json.loads(bound.output)["client_id"]
    plain_id = json.loads(plain.output)["client_id"]
    assert anyio.run(stored, cli_env, bound_id) is True
    assert anyio.run(stored, cli_env, plain_id) is False
    listed = CliRunner().invoke(main, ["clients", "list"]).output
    assert listed.count("DPoP required") == 1
