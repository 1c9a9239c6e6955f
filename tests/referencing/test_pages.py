"""`/reference` (referencing by proof), `/referenced` (congratulations) and `/terms`."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import httpx
import pytest

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.domain.referencing import DEFAULT_PROFILE, TERMS_VERSION
from idp.pages.referencing import LOCKED, TERMS_REQUIRED, WRONG_PROOF
from idp.store.tables import memberships
from tests.referencing.helpers import (
    BOULANGERIE,
    add_user,
    browser_signed_in,
    import_customers,
)
from tests.support import csrf_of

AUTHORIZE = "/authorize?client_id=desktop-test&ui_locales=en"
RIGHT = {"customer_code": "c000 1234", "number": "fa-2025-004711"}


@pytest.fixture
async def marie(ctx: AppContext, client: httpx.AsyncClient) -> str:
    """Marie Martin, signed in on this browser, with no customer account yet."""
    await import_customers(ctx.store, ctx.clock.now())
    user = await add_user(ctx.store, "marie.martin@example.com", ctx.clock.now())
    await browser_signed_in(client, ctx.store, user.id, ctx.clock.now())
    return user.id


async def submit(
    client: httpx.AsyncClient,
    fields: dict[str, str],
    *,
    csrf: str | None = None,
    terms: bool = True,
    following: str = AUTHORIZE,
) -> httpx.Response:
    if csrf is None:
        csrf = csrf_of((await client.get("/reference", params={"next": following})).text)
    data = {"csrf_token": csrf, "next": following, "ui_locales": "en", **fields}
    if terms:
        data["accept_terms"] = "yes"
    return await client.post("/reference", data=data)


def alert(page: httpx.Response) -> str:
    found = re.search(r'<div class="error"[^>]* role="alert"[^>]*>(.*?)</div>', page.text, re.S)
    assert found, page.text
    return html.unescape(found.group(1))


async def test_the_form_asks_for_code_number_and_terms(
    client: httpx.AsyncClient, marie: str
) -> None:
    page = await client.get("/reference", params={"next": AUTHORIZE})
    assert page.status_code == 200
    for name in ("customer_code", "number", "accept_terms", "csrf_token"):
        assert f'name="{name}"' in page.text
    assert 'href="/terms"' in page.text
    assert html.escape(AUTHORIZE) in page.text


async def test_a_valid_proof_references_with_the_default_profile(
    ctx: AppContext, client: httpx.AsyncClient, marie: str
) -> None:
    response = await submit(client, RIGHT)
    assert response.status_code == 303
    assert response.headers["location"] == "/referenced?" + urlencode({"next": AUTHORIZE})
    (account,) = await ctx.store.customers.accounts_of(marie)
    assert (account.customer_code, account.profile, account.method, account.is_admin) == (
        BOULANGERIE,
        DEFAULT_PROFILE,
        "proof",
        False,
    )
    async with ctx.store.db.read() as c:
        row = (await c.execute(memberships.select().where(memberships.c.user_id == marie))).one()
    assert (row.terms_version, row.terms_accepted_at) == (TERMS_VERSION, ctx.clock.now())

    done = await client.get(response.headers["location"])
    assert done.status_code == 200
    assert "Boulangerie Martin" in done.text and "C0001234" in done.text
    assert f'href="{html.escape(AUTHORIZE)}"' in done.text


@pytest.mark.parametrize(
    "fields",
    [
        {"customer_code": "C0001234", "number": "FA-2025-004712"},  # wrong number
        {"customer_code": "C0002087", "number": "FA-2025-004711"},  # another customer's code
        {"customer_code": "C9999999", "number": "FA-2025-004711"},  # no such customer
        {"customer_code": "C0001234", "number": "1"},  # too short to be a number
        {"customer_code": "", "number": ""},
    ],
)
async def test_every_wrong_proof_gets_the_same_generic_message(
    ctx: AppContext, client: httpx.AsyncClient, marie: str, fields: dict[str, str]
) -> None:
    response = await submit(client, fields)
    assert response.status_code == 400
    assert alert(response) == WRONG_PROOF
    assert await ctx.store.customers.accounts_of(marie) == []
    assert fields["customer_code"] in response.text  # kept for correcting a typo


async def test_guessing_is_locked_after_five_failures_per_user(
    ctx: AppContext, client: httpx.AsyncClient, clock: FrozenClock, marie: str
) -> None:
    csrf = csrf_of((await client.get("/reference")).text)
    for _ in range(5):
        wrong = await submit(
            client, {"customer_code": "C0001234", "number": "FA-0000-0000"}, csrf=csrf
        )
        assert wrong.status_code == 400
        clock.advance(10)
    locked = await submit(client, RIGHT, csrf=csrf)  # even the right proof, while locked
    assert locked.status_code == 429
    assert alert(locked) == LOCKED % {"minutes": 60}
    assert await ctx.store.customers.accounts_of(marie) == []
    clock.advance(3600)
    assert (await submit(client, RIGHT, csrf=csrf)).status_code == 303


async def test_guessing_is_locked_per_ip_across_users(
    ctx: AppContext, client: httpx.AsyncClient, marie: str
) -> None:
    for _ in range(3):
        assert (
            await submit(client, {"customer_code": "C0001234", "number": "XXXX-0"})
        ).status_code == 400
    other = await add_user(ctx.store, "other@example.com", ctx.clock.now())
    await browser_signed_in(client, ctx.store, other.id, ctx.clock.now())
    for _ in range(2):
        assert (
            await submit(client, {"customer_code": "C0001234", "number": "XXXX-1"})
        ).status_code == 400
    assert (await submit(client, RIGHT)).status_code == 429


async def test_the_terms_must_be_accepted_and_a_refusal_is_no_failure(
    ctx: AppContext, client: httpx.AsyncClient, marie: str
) -> None:
    response = await submit(client, RIGHT, terms=False)
    assert response.status_code == 400
    assert alert(response) == TERMS_REQUIRED
    assert await ctx.store.customers.accounts_of(marie) == []
    assert await ctx.store.throttle.tally(f"proof:user:{marie}") is None


async def test_a_form_without_its_csrf_token_is_refused(
    ctx: AppContext, client: httpx.AsyncClient, marie: str
) -> None:
    await client.get("/reference")  # the CSRF cookie is set
    response = await submit(client, RIGHT, csrf="")
    assert response.status_code == 403
    forged = await submit(client, RIGHT, csrf="0" * 64)
    assert forged.status_code == 403
    assert await ctx.store.customers.accounts_of(marie) == []


async def test_a_browser_not_signed_in_is_sent_to_sign_in_first(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    response = await client.get("/reference", params={"next": AUTHORIZE})
    assert response.status_code == 303
    location = httpx.URL(response.headers["location"])
    assert location.path == "/signin"
    assert location.params["next"] == "/reference?" + urlencode({"next": AUTHORIZE})
    congratulations = await client.get("/referenced")
    assert congratulations.status_code == 303
    assert congratulations.headers["location"].startswith("/signin?")


async def test_no_congratulations_before_being_referenced(
    client: httpx.AsyncClient, marie: str
) -> None:
    response = await client.get("/referenced", params={"next": AUTHORIZE})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/reference?next=%2Fauthorize")


async def test_next_never_leaves_the_provider(client: httpx.AsyncClient, marie: str) -> None:
    response = await submit(client, RIGHT, following="https://evil.example/")
    assert response.headers["location"] == "/referenced?next=%2Faccount"


async def test_the_terms_page_shows_its_version(client: httpx.AsyncClient) -> None:
    page = await client.get("/terms")
    assert page.status_code == 200
    assert TERMS_VERSION in page.text
