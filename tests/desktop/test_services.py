"""The app's services over the client library, without a provider: the saved sign-in and
its 30 days, the migration record, the submissions call, cancellation."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from client import (
    CacheEntry,
    PlaintextProtection,
    RelyingParty,
    SignInRequired,
    TokenCache,
)
from client.desktop.seams import Cancellation, SessionExpired
from client.desktop.services import LibraryServices, MigrationRecord
from tests.client.helpers import FrozenClock

from .fakes import EMAIL, ISSUER, MARIE_CLAIMS, submission

CLIENT_ID = "sage-desktop"
DAY = 24 * 3600


def _services(
    tmp_path: Path, clock: FrozenClock, handler: httpx.MockTransport | None = None
) -> LibraryServices:
    transport = handler or httpx.MockTransport(lambda request: httpx.Response(503))
    cache = TokenCache(tmp_path / "cache", protection=PlaintextProtection(), clock=clock)
    relying_party = RelyingParty(httpx.Client(transport=transport), ISSUER, CLIENT_ID, clock=clock)
    return LibraryServices(
        relying_party,
        cache,
        MigrationRecord(tmp_path / "desktop.json"),
        open_browser=lambda url: False,
        http_factory=lambda: httpx.Client(transport=transport),
    )


def _entry(clock: FrozenClock, *, signed_in_ago: float = 0) -> CacheEntry:
    return CacheEntry(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        subject="user-marie",
        access_token="access-token",
        access_token_expires_at=clock.now() + 600,
        refresh_token="refresh-token",
        auth_time=clock.now() - signed_in_ago,
        claims=MARIE_CLAIMS,
        refresh_token_expires_at=clock.now() - signed_in_ago + 30 * DAY,
    )


def test_restore_without_any_sign_in(tmp_path: Path) -> None:
    with pytest.raises(SignInRequired) as raised:
        _services(tmp_path, FrozenClock()).restore()
    assert not isinstance(raised.value, SessionExpired)


def test_restore_finds_the_saved_sign_in(tmp_path: Path) -> None:
    clock = FrozenClock()
    services = _services(tmp_path, clock)
    services.cache.store(_entry(clock))
    identity = services.restore()
    assert identity.name == "Marie Martin" and identity.email == EMAIL


def test_past_30_days_a_still_fresh_access_token_does_not_count(tmp_path: Path) -> None:
    clock = FrozenClock()
    services = _services(tmp_path, clock)
    services.cache.store(_entry(clock, signed_in_ago=30 * DAY + 1))
    with pytest.raises(SessionExpired) as raised:
        services.restore()
    assert raised.value.email == EMAIL


def test_the_migration_record(tmp_path: Path) -> None:
    record = MigrationRecord(tmp_path / "state" / "desktop.json")
    assert record.email(ISSUER, CLIENT_ID) is None
    record.remember(ISSUER, CLIENT_ID, EMAIL)
    record.remember("https://id.example.com", CLIENT_ID, "other@example.com")
    assert record.email(ISSUER, CLIENT_ID) == EMAIL
    record.forget(ISSUER, CLIENT_ID)
    assert record.email(ISSUER, CLIENT_ID) is None
    assert record.email("https://id.example.com", CLIENT_ID) == "other@example.com"
    record.path.write_text("{not json", encoding="utf-8")
    assert record.email(ISSUER, CLIENT_ID) is None  # unreadable: as if never migrated


def test_submit_sends_the_file_as_the_signed_in_user(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {**submission().__dict__, "received_at": "2026-01-31T10:00:00Z"}
        body["sender"] = {"name": "Marie Martin", "email": EMAIL}
        return httpx.Response(201, json=body)

    clock = FrozenClock()
    services = _services(tmp_path, clock, httpx.MockTransport(handler))
    services.cache.store(_entry(clock))
    declaration = tmp_path / "paie-2026-01.dsn"
    declaration.write_bytes(b"S10.G00.00.001,'Sage Paie'\n")
    sent = services.submit(declaration, "DSN", "C0001234")
    assert sent.customer_name == "Boulangerie Martin"
    [request] = seen
    assert request.url == f"{ISSUER}/api/v1/submissions"
    assert request.headers["Authorization"] == "Bearer access-token"
    assert b'name="customer_code"' in request.content and b"C0001234" in request.content
    assert services.tracking_url() == f"{ISSUER}/portal"


def test_a_cancellation_wakes_the_waiting_worker_and_runs_its_callbacks() -> None:
    cancellation = Cancellation()
    called: list[str] = []
    cancellation.on_cancel(lambda: called.append("before"))
    woke = threading.Event()

    def worker() -> None:
        if cancellation.wait(30):
            woke.set()

    thread = threading.Thread(target=worker)
    thread.start()
    cancellation.cancel()
    thread.join(5)
    assert woke.is_set() and cancellation.cancelled
    cancellation.on_cancel(lambda: called.append("after"))  # already cancelled: at once
    cancellation.cancel()  # twice: callbacks run once
    assert called == ["before", "after"]
