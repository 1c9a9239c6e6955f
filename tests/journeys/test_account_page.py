"""`/account` (issue 18): name, email changed through a code sent to the new address,
password change asking the current one and ending other sessions, customer accounts and
profiles, *Appareils et applications connectés* with *Déconnecter*."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from idp.context import AppContext
from idp.settings import Settings
from tests.accounts.helpers import last_code, mail_count, messages, submit, wrong
from tests.journeys.helpers import post_form, text_of
from tests.lifecycle.helpers import refresh, sign_in_tokens
from tests.referencing.helpers import BOULANGERIE, import_customers
from tests.support import EMAIL, PASSWORD, Seeded, assert_oauth_error, sign_in

NEW_ADDRESS = "marie@boulangerie-martin.fr"
NEW_PASSWORD = "Croissants au beurre tous les jours"


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, seeded: Seeded) -> Seeded:
    signed = await sign_in(client)
    assert signed.status_code == 303
    return seeded


async def test_the_page_shows_details_accounts_and_portal_links(
    client: httpx.AsyncClient, ctx: AppContext, signed_in: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    from tests.edi.helpers import reference

    await reference(ctx.store, signed_in.user_id, BOULANGERIE, "default", ctx.clock.now())
    page = await client.get("/account")
    words = text_of(page)
    assert 'value="Marie Martin"' in page.text and EMAIL in words
    assert "Boulangerie Martin (C0001234) · profil : Profil par défaut" in words
    assert 'href="/portal"' in page.text and 'href="/portal/profile"' in page.text
    assert "Appareils et applications connectés" in words
    english = text_of(await client.get("/account", headers={"Accept-Language": "en"}))
    assert "Connected devices and applications" in english


async def test_the_name_is_editable(
    client: httpx.AsyncClient, ctx: AppContext, signed_in: Seeded
) -> None:
    changed = await post_form(client, "/account", "/account/name", name="  Marie   Martin-Dupré ")
    assert changed.headers["location"] == "/account?done=name"
    user = await ctx.store.users.by_id(signed_in.user_id)
    assert user is not None and user.name == "Marie Martin-Dupré"
    empty = await post_form(client, "/account", "/account/name", name="   ")
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.text


async def test_password_change_asks_the_current_one_and_ends_other_sessions(
    app: Starlette,
    client: httpx.AsyncClient,
    ctx: AppContext,
    settings: Settings,
    signed_in: Seeded,
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as other:
        await sign_in(other)
        assert "Marie Martin" in (await other.get("/account")).text

        refused = await post_form(
            client,
            "/account",
            "/account/password",
            current="not my password",
            password=NEW_PASSWORD,
            confirmation=NEW_PASSWORD,
        )
        assert refused.status_code == 400
        assert "Ce n’est pas votre mot de passe actuel." in text_of(refused)

        changed = await post_form(
            client,
            "/account",
            "/account/password",
            current=PASSWORD,
            password=NEW_PASSWORD,
            confirmation=NEW_PASSWORD,
        )
        assert changed.headers["location"] == "/account?done=password"
        # This browser stays signed in (a new session); the other one is signed out.
        assert "Marie Martin" in (await client.get("/account")).text
        assert "Vous n’êtes pas connecté" in text_of(await other.get("/account"))
    client.cookies.clear()
    assert (await sign_in(client, EMAIL, NEW_PASSWORD)).status_code == 303


async def test_email_change_needs_the_code_sent_to_the_new_address(
    client: httpx.AsyncClient, ctx: AppContext, settings: Settings, signed_in: Seeded
) -> None:
    before = mail_count(settings)
    page = await post_form(
        client, "/account", "/account/email", new_email="Marie@Boulangerie-Martin.fr"
    )
    assert page.status_code == 200
    assert mail_count(settings) == before + 1
    [mail] = [m for m in messages(settings.outbox_dir) if NEW_ADDRESS in str(m["To"])]
    assert "changement d’email" in str(mail["Subject"])
    code = last_code(settings, NEW_ADDRESS)

    # A code for this address cannot confirm another one, nor can a wrong code.
    other = await submit(
        client, page, "/account/email/confirm", code=code, new_email="someone@else.example"
    )
    assert other.status_code == 400
    user = await ctx.store.users.by_id(signed_in.user_id)
    assert user is not None and user.email == EMAIL
    page = await post_form(client, "/account", "/account/email", new_email=NEW_ADDRESS)
    code = last_code(settings, NEW_ADDRESS)
    bad = await submit(client, page, "/account/email/confirm", code=wrong(code))
    assert bad.status_code == 400

    confirmed = await submit(client, page, "/account/email/confirm", code=code)
    assert confirmed.headers["location"] == "/account?done=email"
    user = await ctx.store.users.by_id(signed_in.user_id)
    assert user is not None and user.email == NEW_ADDRESS and user.email_verified
    client.cookies.clear()
    assert (await sign_in(client, NEW_ADDRESS, PASSWORD)).status_code == 303


async def test_email_change_refuses_an_address_in_use(
    client: httpx.AsyncClient, ctx: AppContext, settings: Settings, signed_in: Seeded
) -> None:
    await ctx.store.users.add(
        email="paul.durand@example.com", name="Paul", password_hash="x", now=ctx.clock.now()
    )
    before = mail_count(settings)
    for address in ("paul.durand@example.com", EMAIL, "not-an-email"):
        answer = await post_form(client, "/account", "/account/email", new_email=address)
        assert answer.status_code == 400 and 'aria-invalid="true"' in answer.text, address
    assert mail_count(settings) == before


async def test_disconnecting_an_application_ends_its_refresh_token_at_once(
    client: httpx.AsyncClient, ctx: AppContext, signed_in: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    page = await client.get("/account")
    words = text_of(page)
    assert "Desktop test app" in words and "dernière utilisation le" in words
    [grant_id] = [
        line.split('value="')[1].split('"')[0]
        for line in page.text.splitlines()
        if 'name="grant_id"' in line
    ]
    done = await submit(client, page, "/account/apps/disconnect", grant_id=grant_id)
    assert done.headers["location"] == "/account?done=disconnected"
    assert_oauth_error(await refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    assert "Desktop test app" not in text_of(await client.get("/account"))


async def test_an_application_of_another_user_cannot_be_disconnected(
    client: httpx.AsyncClient, ctx: AppContext, signed_in: Seeded
) -> None:
    from tests.edi.helpers import new_grant
    from tests.referencing.helpers import add_user

    paul = await add_user(ctx.store, "paul.durand@example.com", ctx.clock.now())
    theirs = await new_grant(ctx.store, paul.id, ctx.clock.now())
    await post_form(client, "/account", "/account/apps/disconnect", grant_id=theirs)
    grant = await ctx.store.grants.get(theirs)
    assert grant is not None and grant.revoked_at is None


async def test_signed_out_forms_lead_to_sign_in(client: httpx.AsyncClient, seeded: Seeded) -> None:
    page = await client.get("/account")
    assert "Vous n’êtes pas connecté" in text_of(page)
    answer = await post_form(client, "/signin", "/account/name", name="X")
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=%2Faccount"


async def test_the_page_lists_the_users_own_recent_sign_ins(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    """Read from the audit trail (issue 14): a wrong password, then the sign-in."""
    await sign_in(client, password="not the password")
    await sign_in(client)
    words = text_of(await client.get("/account"))
    assert "Connexions récentes" in words
    assert "Mot de passe incorrect" in words and "Connexion réussie" in words
    english = text_of(await client.get("/account", params={"ui_locales": "en"}))
    assert "Recent sign-ins" in english and "Wrong password" in english
