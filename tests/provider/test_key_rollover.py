"""Key rollover without a restart (idp/keys.py): `keys rotate` publishes, `keys activate`
signs, `keys retire` unpublishes — a running server follows the key file within `key_poll`.
Across two processes: tests/lifecycle/test_two_nodes.py (PostgreSQL)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import anyio
import httpx
import pytest

from idp.keys import KEY_FILE, KeyFile
from idp.settings import Settings
from tests.conftest import make_settings
from tests.lifecycle.helpers import SERVICE_AUTH
from tests.support import Seeded

KEY_POLL = 0.05


@pytest.fixture
def settings(tmp_path: Path, database_url: str, key_template: Path) -> Settings:
    return make_settings(tmp_path, database_url, key_template).replace(key_poll=KEY_POLL)


def kid_of(token: str) -> str:
    part = token.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["kid"]
    return kid


async def service_token(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=SERVICE_AUTH
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def published(client: httpx.AsyncClient) -> set[str]:
    return {key["kid"] for key in (await client.get("/jwks.json")).json()["keys"]}


async def eventually(check: object, what: str) -> None:
    deadline = time.monotonic() + KEY_POLL + 2
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        await anyio.sleep(0.02)


def test_a_key_file_without_statuses_signs_with_the_newest_keys(tmp_path: Path) -> None:
    key_file = KeyFile(tmp_path)
    key_file.ensure()
    key_file.rotate()
    key_file.activate(key_file.list()[0].kid)  # the new key of one algorithm
    data = key_file.load()
    for entry in data["keys"]:
        del entry["status"]  # as written before statuses existed
    key_file.save(data)
    newest = {info.alg: info.kid for info in reversed(key_file.list())}  # newest last wins
    assert {info.kid for info in key_file.list() if info.signing} == set(newest.values())


async def test_a_running_server_follows_the_key_file(
    client: httpx.AsyncClient, seeded: Seeded, settings: Settings
) -> None:
    key_file = KeyFile(settings.key_dir)
    assert key_file.path == settings.key_dir / KEY_FILE
    old = {info.alg: info.kid for info in key_file.list() if info.signing}
    old_token = await service_token(client)
    assert kid_of(old_token) == old["ES256"]

    key_file.rotate()
    new = {info.alg: info.kid for info in key_file.list() if not info.signing}
    assert set(new) == {"RS256", "ES256"}

    async def new_keys_published() -> bool:
        return set(new.values()) <= await published(client)

    await eventually(new_keys_published, "the new keys are published")
    assert kid_of(await service_token(client)) == old["ES256"]  # not signing yet

    key_file.activate(new["ES256"])

    async def new_key_signs() -> bool:
        return kid_of(await service_token(client)) == new["ES256"]

    await eventually(new_key_signs, "the activated key signs")
    active = await client.post("/introspect", data={"token": old_token}, headers=SERVICE_AUTH)
    assert active.json()["active"] is True  # the old key is still published

    key_file.retire(old["ES256"])

    async def old_key_gone() -> bool:
        return old["ES256"] not in await published(client)

    await eventually(old_key_gone, "the retired key is unpublished")
    # What it signed no longer verifies, even though it verified (and was remembered) before.
    gone = await client.post("/introspect", data={"token": old_token}, headers=SERVICE_AUTH)
    assert gone.json() == {"active": False}
