"""Two nodes, one provider: two `sageid-idp serve` processes on two loopback ports, one
PostgreSQL database and one key folder, as README "Running several nodes" describes.

Whatever one node writes, the other honours at once (grants, rotations, revocations, the
access-token deny-list, clients added with the CLI); a key rollover reaches both within the
key poll interval, without a restart. PostgreSQL only: SQLite serves one process
(`idp.execution`)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.migrate import upgrade
from idp.store import Store
from idp.store.records import sha256_hex
from idp.store.tables import refresh_tokens
from tests.conftest import POSTGRES_URL, _reset_postgres, free_port, make_settings
from tests.dpop_keys import DPoPKey
from tests.lifecycle.helpers import SERVICE_AUTH, basic, sign_in_tokens
from tests.lifecycle.test_concurrency import assert_one_rotation
from tests.support import (
    NATIVE_ID,
    assert_oauth_error,
    refresh_form,
    seed_store,
    settings_environment,
    wait_until_serving,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="several nodes need PostgreSQL (SAGEID_TEST_DATABASE_URL)"
)

KEY_POLL = 0.5
# "Within the poll interval": the poll itself, plus reading and parsing the file (an RSA key
# takes ~30 ms) and this test's own polling, on a shared 2-core machine.
PICKED_UP_WITHIN = KEY_POLL + 1.5
SAGEID_IDP = str(Path(sys.executable).parent / "sageid-idp")


@dataclass
class Nodes:
    a: str
    b: str
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [SAGEID_IDP, *args], env=self.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, key_template: Path) -> Iterator[Nodes]:
    _reset_postgres(POSTGRES_URL)
    upgrade(POSTGRES_URL)  # `sageid-idp db upgrade`, once for every node
    tmp_path = tmp_path_factory.mktemp("nodes")
    port_a, port_b = free_port(), free_port()
    # One issuer (the name a reverse proxy would serve) for both nodes.
    settings = make_settings(tmp_path, POSTGRES_URL, key_template, f"http://127.0.0.1:{port_a}")
    anyio.run(seed_store, settings)
    env = {
        **os.environ,
        **settings_environment(settings),
        "SAGEID_KEY_POLL": str(KEY_POLL),
        "SAGEID_DATABASE_POOL_SIZE": "4",
    }
    processes = []
    logs = []
    try:
        for port in (port_a, port_b):
            log = (tmp_path / f"node-{port}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [SAGEID_IDP, "serve", "--port", str(port)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        urls = (f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}")
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(url, process)
        yield Nodes(*urls, env)
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)
        for log in logs:
            log.close()


async def test_sign_in_on_one_node_refresh_and_revoke_on_the_other(nodes: Nodes) -> None:
    async with (
        httpx.AsyncClient(base_url=nodes.a, timeout=30) as a,
        httpx.AsyncClient(base_url=nodes.b, timeout=30) as b,
    ):
        tokens = await sign_in_tokens(a)
        refreshed = await b.post("/token", data=refresh_form(tokens["refresh_token"]))
        assert refreshed.status_code == 200, refreshed.text
        pair = refreshed.json()
        bearer = {"Authorization": f"Bearer {pair['access_token']}"}
        assert (await a.get("/userinfo", headers=bearer)).status_code == 200

        # The access token alone (the deny-list), then the whole grant.
        revoked = await b.post(
            "/revoke", data={"token": pair["access_token"], "client_id": NATIVE_ID}
        )
        assert revoked.status_code == 200
        assert (await a.get("/userinfo", headers=bearer)).status_code == 401
        revoked = await b.post(
            "/revoke", data={"token": pair["refresh_token"], "client_id": NATIVE_ID}
        )
        assert revoked.status_code == 200
        again = await a.post("/token", data=refresh_form(pair["refresh_token"]))
        assert_oauth_error(again, 400, "invalid_grant")
        introspected = await a.post(
            "/introspect", data={"token": pair["refresh_token"]}, headers=SERVICE_AUTH
        )
        assert introspected.json() == {"active": False}


async def test_a_client_added_with_the_cli_works_at_once_on_every_node(nodes: Nodes) -> None:
    added = json.loads(
        nodes.cli(
            "clients",
            "add",
            "--name",
            "Added later",
            "--confidential",
            "--grant-type",
            "client_credentials",
            "--scope",
            "edi",
            "--json",
        )
    )
    auth = basic(added["client_id"], added["client_secret"])
    async with httpx.AsyncClient(timeout=30) as http:
        for node in (nodes.a, nodes.b):  # well within the cache poll (2 s)
            response = await http.post(
                f"{node}/token", data={"grant_type": "client_credentials"}, headers=auth
            )
            assert response.status_code == 200, response.text


async def test_the_same_refresh_token_on_both_nodes_at_once_rotates_once(nodes: Nodes) -> None:
    # DPoP-bound: the grace window applies (an unbound public token's reuse is strict).
    key = DPoPKey()
    async with httpx.AsyncClient(base_url=nodes.a, timeout=30) as a:
        tokens = await sign_in_tokens(a, dpop=key)
    form = refresh_form(tokens["refresh_token"])
    token_url = f"{nodes.a}/token"  # the one issuer
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=12)) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    f"{node}/token", data=form, headers={"DPoP": key.proof("POST", token_url)}
                )
                for node in [nodes.a, nodes.b] * 6
            )
        )
    assert [r.status_code for r in responses] == [200] * 12, responses[0].text
    assert len({(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}) == 1
    family = await _family_of(tokens["refresh_token"])
    assert_one_rotation(family, tokens["refresh_token"])


async def test_a_dpop_proof_is_used_once_across_nodes(nodes: Nodes) -> None:
    """RFC 9449 §11.1: the `jti` of a proof accepted by one node is refused by the other."""
    key = DPoPKey()
    async with httpx.AsyncClient(base_url=nodes.a, timeout=30) as a:
        tokens = await sign_in_tokens(a, dpop=key)
    proof = key.proof("POST", f"{nodes.a}/token")
    async with httpx.AsyncClient(timeout=30) as http:
        first = await http.post(
            f"{nodes.a}/token", data=refresh_form(tokens["refresh_token"]), headers={"DPoP": proof}
        )
        assert first.status_code == 200, first.text
        assert first.json()["token_type"] == "DPoP"
        replayed = await http.post(
            f"{nodes.b}/token",
            data=refresh_form(first.json()["refresh_token"]),
            headers={"DPoP": proof},
        )
    assert_oauth_error(replayed, 400, "invalid_dpop_proof")
    assert "used already" in replayed.json()["error_description"]


async def _family_of(refresh_token: str) -> list[tuple[str, float | None]]:
    """The refresh tokens of the grant `refresh_token` belongs to (the database holds others)."""
    store = Store(POSTGRES_URL)
    try:
        async with store.db.read() as c:
            grant_id = (
                await c.execute(
                    select(refresh_tokens.c.grant_id).where(
                        refresh_tokens.c.token_hash == sha256_hex(refresh_token)
                    )
                )
            ).scalar_one()
            rows = (
                await c.execute(
                    select(refresh_tokens.c.token_hash, refresh_tokens.c.rotated_at).where(
                        refresh_tokens.c.grant_id == grant_id
                    )
                )
            ).all()
    finally:
        await store.close()
    return [(row.token_hash, row.rotated_at) for row in rows]


def _kids(listing: str, state: str) -> dict[str, str]:
    """alg -> kid of the keys `keys list|rotate|activate` shows in that state."""
    return {line.split()[1]: line.split()[0] for line in listing.splitlines() if state in line}


async def _wait_for(check: Any, what: str) -> float:
    """Seconds until `check()` (a coroutine function) is true on both nodes."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < PICKED_UP_WITHIN, what
        await anyio.sleep(0.05)
    return time.monotonic() - started


async def _jwks(http: httpx.AsyncClient, node: str) -> Any:
    return (await http.get(f"{node}/jwks.json")).json()


async def _service_token(http: httpx.AsyncClient, node: str) -> str:
    response = await http.post(
        f"{node}/token", data={"grant_type": "client_credentials"}, headers=SERVICE_AUTH
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _kid_of(token: str) -> str:
    part = token.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["kid"]
    return kid


async def test_key_rollover_reaches_every_node_without_a_restart(nodes: Nodes) -> None:
    nodes_ = (nodes.a, nodes.b)
    async with httpx.AsyncClient(timeout=30) as http:
        old = _kids(nodes.cli("keys", "list"), "signing")
        new = _kids(nodes.cli("keys", "rotate"), "published")
        new = {alg: kid for alg, kid in new.items() if kid not in old.values()}
        assert set(new) == {"RS256", "ES256"}

        async def published() -> bool:
            for node in nodes_:
                kids = {key["kid"] for key in (await _jwks(http, node))["keys"]}
                if not set(new.values()) <= kids:
                    return False
            return True

        await _wait_for(published, "the new keys are published by both nodes")
        for node in nodes_:  # published, not signing yet
            assert _kid_of(await _service_token(http, node)) == old["ES256"]

        # `--`: a kid (a base64url thumbprint) may start with "-".
        nodes.cli("keys", "activate", "--", new["ES256"], new["RS256"])

        async def signing() -> bool:
            for node in nodes_:
                if _kid_of(await _service_token(http, node)) != new["ES256"]:
                    return False
            return True

        await _wait_for(signing, "both nodes sign with the activated key")
        tokens = {node: await _service_token(http, node) for node in nodes_}
        for signed_by, token in tokens.items():
            for verifier in nodes_:
                key_set = KeySet.import_key_set(await _jwks(http, verifier))
                claims = jwt.decode(token, key_set).claims
                assert claims["client_id"] == "service-test", (signed_by, verifier)

        # An ID token of a refresh on B, signed with the new RS256 key, verifies with A's JWKS.
        async with httpx.AsyncClient(base_url=nodes.a, timeout=30) as a:
            first = await sign_in_tokens(a)
        refreshed = await http.post(f"{nodes.b}/token", data=refresh_form(first["refresh_token"]))
        id_token = refreshed.json()["id_token"]
        assert _kid_of(id_token) == new["RS256"]
        jwt.decode(id_token, KeySet.import_key_set(await _jwks(http, nodes.a)))

        nodes.cli("keys", "retire", "--", old["ES256"])

        async def retired() -> bool:
            for node in nodes_:
                kids = {key["kid"] for key in (await _jwks(http, node))["keys"]}
                if old["ES256"] in kids:
                    return False
            return True

        await _wait_for(retired, "both nodes stop publishing the retired key")
