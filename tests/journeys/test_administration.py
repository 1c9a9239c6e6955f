"""Administration (issue 18): rename and delete profiles (members move to the new members'
profile, behind a confirmation), withdraw a profile given in advance, remove a member (their
access to the customer ends at once)."""

from __future__ import annotations

import httpx

from idp.accounts.referencing import Outcome, ensure_referenced
from idp.context import AppContext
from idp.store.members import ProfileRefusal
from tests.edi.helpers import bearer, mint, new_grant, upload
from tests.journeys.helpers import administrator_of_pharmacie, post_form, text_of
from tests.referencing.helpers import (
    PAUL,
    PHARMACIE,
    add_user,
    browser_signed_in,
    import_customers,
)
from tests.support import Seeded

ADMIN = f"/portal/admin/{PHARMACIE}"


async def _world(ctx: AppContext, client: httpx.AsyncClient) -> tuple[str, str]:
    """Sophie administers the pharmacy and is signed in; Paul is a member."""
    await import_customers(ctx.store, ctx.clock.now())
    sophie = await administrator_of_pharmacie(ctx)
    paul = await add_user(ctx.store, PAUL, ctx.clock.now(), name="Paul Durand")
    await ensure_referenced(ctx, paul)
    await browser_signed_in(client, ctx.store, sophie.id, ctx.clock.now())
    return sophie.id, paul.id


async def _profile_of(ctx: AppContext, user_id: str) -> str:
    accounts = await ctx.store.customers.accounts_of(user_id)
    return next(a.profile for a in accounts if a.customer_code == PHARMACIE)


async def test_rename_a_profile(client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded) -> None:
    _, paul = await _world(ctx, client)
    profile = await ctx.store.customers.add_profile(PHARMACIE, "Paie", [], ctx.clock.now())
    await ctx.store.members.change_profile(
        PHARMACIE, actor_id=(await _sophie(ctx)), member_id=paul, profile_id=profile.id
    )
    renamed = await post_form(
        client, ADMIN, f"{ADMIN}/profiles/rename", profile_id=profile.id, name="  Paie  et DSN "
    )
    assert renamed.headers["location"] == f"{ADMIN}?done=profile_renamed"
    assert await _profile_of(ctx, paul) == "Paie et DSN"
    assert "Le profil a été renommé." in text_of(await client.get(renamed.headers["location"]))


async def _sophie(ctx: AppContext) -> str:
    sophie = await ctx.store.users.by_email("sophie.bernard@example.com")
    assert sophie is not None
    return sophie.id


async def test_built_in_profiles_are_neither_renamed_nor_deleted(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await _world(ctx, client)
    default = next(p for p in await ctx.store.customers.profiles_of(PHARMACIE) if p.is_default)
    for action, fields in (("rename", {"name": "Tous"}), ("delete", {})):
        answer = await post_form(
            client, ADMIN, f"{ADMIN}/profiles/{action}", profile_id=default.id, **fields
        )
        assert answer.headers["location"] == f"{ADMIN}?error=builtin_profile"
    page = await client.get(ADMIN)
    assert f'action="{ADMIN}/profiles/delete"' not in page.text  # not even offered for them


async def test_rename_refuses_a_taken_or_empty_name(ctx: AppContext) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    sophie = await administrator_of_pharmacie(ctx)
    paie = await ctx.store.customers.add_profile(PHARMACIE, "Paie", [], ctx.clock.now())
    await ctx.store.customers.add_profile(PHARMACIE, "Banque", [], ctx.clock.now())
    rename = ctx.store.profiles.rename
    assert await rename(PHARMACIE, actor_id=sophie.id, profile_id=paie.id, name="Banque") is (
        ProfileRefusal.EXISTS
    )
    assert await rename(PHARMACIE, actor_id=sophie.id, profile_id=paie.id, name=" ") is (
        ProfileRefusal.INVALID
    )


async def test_delete_moves_members_to_the_new_members_profile_after_a_confirmation(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    sophie, paul = await _world(ctx, client)
    now = ctx.clock.now()
    doomed = await ctx.store.customers.add_profile(PHARMACIE, "Ancien", [], now)
    heir = await ctx.store.customers.add_profile(PHARMACIE, "Nouveaux", [], now)
    await ctx.store.profiles.set_new_members_profile(PHARMACIE, actor_id=sophie, profile_id=heir.id)
    await ctx.store.members.change_profile(
        PHARMACIE, actor_id=sophie, member_id=paul, profile_id=doomed.id
    )
    await ctx.store.customers.assign_profile(PHARMACIE, "lea@example.com", doomed.id, now)

    page = text_of(await client.get(ADMIN))
    assert "Membres ayant ce profil : 1. Ils recevront le profil Nouveaux." in page
    deleted = await post_form(client, ADMIN, f"{ADMIN}/profiles/delete", profile_id=doomed.id)
    assert deleted.headers["location"] == f"{ADMIN}?done=profile_deleted"
    assert await _profile_of(ctx, paul) == "Nouveaux"
    assert "Ancien" not in {p.name for p in await ctx.store.customers.profiles_of(PHARMACIE)}
    assert await ctx.store.members.assignments_of(PHARMACIE) == []

    # Deleting the new members' profile itself: its members go to the default profile.
    deleted = await post_form(client, ADMIN, f"{ADMIN}/profiles/delete", profile_id=heir.id)
    assert deleted.headers["location"] == f"{ADMIN}?done=profile_deleted"
    assert await _profile_of(ctx, paul) == "default"


async def test_withdraw_a_profile_given_in_advance(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await _world(ctx, client)
    profile = await ctx.store.customers.add_profile(PHARMACIE, "Paie", [], ctx.clock.now())
    await ctx.store.customers.assign_profile(
        PHARMACIE, "lea@example.com", profile.id, ctx.clock.now()
    )
    assert "lea@example.com" in text_of(await client.get(ADMIN))
    withdrawn = await post_form(
        client, ADMIN, f"{ADMIN}/assignments/withdraw", email="Lea@Example.com"
    )
    assert withdrawn.headers["location"] == f"{ADMIN}?done=assignment_withdrawn"
    assert await ctx.store.members.assignments_of(PHARMACIE) == []
    again = await post_form(client, ADMIN, f"{ADMIN}/assignments/withdraw", email="lea@example.com")
    assert again.headers["location"] == f"{ADMIN}?error=no_such_assignment"


async def test_a_non_administrator_cannot_change_profiles(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    _, paul = await _world(ctx, client)
    client.cookies.clear()
    await browser_signed_in(client, ctx.store, paul, ctx.clock.now())
    profile = await ctx.store.customers.add_profile(PHARMACIE, "Paie", [], ctx.clock.now())
    for action, fields in (
        ("profiles/rename", {"profile_id": profile.id, "name": "X"}),
        ("profiles/delete", {"profile_id": profile.id}),
        ("new-members-profile", {"profile_id": profile.id}),
        ("assignments/withdraw", {"email": "lea@example.com"}),
    ):
        answer = await post_form(client, "/portal/profile", f"{ADMIN}/{action}", **fields)
        assert answer.status_code == 403, action
    assert {p.name for p in await ctx.store.customers.profiles_of(PHARMACIE)} >= {"Paie"}


async def test_removing_a_member_ends_their_access_at_once(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    _, paul = await _world(ctx, client)
    grant_id = await new_grant(ctx.store, paul, ctx.clock.now())
    token = mint(ctx.settings, ctx.keys, paul, grant_id, scope="openid edi")
    sent = await upload(client, token, customer=PHARMACIE, email=PAUL)
    assert sent.status_code == 201, sent.text

    page = await client.get(ADMIN)
    assert "Confirmer le retrait" in page.text  # the removal sits behind a confirmation
    removed = await post_form(client, ADMIN, f"{ADMIN}/members/remove", member_id=paul)
    assert removed.headers["location"] == f"{ADMIN}?done=member_removed"
    # The same access token, a moment later: that customer is no longer his.
    refused = await upload(client, token, customer=PHARMACIE, email=PAUL)
    assert refused.status_code == 401, refused.text  # every sign-in of his ended (issue 15)
    # Signed in again: that customer is no longer his, nor are its submissions.
    fresh = mint(
        ctx.settings,
        ctx.keys,
        paul,
        await new_grant(ctx.store, paul, ctx.clock.now()),
        scope="openid edi",
    )
    again = await upload(client, fresh, customer=PHARMACIE, email=PAUL)
    assert again.status_code == 403, again.text
    listed = await client.get("/api/v1/submissions", headers=bearer(fresh))
    assert listed.json()["items"] == []
    # Nor does a sign-in bring him back: his address is forgotten as a notification email.
    user = await ctx.store.users.by_id(paul)
    assert user is not None and await ensure_referenced(ctx, user) is Outcome.REFERENCED
    assert PHARMACIE not in {a.customer_code for a in await ctx.store.customers.accounts_of(paul)}
