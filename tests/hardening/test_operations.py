"""`/healthz`, `/readyz` and `/metrics`: readiness follows the database, the schema and the
keys, and the metrics are Prometheus text that its own parser reads."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from idp.app import create_app
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.settings import Settings
from tests.conftest import LiveServer, free_port, make_settings
from tests.lifecycle.helpers import refresh, sign_in_tokens
from tests.support import (
    SERVICE_ID,
    SERVICE_SECRET,
    Seeded,
    assert_oauth_error,
    csrf_of,
)

METRICS_TOKEN = "metrics-test-token"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, key_template: Path) -> Settings:
    return make_settings(tmp_path, database_url, key_template).replace(metrics_token=METRICS_TOKEN)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


async def test_alive_and_ready(client: httpx.AsyncClient) -> None:
    alive = await client.get("/healthz")
    assert (alive.status_code, alive.json()["status"]) == (200, "ok")
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "keys": "ok"}}
    assert ready.headers["cache-control"] == "no-store"


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    assert database
    return Path(database)


@pytest.mark.parametrize("damage", ["removed", "replaced", "behind"])
async def test_not_ready_when_the_sqlite_file_is_gone_or_stale(
    client: httpx.AsyncClient, settings: Settings, damage: str
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite files")
    path = _sqlite_path(settings)
    if damage == "behind":
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '0001'")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if damage == "replaced":
            path.write_bytes(b"not a database" * 100)
    start = time.monotonic()
    ready = await client.get("/readyz")
    assert time.monotonic() - start < 1.0
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    expected = "revision 0001" if damage == "behind" else "cannot be read"
    assert expected in body["checks"]["database"]
    assert body["checks"]["keys"] == "ok"
    assert (await client.get("/healthz")).status_code == 200  # alive, just not ready


async def test_not_ready_within_a_second_when_postgresql_is_unreachable(
    tmp_path: Path, key_template: Path
) -> None:
    closed = free_port()  # nothing listens there
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed}/sageid"
    app = create_app(make_settings(tmp_path, url, key_template))  # no lifespan: it would fail
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        start = time.monotonic()
        ready = await http.get("/readyz")
        elapsed = time.monotonic() - start
        assert (await http.get("/healthz")).status_code == 200
    await app.state.ctx.store.close()
    assert ready.status_code == 503
    assert elapsed < 1.0
    assert "cannot be read" in ready.json()["checks"]["database"]


async def test_not_ready_when_postgresql_does_not_answer_in_time(
    tmp_path: Path, key_template: Path
) -> None:
    """A host that accepts connections and never answers: the probe gives up at the limit."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/sageid"
        settings = make_settings(tmp_path, url, key_template).replace(readiness_timeout=0.3)
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
            start = time.monotonic()
            ready = await http.get("/readyz")
            elapsed = time.monotonic() - start
        await app.state.ctx.store.close()
    assert ready.status_code == 503
    assert 0.3 <= elapsed < 1.0
    assert "did not answer within 0.3 s" in ready.json()["checks"]["database"]


async def test_metrics_stay_off_without_the_token(
    client: httpx.AsyncClient, tmp_path: Path, key_template: Path, database_url: str
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert_oauth_error(wrong, 401, "invalid_token")
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    # Without a token configured, there is no such page.
    (tmp_path / "other").mkdir()
    app = create_app(make_settings(tmp_path / "other", database_url, key_template))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        response = await http.get("/metrics")
    await app.state.ctx.store.close()
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


async def test_metrics_count_requests_tokens_reuse_and_refusals(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, seeded: Seeded
) -> None:
    issued = await client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(SERVICE_ID, SERVICE_SECRET)
    )
    assert issued.status_code == 200
    await client.get("/api/v1/submissions/does-not-exist")
    first = await sign_in_tokens(client)
    assert (await refresh(client, first["refresh_token"])).status_code == 200
    clock.advance(60)  # past the grace window: a reuse
    assert (await refresh(client, first["refresh_token"])).status_code == 400

    client.cookies.clear()
    page = await client.get("/signin")
    for _ in range(6):  # five wrong passwords lock the account: the sixth is refused
        wrong = await client.post(
            "/signin/password",
            data={"csrf_token": csrf_of(page.text), "email": seeded.email, "password": "wrong"},
        )
    assert wrong.status_code == 429

    found = await scrape(client)
    assert found[("sageid_tokens_issued_total", labels(grant_type="client_credentials"))] == 1
    assert found[("sageid_tokens_issued_total", labels(grant_type="authorization_code"))] == 1
    assert found[("sageid_tokens_issued_total", labels(grant_type="refresh_token"))] == 1
    assert found[("sageid_refresh_token_reuse_detected_total", labels())] == 1
    assert found[("sageid_sign_in_failures_total", labels(reason="wrong"))] == 5
    assert found[("sageid_sign_in_failures_total", labels(reason="account_locked"))] == 1
    assert found[("sageid_throttle_refusals_total", labels(route="/signin/password"))] == 1
    token_ok = labels(route="/token", method="POST", status="200")
    assert found[("sageid_http_requests_total", token_ok)] == 3
    # Route templates, never raw paths.
    api = labels(route="/api/v1/submissions/{submission_id}", method="GET", status="401")
    assert found[("sageid_http_requests_total", api)] == 1
    count = found[("sageid_http_request_duration_seconds_count", labels(route="/token"))]
    assert count == 4
    assert found[("sageid_http_request_duration_seconds_bucket", labels(route="/token", le="+Inf"))]


async def test_unknown_paths_and_methods_do_not_grow_the_labels(
    client: httpx.AsyncClient,
) -> None:
    for index in range(5):
        await client.get(f"/no/such/page/{index}")
        await client.request(f"BREW{index}", "/token")
    found = await scrape(client)
    unmatched = labels(route="unmatched", method="GET", status="404")
    assert found[("sageid_http_requests_total", unmatched)] == 5
    brewed = labels(route="/token", method="other", status="405")
    assert found[("sageid_http_requests_total", brewed)] == 5
    discovery = await client.get("/.well-known/openid-configuration")
    assert discovery.status_code == 200
    found = await scrape(client)
    served = labels(route="/.well-known/openid-configuration", method="GET", status="200")
    assert found[("sageid_http_requests_total", served)] == 1


def test_a_live_server_is_ready(live_server: LiveServer) -> None:
    """On every backend (PostgreSQL too when configured): the schema read through the pool."""
    ready = httpx.get(live_server.url + "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "keys": "ok"}
