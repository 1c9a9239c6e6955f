"""Profiles as the seed says (issue 18): the administrator's *profil des nouveaux membres*,
the profile given in advance to an email winning over it and used up on arrival, the
congratulations page naming each account and profile, built-in profiles named in the page's
language while the claim keeps their identifiers."""

from __future__ import annotations

import httpx
import pytest

from idp.accounts.referencing import (
    Outcome,
    ProofStatus,
    ensure_referenced,
    reference_with_proof,
)
from idp.context import AppContext
from idp.domain.referencing import ADMINISTRATOR_PROFILE, chosen_profile
from idp.store.members import ProfileRefusal
from tests.journeys.helpers import administrator_of_pharmacie, post_form, text_of
from tests.referencing.helpers import (
    BOULANGERIE,
    PAUL,
    PHARMACIE,
    add_user,
    browser_signed_in,
    import_customers,
)
from tests.support import Seeded


@pytest.mark.parametrize(
    ("has_admin", "assigned", "new_members", "expected"),
    [
        (True, "given", "chosen", "given"),  # given in advance to this email
        (True, None, "chosen", "chosen"),  # else the new members' profile
        (True, None, None, "default"),  # an administrator who chose nothing
        (False, "given", "chosen", "default"),  # no administrator: « un profil par défaut »
    ],
)
def test_the_profile_of_a_new_member(
    has_admin: bool, assigned: str | None, new_members: str | None, expected: str
) -> None:
    assert (
        chosen_profile(
            has_administrator=has_admin,
            default_profile_id="default",
            assigned_profile_id=assigned,
            new_members_profile_id=new_members,
        )
        == expected
    )


async def _new_members_profile(ctx: AppContext, admin_id: str, name: str) -> str:
    profile = await ctx.store.customers.add_profile(
        PHARMACIE, name, ["submit_declarations"], ctx.clock.now()
    )
    refusal = await ctx.store.profiles.set_new_members_profile(
        PHARMACIE, actor_id=admin_id, profile_id=profile.id
    )
    assert refusal is None
    return profile.id


async def test_the_administrator_chooses_it_in_the_portal_and_paul_gets_it(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    sophie = await administrator_of_pharmacie(ctx)
    profile = await ctx.store.customers.add_profile(
        PHARMACIE, "Déclarations", ["submit_declarations"], ctx.clock.now()
    )
    await browser_signed_in(client, ctx.store, sophie.id, ctx.clock.now())
    admin = f"/portal/admin/{PHARMACIE}"
    chosen = await post_form(client, admin, f"{admin}/new-members-profile", profile_id=profile.id)
    assert chosen.headers["location"] == f"{admin}?done=new_members_profile"
    page = text_of(await client.get(chosen.headers["location"]))
    assert "Les nouveaux membres recevront ce profil." in page
    assert "Déclarations (nouveaux membres)" in page

    paul = await add_user(ctx.store, PAUL, ctx.clock.now(), name="Paul Durand")
    client.cookies.clear()
    await browser_signed_in(client, ctx.store, paul.id, ctx.clock.now())
    entry = await client.get("/portal")
    congratulations = text_of(await client.get(entry.headers["location"]))
    # Each customer account, with the profile given there.
    assert "Pharmacie du Marché (C0004412) · profil : Déclarations" in congratulations
    assert "Cabinet Comptable Durand (C0002087) · profil : Profil par défaut" in congratulations


async def test_a_profile_given_in_advance_wins_and_is_used_up(ctx: AppContext) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    sophie = await administrator_of_pharmacie(ctx)
    await _new_members_profile(ctx, sophie.id, "Nouveaux")
    given = await ctx.store.customers.add_profile(PHARMACIE, "Banque", [], ctx.clock.now())
    await ctx.store.customers.assign_profile(PHARMACIE, PAUL, given.id, ctx.clock.now())
    paul = await add_user(ctx.store, PAUL, ctx.clock.now())

    assert await ensure_referenced(ctx, paul) is Outcome.AUTO_REFERENCED
    accounts = {a.customer_code: a.profile for a in await ctx.store.customers.accounts_of(paul.id)}
    assert accounts[PHARMACIE] == "Banque"
    # Used: no longer listed among the profiles given in advance.
    assert await ctx.store.members.assignments_of(PHARMACIE) == []


async def test_a_proof_gives_the_new_members_profile(ctx: AppContext) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    now = ctx.clock.now()
    marie = await add_user(ctx.store, "marie.martin@example.com", now)
    sophie = await add_user(ctx.store, "sophie.bernard@example.com", now)
    assert (
        await reference_with_proof(ctx, sophie, "127.0.0.1", BOULANGERIE, "FA-2025-004711")
    ).status is ProofStatus.REFERENCED
    await ctx.store.customers.become_administrator(BOULANGERIE, sophie.id, now)
    chosen = await ctx.store.customers.add_profile(BOULANGERIE, "Paie", [], now)
    assert (
        await ctx.store.profiles.set_new_members_profile(
            BOULANGERIE, actor_id=sophie.id, profile_id=chosen.id
        )
        is None
    )
    result = await reference_with_proof(ctx, marie, "127.0.0.1", BOULANGERIE, "SP7-4K2Q-99XA-1187")
    assert result.status is ProofStatus.REFERENCED
    [account] = await ctx.store.customers.accounts_of(marie.id)
    assert account.profile == "Paie" and account.method == "proof"


async def test_only_the_administrator_chooses_it(ctx: AppContext) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    await administrator_of_pharmacie(ctx)
    other = await add_user(ctx.store, "mallory@example.com", ctx.clock.now())
    [default] = [p for p in await ctx.store.customers.profiles_of(PHARMACIE) if p.is_default]
    refusal = await ctx.store.profiles.set_new_members_profile(
        PHARMACIE, actor_id=other.id, profile_id=default.id
    )
    assert refusal is ProfileRefusal.NOT_ADMINISTRATOR


async def test_built_in_profiles_are_named_in_the_page_language_and_kept_in_the_claim(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    sophie = await administrator_of_pharmacie(ctx)
    await browser_signed_in(client, ctx.store, sophie.id, ctx.clock.now())
    french = text_of(await client.get("/portal/profile"))
    assert "Pharmacie du Marché (C0004412) Administrateur" in french
    english = text_of(await client.get("/portal/profile", headers={"Accept-Language": "en"}))
    assert "Pharmacie du Marché (C0004412) Administrator" in english
    admin = await client.get(f"/portal/admin/{PHARMACIE}")
    assert "<strong>Profil par défaut</strong>" in admin.text
    assert "<strong>default</strong>" not in admin.text
    [account] = await ctx.store.customers.accounts_of(sophie.id)
    assert account.profile == ADMINISTRATOR_PROFILE  # the claim's stable identifier
