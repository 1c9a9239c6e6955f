"""Forgot password: a code by email, a new password under the same policy, and every grant
revoked and every other session ended."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.i18n import french_spacing
from idp.store.tables import grants
from tests.accounts.helpers import OTHER_PASSWORD, last_code, mail_count, submit, wrong
from tests.support import (
    EMAIL,
    PASSWORD,
    Seeded,
    issued_code,
    redeem_code,
    sign_in,
)


async def _forgot(client: httpx.AsyncClient, email: str = EMAIL) -> httpx.Response:
    page = await client.get("/password/forgot", params={"login_hint": email})
    assert f'value="{email}"' in page.text
    return await submit(client, page, "/password/forgot", email=email)


async def _reset(
    client: httpx.AsyncClient,
    page: httpx.Response,
    code: str,
    password: str = OTHER_PASSWORD,
    confirmation: str | None = None,
) -> httpx.Response:
    return await submit(
        client,
        page,
        "/password/reset",
        code=code,
        password=password,
        confirmation=password if confirmation is None else confirmation,
    )


async def _open_grants(ctx: AppContext, user_id: str) -> int:
    async with ctx.store.db.read() as c:
        rows = await c.execute(
            select(grants.c.id).where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
        )
        return len(rows.all())


async def test_a_reset_sets_the_password_revokes_grants_and_ends_other_sessions(
    app: object, client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, settings: object
) -> None:
    # Elsewhere: a browser signed in, and an application holding tokens.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=ctx.settings.issuer) as other:
        code, verifier = await issued_code(other)
        tokens = await redeem_code(other, code, verifier)
        assert await _open_grants(ctx, seeded.user_id) == 1

        page = await _forgot(client)
        assert page.status_code == 200 and 'action="/password/reset"' in page.text
        assert 'autocomplete="one-time-code"' in page.text
        assert page.text.count('autocomplete="new-password"') == 2
        mail = last_code(ctx.settings, to=EMAIL)
        done = await _reset(client, page, mail)
        assert done.status_code == 303 and done.headers["location"] == "/account"

        assert await _open_grants(ctx, seeded.user_id) == 0
        assert EMAIL not in (await other.get("/account")).text  # that session ended
        assert EMAIL in (await client.get("/account")).text  # this browser is signed in
        userinfo = await other.get(
            "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert userinfo.status_code == 401

    client.cookies.clear()
    assert (await sign_in(client, password=PASSWORD)).status_code == 400
    assert (await sign_in(client, password=OTHER_PASSWORD)).status_code == 303


@pytest.mark.parametrize(
    ("password", "confirmation", "message"),
    [
        ("short", None, "Utilisez au moins 12 caractères."),
        ("1qaz2wsx3edc", None, "Ce mot de passe est trop courant."),
        (EMAIL, None, "N’utilisez pas votre adresse email"),
        (OTHER_PASSWORD, "something else entirely", "ne correspondent pas"),
    ],
    ids=["short", "common", "email", "mismatch"],
)
async def test_the_new_password_follows_the_policy_without_spending_the_code(
    client: httpx.AsyncClient,
    ctx: AppContext,
    seeded: Seeded,
    password: str,
    confirmation: str | None,
    message: str,
) -> None:
    page = await _forgot(client)
    code = last_code(ctx.settings, to=EMAIL)
    refused = await _reset(client, page, code, password, confirmation)
    assert refused.status_code == 400 and message in refused.text
    assert f'value="{code}"' in refused.text  # kept for the next try
    assert (await _reset(client, refused, code)).status_code == 303


async def test_a_wrong_reset_code_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    page = await _forgot(client)
    answer = await _reset(client, page, wrong(last_code(ctx.settings, to=EMAIL)))
    assert answer.status_code == 400 and french_spacing("Essais restants : 4.") in answer.text
    client.cookies.clear()
    assert (await sign_in(client)).status_code == 303  # the old password still works


async def test_a_verify_code_does_not_reset_a_password(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    page = await _forgot(client)
    user = await ctx.store.users.by_id(seeded.user_id)
    assert user is not None
    from idp.accounts.codes import send_code

    await send_code(ctx, user, "verify", "fr")  # a code of the other purpose
    answer = await _reset(client, page, last_code(ctx.settings, to=EMAIL))
    assert answer.status_code == 400


async def test_an_unknown_email_is_told_so(client: httpx.AsyncClient, seeded: Seeded) -> None:
    answer = await _forgot(client, "nobody@example.fr")
    assert answer.status_code == 400
    assert "Aucun Sage ID n’utilise cette adresse email." in answer.text
    assert "/signup?" in answer.text


async def test_reset_resend_is_limited_too(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    page = await _forgot(client)
    assert (await submit(client, page, "/password/reset/resend")).status_code == 429
    again = await _forgot(client)  # asking again from the start is the same limit
    assert again.status_code == 429 and "moins d’une minute" in again.text
    assert mail_count(ctx.settings) == 1
    clock.advance(60)
    resent = await submit(client, page, "/password/reset/resend")
    assert resent.status_code == 200 and mail_count(ctx.settings) == 2
    assert (await _reset(client, resent, last_code(ctx.settings, to=EMAIL))).status_code == 303


async def test_a_reset_lifts_the_password_lock(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    for _ in range(5):
        await sign_in(client, password="not the password at all")
    assert (await sign_in(client)).status_code == 429
    page = await _forgot(client)
    assert (await _reset(client, page, last_code(ctx.settings, to=EMAIL))).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, password=OTHER_PASSWORD)).status_code == 303


async def test_the_reset_page_needs_the_browser_that_asked(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    answer = await client.get("/password/reset", params={"next": "/account"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/password/forgot?")
