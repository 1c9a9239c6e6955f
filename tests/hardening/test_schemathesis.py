"""Schemathesis against the submissions API's own OpenAPI document, served by a real uvicorn:
whatever the document allows (and what it does not), no 5xx, and answers that conform to it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    ensure_resource_availability,
    ignored_auth,
    positive_data_acceptance,
)

from idp.api.openapi import openapi_document
from tests.conftest import LiveServer, free_port, make_settings
from tests.edi.helpers import mint
from tests.hardening.helpers import seeded_submitter


@pytest.fixture(scope="module")
def api_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, key_template: Path
) -> Iterator[tuple[LiveServer, str]]:
    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_template, folder / "sageid.db")
    settings = make_settings(
        folder, f"sqlite+aiosqlite:///{folder / 'sageid.db'}", key_template, issuer=ISSUER
    ).replace(submission_max_bytes=MAX_BYTES)

    user_id, grant_id = seeded_submitter(settings)
    with LiveServer(settings, PORT) as server:
        served = httpx.get(ISSUER + "/api/v1/openapi.json")
        assert served.json() == DOCUMENT
        token = mint(settings, server.ctx.keys, user_id, grant_id, expires_in=3600)
        yield server, token


# The document is read at collection time, so its server's port is chosen then; the fixture
# checks that the live server serves this very document at /api/v1/openapi.json.
PORT = free_port()
ISSUER = f"http://127.0.0.1:{PORT}"
MAX_BYTES = 50_000
DOCUMENT = json.loads(openapi_document(ISSUER, MAX_BYTES))
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_conforms_to_its_document(case: Any, api_server: tuple[LiveServer, str]) -> None:
    _, token = api_server
    case.call_and_validate(
        base_url=ISSUER + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        # Business rules the document cannot express refuse some documented inputs (a file
        # that is not the declared kind, a customer the caller is not a member of).
        excluded_checks=[positive_data_acceptance, ensure_resource_availability, ignored_auth],
    )
