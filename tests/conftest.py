"""Shared fixtures: settings in a temporary folder, a migrated database (SQLite, and
PostgreSQL too when SAGEID_TEST_DATABASE_URL is set), the app through ASGI, a real server."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import anyio
import httpx
import pytest
import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette

from idp.app import create_app
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.customer_data import DEMO_CUSTOMER_FILE, import_customer_file
from idp.keys import KEY_FILE, KeyFile
from idp.migrate import upgrade
from idp.settings import Lifetimes, PasswordHashing, Settings
from idp.store import Store
from tests.support import Seeded, seed, seed_store

POSTGRES_URL = os.environ.get("SAGEID_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
# Cheap hashing in tests: the parameters are settings; production keeps OWASP's.
TEST_HASHING = PasswordHashing(memory_cost_kib=1024, time_cost=1, parallelism=1)


def _reset_postgres(url: str) -> None:
    async def reset() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    anyio.run(reset)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run, copied for each test (migrating takes ~100 ms)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "postgres":
        _reset_postgres(POSTGRES_URL)
        upgrade(POSTGRES_URL)
        return POSTGRES_URL
    path = tmp_path / "sageid.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def key_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys generated once per run (an RSA key takes ~100 ms), copied into each test."""
    folder = tmp_path_factory.mktemp("keys")
    KeyFile(folder).ensure()
    return folder / KEY_FILE


def make_settings(
    tmp_path: Path, database_url: str, keys: Path, issuer: str = "http://127.0.0.1:8000"
) -> Settings:
    (tmp_path / "certs").mkdir(exist_ok=True, mode=0o700)
    shutil.copy(keys, tmp_path / "certs" / KEY_FILE)
    return Settings(
        issuer=issuer,
        data_dir=tmp_path / "var",
        key_dir=tmp_path / "certs",
        database_url=database_url,
        password_hashing=TEST_HASHING,
        client_cache_poll=0.2,
        # Each app opens its whole pool at start-up; the database server is shared.
        database_pool_size=4,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, key_template: Path) -> Settings:
    return make_settings(tmp_path, database_url, key_template)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(time.time())


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    application = create_app(settings, clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def ctx(app: Starlette) -> AppContext:
    context: AppContext = app.state.ctx
    return context


@pytest.fixture
async def seeded(ctx: AppContext) -> Seeded:
    return await seed(ctx)


@pytest.fixture
async def client(app: Starlette, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
        yield http


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """The provider under a real uvicorn on a loopback port, in a thread."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings = settings
        self.url = settings.issuer
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def ctx(self) -> AppContext:
        context: AppContext = self.app.state.ctx
        return context

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the provider did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


# A live server tells devices to poll every second (production: 5 s, RFC 8628 §3.2), so a
# device flow through a real server and a real client waits one second, not five.
LIVE_LIFETIMES = Lifetimes(device_poll_interval=1)


Seeder = Callable[[Settings], Awaitable[object]]


@contextmanager
def serving(
    folder: Path,
    database_url: str,
    keys: Path,
    *,
    seed_with: Seeder = seed_store,
    host: str = "127.0.0.1",
    **changes: object,
) -> Iterator[LiveServer]:
    """The provider on a free loopback port (`host` names it in the issuer: WebAuthn wants
    `localhost`), its database seeded by `seed_with` first, settings changed by `changes`."""
    port = free_port()
    settings = make_settings(folder, database_url, keys, issuer=f"http://{host}:{port}")
    settings = settings.replace(lifetimes=LIVE_LIFETIMES, **changes)
    anyio.run(seed_with, settings)
    with LiveServer(settings, port) as server:
        yield server


@pytest.fixture
def live_seed() -> Seeder:
    """What the live server's database holds before it starts: the seed's users and clients.
    A test module that needs more overrides this fixture with its own seeding function."""
    return seed_store


@pytest.fixture
def live_server(
    tmp_path: Path, database_url: str, key_template: Path, live_seed: Seeder
) -> Iterator[LiveServer]:
    with serving(tmp_path, database_url, key_template, seed_with=live_seed) as server:
        yield server


async def import_demo_customers(database_url: str) -> None:
    text = files("idp").joinpath("data", DEMO_CUSTOMER_FILE).read_text(encoding="utf-8")
    store = Store(database_url)
    try:
        _, errors = await import_customer_file(store, text, time.time())
    finally:
        await store.close()
    assert errors == []


async def seed_with_demo_customers(settings: Settings) -> None:
    """The seed's users and clients, and the demo customer accounts."""
    await seed_store(settings)
    await import_demo_customers(settings.database_url)


@pytest.fixture
def live_provider(live_server: LiveServer) -> LiveServer:
    """The real provider with the demo customer accounts, as `make run` has them, so the
    `referencing` scope's step (seed, étape 3) can be passed: Marie references Boulangerie
    Martin by proof. The live tests of the CLI and of the desktop app sign in against it."""
    anyio.run(import_demo_customers, live_server.settings.database_url)
    return live_server


# Features whose correctness is a store behaviour (atomic rotation, single-use polling,
# all-or-nothing uploads) beyond the store's own tests.
POSTGRES_MODULES = {
    "test_refresh.py",
    "test_revocation.py",
    "test_device_flow.py",
    "test_api_submit.py",
    # Issue 18: profiles, administration and the account page's store work.
    "test_profiles.py",
    "test_administration.py",
    "test_account_page.py",
    "test_referencing_everywhere.py",
    # Issue 16: refresh tokens bound to a DPoP key, rotated in the store's transaction.
    "test_refresh_theft.py",
}


def _runs_on_postgres(item: pytest.Item) -> bool:
    """The store and end-to-end tests run on PostgreSQL too; the rest (pages, protocol
    matrices through ASGI) exercise no database behaviour of their own and run on SQLite."""
    fixtures = getattr(item, "fixturenames", ())
    name = item.path.name
    return (
        "live_server" in fixtures
        or name.startswith(("test_store", "test_concurrency"))
        or name in POSTGRES_MODULES
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not POSTGRES_URL:
        return
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgres"
        (deselected if on_postgres and not _runs_on_postgres(item) else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
