"""Referencing at every sign-in and account creation, whatever the way in (issue 18; seed,
étape 3: « A l'issue de la création ou à la connexion, votre compte Sage ID va se référencer
automatiquement »)."""

from __future__ import annotations

import httpx

from idp.context import AppContext
from idp.settings import Settings
from tests.accounts.helpers import enter_code, last_code, signup
from tests.journeys.helpers import text_of
from tests.referencing.helpers import CABINET, PAUL, PHARMACIE, add_user, import_customers
from tests.support import (
    NATIVE_ID,
    NATIVE_REDIRECT,
    Seeded,
    authorization_code,
    pkce_authorize_params,
    query_of,
    sign_in,
)

PAUL_PASSWORD = "Cabinet-Durand-Paie-42"
CLAIRE = "claire.petit@example.com"
CLAIRE_CUSTOMERS = CABINET  # the test data: Claire's email notified the accounting firm
CLAIRE_ROW = f"{CABINET},notification_email,{CLAIRE}\n"


async def _paul(ctx: AppContext) -> str:
    await import_customers(ctx.store, ctx.clock.now())
    hashed = await ctx.passwords.hash(PAUL_PASSWORD)
    paul = await ctx.store.users.add(
        email=PAUL,
        name="Paul Durand",
        password_hash=hashed,
        email_verified=True,
        now=ctx.clock.now(),
    )
    return paul.id


async def _codes(ctx: AppContext, user_id: str) -> set[str]:
    return {a.customer_code for a in await ctx.store.customers.accounts_of(user_id)}


async def test_signing_in_at_signin_then_opening_the_portal_references_without_a_question(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    paul = await _paul(ctx)
    signed = await sign_in(client, PAUL, PAUL_PASSWORD, following="/account")
    assert signed.status_code == 303

    portal = await client.get("/portal")
    assert portal.status_code == 303
    assert portal.headers["location"] == "/referenced?next=%2Fportal"
    congratulations = text_of(await client.get(portal.headers["location"]))
    assert "Félicitations" in congratulations
    assert "Cabinet Comptable Durand (C0002087) · profil : Profil par défaut" in congratulations
    assert "Pharmacie du Marché (C0004412) · profil : Profil par défaut" in congratulations
    assert await _codes(ctx, paul) == {CABINET, PHARMACIE}

    tracking = await client.get("/portal")
    assert tracking.status_code == 200 and "Cabinet Comptable Durand" in tracking.text
    assert "/reference" not in tracking.text  # never the proof form


async def test_the_account_page_references_too(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    paul = await _paul(ctx)
    signed = await sign_in(client, PAUL, PAUL_PASSWORD, following="/account")
    account = await client.get(signed.headers["location"])
    assert account.status_code == 303
    assert account.headers["location"] == "/referenced?next=%2Faccount"
    assert await _codes(ctx, paul) == {CABINET, PHARMACIE}
    assert (await client.get("/account")).status_code == 200


async def test_creating_a_sage_id_from_the_portal_references_it(
    client: httpx.AsyncClient, ctx: AppContext, settings: Settings, seeded: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    await import_customers(ctx.store, ctx.clock.now(), "customer_code,kind,value\n" + CLAIRE_ROW)
    entry = await client.get("/portal")
    assert entry.headers["location"] == "/signin?next=%2Fportal"
    page = await signup(client, email=CLAIRE, name="Claire Petit", following="/portal")
    assert page.status_code == 200
    verified = await enter_code(client, page, last_code(settings, CLAIRE))
    assert verified.status_code == 303 and verified.headers["location"] == "/portal"

    portal = await client.get("/portal")
    assert portal.headers["location"] == "/referenced?next=%2Fportal"
    claire = await ctx.store.users.by_email(CLAIRE)
    assert claire is not None and await _codes(ctx, claire.id) == {CLAIRE_CUSTOMERS}


async def test_a_client_without_the_referencing_scope_references_silently(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    paul = await _paul(ctx)
    _, params = pkce_authorize_params(scope="openid profile")
    answer = await authorization_code(client, params, email=PAUL, password=PAUL_PASSWORD)
    # Straight back to the client with a code: no congratulations page, no proof form.
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith(NATIVE_REDIRECT)
    assert "code" in query_of(answer.headers["location"])
    assert await _codes(ctx, paul) == {CABINET, PHARMACIE}


async def test_a_client_without_the_referencing_scope_never_asks_for_a_proof(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    _, params = pkce_authorize_params(scope="openid profile")
    answer = await authorization_code(client, params)  # Marie: no notification email
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith(NATIVE_REDIRECT)
    assert await _codes(ctx, seeded.user_id) == set()


async def test_a_referencing_client_shows_the_congratulations_with_the_profiles(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await _paul(ctx)
    _, params = pkce_authorize_params(scope="openid referencing")
    answer = await authorization_code(client, params, email=PAUL, password=PAUL_PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/referenced?")
    page = text_of(await client.get(answer.headers["location"]))
    assert "profil : Profil par défaut" in page


async def test_the_device_flow_without_referencing_references_silently(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    paul = await _paul(ctx)
    started = await client.post(
        "/device_authorization", data={"client_id": NATIVE_ID, "scope": "openid profile"}
    )
    user_code = started.json()["user_code"]
    await sign_in(client, PAUL, PAUL_PASSWORD, following="/account")
    confirm = await client.get("/device/confirm", params={"user_code": user_code})
    assert confirm.status_code == 200  # the approval page itself, nothing before it
    assert await _codes(ctx, paul) == {CABINET, PHARMACIE}


async def test_the_proof_page_is_skipped_for_a_notification_email(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await _paul(ctx)
    await sign_in(client, PAUL, PAUL_PASSWORD, following="/account")
    page = await client.get("/reference", params={"next": "/portal"})
    assert page.status_code == 303
    assert page.headers["location"] == "/referenced?next=%2Fportal"


async def test_an_unreferenced_portal_explains_the_two_cases_before_the_form(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    await sign_in(client, following="/portal")
    portal = await client.get("/portal")
    page = text_of(portal)
    assert "Deux cas de figure peuvent se présenter" in page
    assert "Aucun envoi n’a encore notifié marie.martin@example.com" in page
    assert "code client Sage ainsi qu’un numéro de facture" in page
    assert 'href="/reference?next=/portal"' in portal.text
    english = text_of(await client.get("/portal", headers={"Accept-Language": "en"}))
    assert "Two cases can arise" in english
    profile = await client.get("/portal/profile")
    assert "Deux cas de figure peuvent se présenter" in text_of(profile)
    assert 'href="/reference?next=%2Fportal%2Fprofile"' in profile.text


async def test_an_unverified_email_is_never_referenced_by_notification(
    ctx: AppContext,
) -> None:
    from idp.accounts.referencing import Outcome, ensure_referenced

    await import_customers(ctx.store, ctx.clock.now())
    paul = await add_user(ctx.store, PAUL, ctx.clock.now(), verified=False)
    assert await ensure_referenced(ctx, paul) is Outcome.NEEDS_PROOF
