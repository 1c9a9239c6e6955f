"""One provider for a whole module, driven from synchronous tests (Hypothesis runs its examples
in plain functions) through a blocking portal: the app, its lifespan and an httpx client live
on the portal's event loop."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from idp.app import create_app
from idp.settings import Settings
from idp.web.protocol import ServingProtocol
from tests.conftest import free_port, make_settings
from tests.edi.helpers import mint, new_grant
from tests.hardening.helpers import READ_TIMEOUT
from tests.support import Seeded, csrf_of, seed, sign_in


@dataclass
class PortalApp:
    portal: anyio.from_thread.BlockingPortal
    app: Starlette
    settings: Settings
    client: httpx.AsyncClient
    seeded: Seeded
    session_cookie: str
    csrf_token: str
    user_token: str

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.portal.call(
            lambda: self.client.request(method, url, **kwargs)
        )
        return response


@pytest.fixture(scope="module")
def portal_app(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, key_template: Path
) -> Iterator[PortalApp]:
    folder = tmp_path_factory.mktemp("portal-app")
    shutil.copy(sqlite_template, folder / "sageid.db")
    settings = make_settings(folder, f"sqlite+aiosqlite:///{folder / 'sageid.db'}", key_template)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        client = httpx.AsyncClient(transport=transport, base_url=settings.issuer)

        async def prepare() -> tuple[Seeded, str, str, str]:
            ctx = app.state.ctx
            seeded = await seed(ctx)
            signed = await sign_in(client)
            assert signed.status_code == 303, signed.text
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            page = await client.get("/account")
            grant_id = await new_grant(ctx.store, seeded.user_id, ctx.clock.now())
            token = mint(settings, ctx.keys, seeded.user_id, grant_id, scope="openid edi")
            client.cookies.clear()
            return seeded, cookie, csrf_of(page.text), token

        seeded, cookie, csrf, token = portal.call(prepare)
        yield PortalApp(portal, app, settings, client, seeded, cookie, csrf, token)
        portal.call(client.aclose)
    # The server's own count, whatever the tests asserted on the way.
    answered = server_errors = 0
    for family in text_string_to_metric_families(app.state.ctx.metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == "sageid_http_requests_total":
                answered += int(sample.value)
                server_errors += int(sample.value) if sample.labels["status"] >= "500" else 0
    print(f"\n{answered} requests answered, {server_errors} with a 5xx status")
    assert server_errors == 0


@pytest.fixture
def served(
    tmp_path: Path, database_url: str, key_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, int]]:
    """The provider served by uvicorn with the protocol `sageid-idp serve` gives it, on a
    loopback port, its read timeout `READ_TIMEOUT`: the host and port."""
    monkeypatch.setattr(ServingProtocol, "read_timeout", READ_TIMEOUT)
    port = free_port()
    settings = make_settings(tmp_path, database_url, key_template, f"http://127.0.0.1:{port}")
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        http=ServingProtocol,
        log_level="warning",
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield "127.0.0.1", port
    running.should_exit = True
    thread.join(10)
