"""One audit event per account fact: sign-in success, failure, refusal and lockout, account
created, email verified, password reset, referencing, logout; never a password or a code."""

from __future__ import annotations

import httpx

from idp.audit import Kind
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.settings import Settings
from tests.accounts.helpers import (
    NEW_EMAIL,
    NEW_PASSWORD,
    OTHER_PASSWORD,
    enter_code,
    last_code,
    signup,
    submit,
    wrong,
)
from tests.audit.helpers import assert_no_secret, events
from tests.referencing.helpers import import_customers
from tests.support import PASSWORD, Seeded, csrf_of, sign_in


async def test_sign_ins_failures_refusals_and_the_lockout(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    assert (await sign_in(client)).status_code == 303
    for n in range(6):
        await sign_in(client, password=f"wrong password {n}")
    # straight to the password step with an unknown email (as a script would)
    page = await client.get("/signin")
    form = {"csrf_token": csrf_of(page.text), "email": "nobody@example.com", "password": "guess"}
    assert (await client.post("/signin/password", data=form)).status_code == 400
    trail = await events(ctx, Kind.SIGN_IN)
    assert [(e.subject, e.outcome) for e in trail] == [
        (seeded.user_id, "success"),
        *[(seeded.user_id, "failure")] * 5,
        (seeded.user_id, "refused"),
        (None, "failure"),
    ]
    assert trail[-1].detail == {"email": "nobody@example.com"}
    assert trail[-2].detail == {"reason": "account_locked"}
    assert {e.ip for e in trail} == {"127.0.0.1"}
    [lockout] = await events(ctx, Kind.LOCKOUT)
    assert (lockout.subject, lockout.detail) == (
        seeded.user_id,
        {"scope": "account", "minutes": 15},
    )
    await assert_no_secret(ctx, PASSWORD, "wrong password")


async def test_sign_in_names_the_client_of_the_authorization_request(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await sign_in(client, following="/authorize?client_id=desktop-test&response_type=code")
    [event] = await events(ctx, Kind.SIGN_IN)
    assert event.client_id == "desktop-test"


async def test_account_created_verified_then_password_reset(
    ctx: AppContext, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    page = await signup(client)
    code = last_code(settings)
    assert (await enter_code(client, page, wrong(code))).status_code == 400
    assert (await enter_code(client, page, code)).status_code == 303
    [created] = await events(ctx, Kind.ACCOUNT_CREATED)
    [verified] = await events(ctx, Kind.EMAIL_VERIFIED)
    assert created.subject == verified.subject is not None
    assert created.actor == f"user:{created.subject}"

    clock.advance(120)
    forgot = await client.get("/password/forgot")
    page = await submit(client, forgot, "/password/forgot", email=NEW_EMAIL)
    reset_code = last_code(settings)
    done = await submit(
        client,
        page,
        "/password/reset",
        code=reset_code,
        password=OTHER_PASSWORD,
        confirmation=OTHER_PASSWORD,
    )
    assert done.status_code == 303, done.text
    [reset] = await events(ctx, Kind.PASSWORD_RESET)
    assert reset.subject == created.subject and reset.ip == "127.0.0.1"
    await assert_no_secret(ctx, code, reset_code, NEW_PASSWORD, OTHER_PASSWORD)


async def test_referencing_by_proof_and_its_failures(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    await sign_in(client)
    page = await client.get("/reference", params={"next": "/account"})
    form = {"csrf_token": csrf_of(page.text), "next": "/account", "accept_terms": "yes"}
    wrong_proof = {**form, "customer_code": "C0001234", "number": "FA-0000-000001"}
    assert (await client.post("/reference", data=wrong_proof)).status_code == 400
    right = {**form, "customer_code": "C0001234", "number": "FA-2025-004711"}
    assert (await client.post("/reference", data=right)).status_code == 303
    [failed] = await events(ctx, Kind.REFERENCING_FAILED)
    assert (failed.outcome, failed.detail) == ("failure", {"customer_code": "C0001234"})
    [referenced] = await events(ctx, Kind.REFERENCED)
    assert referenced.subject == seeded.user_id
    assert referenced.detail == {"customer_code": "C0001234", "method": "proof"}
    await assert_no_secret(ctx, "FA-2025-004711", "FA-0000-000001")


async def test_signing_out_is_a_logout(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await sign_in(client)
    page = await client.get("/account")
    assert (
        await client.post("/signout", data={"csrf_token": csrf_of(page.text)})
    ).status_code == 303
    [logout] = await events(ctx, Kind.LOGOUT)
    assert (logout.subject, logout.actor) == (seeded.user_id, f"user:{seeded.user_id}")
