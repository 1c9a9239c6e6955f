"""`sageid-idp serve --workers 2 --log-format json`: one JSON object a line, every worker's
INFO lines kept, access lines with request id, route, status, duration and client; the
metrics add up every worker's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from idp.migrate import upgrade
from tests.conftest import POSTGRES_URL, _reset_postgres
from tests.support import SERVICE_ID, SERVICE_SECRET, seeded_for_serving, settings_environment


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="several workers serve PostgreSQL only (SQLite: one)")
def test_json_logs_of_every_worker(tmp_path: Path, key_template: Path) -> None:
    _reset_postgres(POSTGRES_URL)
    upgrade(POSTGRES_URL)
    settings, port = seeded_for_serving(tmp_path, POSTGRES_URL, key_template)
    issuer = settings.issuer
    env = {**os.environ, **settings_environment(settings), "SAGEID_METRICS_TOKEN": "scrape-me"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    command = [
        str(Path(sys.executable).with_name("sageid-idp")),
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    with log.open("w") as err:
        process = subprocess.Popen(
            [*command, "--log-format", "json"], env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            started = [r for r in _lines(log) if "Application startup complete" in r["message"]]
            if len(started) >= 2:
                break
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        for _ in range(6):  # new connections: either worker may take them
            token = httpx.post(
                issuer + "/token",
                data={"grant_type": "client_credentials"},
                auth=(SERVICE_ID, SERVICE_SECRET),
            )
            assert token.status_code == 200, token.text
        # Whichever worker answers the scrape counts every worker's tokens.
        for _ in range(4):
            scrape = httpx.get(issuer + "/metrics", headers={"Authorization": "Bearer scrape-me"})
            issued = {
                sample.labels["grant_type"]: sample.value
                for family in text_string_to_metric_families(scrape.text)
                for sample in family.samples
                if sample.name == "sageid_tokens_issued_total"
            }
            assert issued == {"client_credentials": 6}
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)

    records = _lines(log)  # every line parses: one object a line
    workers = {r["pid"] for r in records if r["message"].startswith("Application startup")}
    assert len(workers) == 2 and process.pid not in workers
    access = [r for r in records if r["logger"] == "sageid.access" and r["route"] == "/token"]
    assert len(access) == 6
    for record in access:
        assert record["level"] == "INFO"
        assert record["route"] == "/token"
        assert record["status"] == 200
        assert record["client_id"] == SERVICE_ID
        assert len(record["request_id"]) == 12
        assert record["duration_ms"] > 0
        assert record["time"].endswith("+00:00")
    assert {r["pid"] for r in access} <= workers
