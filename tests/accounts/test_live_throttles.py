"""Parallel guessing against a real server (SQLite, and PostgreSQL when configured): every
throttle holds its budget exactly, because a try is reserved before it is evaluated."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from idp.audit import Kind
from idp.domain.throttle import (
    CUSTOMER_PROOF_PER_USER,
    DEVICE_USER_CODE_PER_SESSION,
    EMAIL_CODE_PER_IP,
    PASSWORD_PER_ACCOUNT,
    PASSWORD_PER_IP,
)
from idp.settings import Settings
from idp.store import Store
from idp.store.audit import StoredEvent
from tests.accounts.helpers import signup
from tests.conftest import LiveServer
from tests.referencing.helpers import import_customers
from tests.support import EMAIL, NATIVE_ID, csrf_of, sign_in

PARALLEL = 100


async def audit_of(settings: Settings, kind: Kind) -> list[StoredEvent]:
    store = Store(settings.database_url)
    try:
        return await store.audit.list(kinds=(str(kind),), limit=1000)
    finally:
        await store.close()


async def at_once(count: int, attempt: Callable[[int], Awaitable[httpx.Response]]) -> Counter[int]:
    responses = await asyncio.gather(*(attempt(i) for i in range(count)))
    return Counter(response.status_code for response in responses)


class Evaluations:
    """Counts the calls of one method of an object of the live server (what a try costs:
    a password hash, a proof lookup, a code lookup), however its answer is rendered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.count = 0
        original = getattr(owner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def browser(server: LiveServer) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=PARALLEL)
    return httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60)


async def test_parallel_wrong_passwords_for_one_account_are_refused_after_five(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = Evaluations(monkeypatch, live_server.ctx.passwords, "verify")
    async with browser(live_server) as http:
        page = await http.get("/signin", params={"ui_locales": "en"})
        step = await http.post(
            "/signin", data={"csrf_token": csrf_of(page.text), "email": EMAIL, "ui_locales": "en"}
        )
        form = {"csrf_token": csrf_of(step.text), "email": EMAIL, "ui_locales": "en"}

        async def wrong(i: int) -> httpx.Response:
            return await http.post("/signin/password", data={**form, "password": f"wrong-{i}"})

        statuses = await at_once(PARALLEL, wrong)
        assert statuses == {400: 5, 429: PARALLEL - 5}
        assert hashes.count == 5  # the 95 others were refused before any hashing
        locked = await wrong(0)
        assert "sign-in to this Sage ID is locked for 15 min" in locked.text
        # Locked: even the right password is not evaluated now.
        right = await http.post("/signin/password", data={**form, "password": "x"})
        assert right.status_code == 429
        assert hashes.count == 5
    sign_ins = Counter(e.outcome for e in await audit_of(live_server.settings, Kind.SIGN_IN))
    assert sign_ins == {"failure": 5, "refused": PARALLEL - 5 + 2}
    lockouts = await audit_of(live_server.settings, Kind.LOCKOUT)
    assert [(e.detail["scope"], e.ip) for e in lockouts] == [("account", "127.0.0.1")]
    assert PASSWORD_PER_ACCOUNT.max_failures == 5


async def test_parallel_wrong_passwords_from_one_address_hold_the_network_budget(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = Evaluations(monkeypatch, live_server.ctx.passwords, "verify")
    async with browser(live_server) as http:
        page = await http.get("/signin", params={"ui_locales": "en"})
        form = {"csrf_token": csrf_of(page.text), "ui_locales": "en", "password": "guess"}

        async def spray(i: int) -> httpx.Response:
            # unknown accounts: only the per-address budget applies
            email = f"nobody-{i}@example.com"
            return await http.post("/signin/password", data={**form, "email": email})

        statuses = await at_once(PARALLEL, spray)
    allowed = PASSWORD_PER_IP.max_failures
    assert statuses == {400: allowed, 429: PARALLEL - allowed}
    assert hashes.count == allowed


async def test_parallel_wrong_email_codes_hold_the_per_address_budget(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six new accounts, four wrong codes each at once (each code allows five): the address
    budget (20) is what stops them, exactly."""
    browsers = [browser(live_server) for _ in range(6)]
    pages = []
    for n, http in enumerate(browsers):
        page = await signup(http, email=f"new-{n}@example.com", ui_locales="en")
        assert page.status_code == 200 and 'action="/verify"' in page.text, page.text
        pages.append((http, csrf_of(page.text)))
    lookups = Evaluations(monkeypatch, live_server.ctx.store.challenges, "current")

    async def wrong(i: int) -> httpx.Response:
        http, csrf = pages[i % len(pages)]
        data = {"csrf_token": csrf, "code": "000000", "ui_locales": "en", "next": "/account"}
        return await http.post("/verify", data=data)

    statuses = await at_once(24, wrong)
    for http in browsers:
        await http.aclose()
    allowed = EMAIL_CODE_PER_IP.max_failures
    assert statuses == {400: allowed, 429: 24 - allowed}
    assert lookups.count == allowed


async def test_parallel_wrong_customer_proofs_are_refused_after_five(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = Evaluations(monkeypatch, live_server.ctx.store.customers, "proof_target")
    store = Store(live_server.settings.database_url)
    try:
        await import_customers(store, 0.0)
    finally:
        await store.close()
    async with browser(live_server) as http:
        assert (await sign_in(http)).status_code == 303
        page = await http.get("/reference", params={"next": "/account", "ui_locales": "en"})
        form = {
            "csrf_token": csrf_of(page.text),
            "next": "/account",
            "ui_locales": "en",
            "accept_terms": "yes",
            "customer_code": "C0001234",
        }

        async def wrong(i: int) -> httpx.Response:
            return await http.post("/reference", data={**form, "number": f"FA-0000-{i:06d}"})

        statuses = await at_once(PARALLEL, wrong)
    allowed = CUSTOMER_PROOF_PER_USER.max_failures
    assert statuses == {400: allowed, 429: PARALLEL - allowed}
    assert lookups.count == allowed
    failed = await audit_of(live_server.settings, Kind.REFERENCING_FAILED)
    assert Counter(e.outcome for e in failed) == {"failure": allowed, "refused": PARALLEL - allowed}


async def test_parallel_wrong_user_codes_are_refused_after_five(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = Evaluations(monkeypatch, live_server.ctx.store.devices, "pending")
    async with browser(live_server) as http:
        started = await http.post("/device_authorization", data={"client_id": NATIVE_ID})
        assert started.status_code == 200
        page = await http.get("/device", params={"ui_locales": "en"})
        csrf = csrf_of(page.text)

        async def wrong(i: int) -> httpx.Response:
            code = "BCDFGHJKLMNPQRSTVWXZ"
            guess = f"{code[i % 20]}{code[i // 20 % 20]}BB-CCDD"
            return await http.post("/device", data={"csrf_token": csrf, "user_code": guess})

        statuses = await at_once(PARALLEL, wrong)
    allowed = DEVICE_USER_CODE_PER_SESSION.max_failures
    assert statuses == {400: allowed, 429: PARALLEL - allowed}
    assert lookups.count == allowed
