"""`ensure_referenced`: the step the sign-in journey runs for the `referencing` scope."""

from __future__ import annotations

from idp.accounts.referencing import Outcome, ProofStatus, ensure_referenced, reference_with_proof
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.domain.referencing import DEFAULT_PROFILE
from idp.store.customers import AdminOutcome
from tests.referencing.helpers import (
    BOULANGERIE,
    CABINET,
    JULIEN,
    PAUL,
    PHARMACIE,
    add_user,
    import_customers,
)


async def pharmacie_with_administrator(ctx: AppContext, *, assign_paul: str | None) -> None:
    """Julien Roux, referenced by his notification email, administers the pharmacy; he may
    have chosen a profile for Paul's email beforehand."""
    now = ctx.clock.now()
    julien = await add_user(ctx.store, JULIEN, now)
    assert await ensure_referenced(ctx, julien) is Outcome.AUTO_REFERENCED
    assert await ctx.store.customers.become_administrator(PHARMACIE, julien.id, now) is (
        AdminOutcome.APPOINTED
    )
    if assign_paul is not None:
        profile = await ctx.store.customers.add_profile(
            PHARMACIE, assign_paul, ["submit_declarations"], now
        )
        await ctx.store.customers.assign_profile(PHARMACIE, PAUL, profile.id, now)


async def test_a_notification_email_references_to_every_customer_it_notified(
    ctx: AppContext, clock: FrozenClock
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    await pharmacie_with_administrator(ctx, assign_paul="Déclarations")
    paul = await add_user(ctx.store, PAUL, ctx.clock.now())

    assert await ensure_referenced(ctx, paul) is Outcome.AUTO_REFERENCED
    accounts = {a.customer_code: a for a in await ctx.store.customers.accounts_of(paul.id)}
    # No administrator: the default profile. An administrator's choice for this email: it.
    assert accounts[CABINET].profile == DEFAULT_PROFILE
    assert accounts[PHARMACIE].profile == "Déclarations"
    assert {a.method for a in accounts.values()} == {"notification_email"}
    assert not any(a.is_admin for a in accounts.values())

    clock.advance(60)
    assert await ensure_referenced(ctx, paul) is Outcome.REFERENCED
    assert len(await ctx.store.customers.accounts_of(paul.id)) == 2


async def test_an_administrator_who_chose_nothing_leaves_the_default_profile(
    ctx: AppContext,
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    await pharmacie_with_administrator(ctx, assign_paul=None)
    paul = await add_user(ctx.store, PAUL, ctx.clock.now())
    assert await ensure_referenced(ctx, paul) is Outcome.AUTO_REFERENCED
    profiles = {a.customer_code: a.profile for a in await ctx.store.customers.accounts_of(paul.id)}
    assert profiles == {CABINET: DEFAULT_PROFILE, PHARMACIE: DEFAULT_PROFILE}


async def test_an_unknown_or_unverified_email_needs_a_proof(ctx: AppContext) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    marie = await add_user(ctx.store, "marie.martin@example.com", ctx.clock.now())
    assert await ensure_referenced(ctx, marie) is Outcome.NEEDS_PROOF
    unverified = await add_user(ctx.store, PAUL, ctx.clock.now(), verified=False)
    assert await ensure_referenced(ctx, unverified) is Outcome.NEEDS_PROOF
    assert await ctx.store.customers.accounts_of(unverified.id) == []


async def test_a_user_referenced_by_proof_is_referenced(ctx: AppContext) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    marie = await add_user(ctx.store, "marie.martin@example.com", ctx.clock.now())
    result = await reference_with_proof(ctx, marie, "192.0.2.1", "c0001234", "FA 2025 004711")
    assert (result.status, result.customer_code) == (ProofStatus.REFERENCED, BOULANGERIE)
    assert await ensure_referenced(ctx, marie) is Outcome.REFERENCED
