"""Customers in the store: the all-or-nothing import, memberships, administrators, profiles."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Table, func, select

from idp.customer_data import import_customer_file
from idp.domain.referencing import (
    ADMINISTRATOR_PROFILE,
    DEFAULT_PROFILE,
    TERMS_VERSION,
    Method,
    NewMembership,
    ProofAttempt,
    ProofKind,
)
from idp.store import Store
from idp.store.customer_import import ImportCounts
from idp.store.customers import AdminOutcome, ProfileExists
from idp.store.tables import customer_proofs, memberships, notification_emails
from tests.referencing.helpers import (
    BOULANGERIE,
    CABINET,
    CUSTOMERS,
    PAUL,
    PHARMACIE,
    add_user,
    import_customers,
)

NOW = 1_764_000_000.0


async def table_size(store: Store, table: Table) -> int:
    async with store.db.read() as c:
        query = select(func.count()).select_from(table)
        return int((await c.execute(query)).scalar_one())


async def test_a_good_file_is_imported_and_importing_it_again_changes_nothing(
    store: Store,
) -> None:
    assert await import_customers(store, NOW) == ImportCounts(3, 0, 3, 3)
    sizes = [await table_size(store, t) for t in (customer_proofs, notification_emails)]
    assert await import_customers(store, NOW + 60) == ImportCounts(0, 0, 0, 0)
    assert [await table_size(store, t) for t in (customer_proofs, notification_emails)] == sizes
    summary = {c.code: c for c in await store.customers.all()}
    assert set(summary) == {BOULANGERIE, CABINET, PHARMACIE}
    assert (summary[BOULANGERIE].proofs, summary[BOULANGERIE].notification_emails) == (2, 0)
    assert summary[PHARMACIE].name == "Pharmacie du Marché"
    assert summary[PHARMACIE].notification_emails == 2
    profiles = await store.customers.profiles_of(CABINET)
    assert [(p.name, p.is_default) for p in profiles] == [
        (ADMINISTRATOR_PROFILE, False),
        (DEFAULT_PROFILE, True),
    ]


async def test_a_later_file_adds_proofs_to_known_customers_and_renames(store: Store) -> None:
    await import_customers(store, NOW)
    later = (
        "customer_code,kind,value\n"
        "C0001234,customer,Boulangerie Martin & Fils\n"
        "C0002087,serial,SCP-88KD-21LM-0045\n"
    )
    assert await import_customers(store, NOW, later) == ImportCounts(0, 1, 1, 0)
    customer = await store.customers.by_code("c000 1234")
    assert customer is not None and customer.name == "Boulangerie Martin & Fils"


async def test_a_file_with_bad_rows_imports_nothing_and_lists_them_by_line(store: Store) -> None:
    bad = CUSTOMERS + "C0001234,invoice,12\nC0005555,serial,ABCD-1234\nC0001234,fax,0123\n"
    counts, errors = await import_customer_file(store, bad, NOW)
    assert counts is None
    assert [(e.line, e.message.split(" ")[:2]) for e in errors] == [
        (11, ["the", "invoice"]),
        (12, ["unknown", "customer"]),
        (13, ["unknown", "kind"]),
    ]
    assert await store.customers.all() == []
    assert await table_size(store, customer_proofs) == 0


async def test_a_proof_target_holds_only_the_proofs_of_the_number(store: Store) -> None:
    await import_customers(store, NOW)
    attempt = ProofAttempt.parse("c0001234", "sp7 4k2q 99xa 1187")
    assert attempt is not None
    target = await store.customers.proof_target(attempt)
    assert target is not None
    assert target.customer.name == "Boulangerie Martin"
    assert [p.kind for p in target.proofs] == [ProofKind.SERIAL]
    wrong = ProofAttempt.parse(BOULANGERIE, "FA-2025-010542")  # the cabinet's invoice
    assert wrong is not None
    found = await store.customers.proof_target(wrong)
    assert found is not None and found.proofs == ()
    unknown = ProofAttempt.parse("C0000000", "FA-2025-004711")
    assert unknown is not None
    assert await store.customers.proof_target(unknown) is None


async def test_referencing_is_idempotent_and_feeds_the_claim(store: Store) -> None:
    await import_customers(store, NOW)
    user = await add_user(store, PAUL, NOW)
    facts = await store.customers.referencing_facts(user.id, " Paul.DURAND@example.com")
    assert facts.referenced == frozenset()
    assert {c.customer_code for c in facts.candidates} == {CABINET, PHARMACIE}
    default = next(c.default_profile_id for c in facts.candidates if c.customer_code == CABINET)
    membership = NewMembership(CABINET, default, Method.NOTIFICATION_EMAIL)
    assert await store.customers.reference(user.id, [membership], NOW) == [CABINET]
    assert await store.customers.reference(user.id, [membership], NOW + 5) == []
    boulangerie = await store.customers.proof_target(ProofAttempt(BOULANGERIE, "X"))
    assert boulangerie is not None
    by_proof = NewMembership(
        BOULANGERIE, boulangerie.default_profile_id, Method.PROOF, TERMS_VERSION
    )
    assert await store.customers.reference(user.id, [by_proof], NOW + 10) == [BOULANGERIE]

    accounts = await store.customers.accounts_of(user.id)
    assert [(a.customer_code, a.profile, a.method, a.is_admin) for a in accounts] == [
        (CABINET, DEFAULT_PROFILE, "notification_email", False),
        (BOULANGERIE, DEFAULT_PROFILE, "proof", False),
    ]
    assert [a.referenced_at for a in accounts] == [NOW, NOW + 10]
    async with store.db.read() as c:
        query = select(memberships.c.terms_version, memberships.c.terms_accepted_at).where(
            memberships.c.customer_code == BOULANGERIE
        )
        terms = (await c.execute(query)).one()
    assert tuple(terms) == (TERMS_VERSION, NOW + 10)
    assert (await store.customers.referencing_facts(user.id, PAUL)).referenced == {
        CABINET,
        BOULANGERIE,
    }


async def referenced_member(store: Store, email: str, code: str) -> str:
    user = await add_user(store, email, NOW)
    target = await store.customers.proof_target(ProofAttempt(code, "NONE"))
    assert target is not None
    new = NewMembership(code, target.default_profile_id, Method.PROOF, TERMS_VERSION)
    await store.customers.reference(user.id, [new], NOW)
    return user.id


async def test_two_members_racing_to_become_administrator_one_wins(store: Store) -> None:
    await import_customers(store, NOW)
    first = await referenced_member(store, "a@boulangerie-martin.fr", BOULANGERIE)
    second = await referenced_member(store, "b@boulangerie-martin.fr", BOULANGERIE)
    outcomes = await asyncio.gather(
        store.customers.become_administrator(BOULANGERIE, first, NOW),
        store.customers.become_administrator(BOULANGERIE, second, NOW),
    )
    assert sorted(outcomes) == sorted([AdminOutcome.APPOINTED, AdminOutcome.TAKEN])
    winner = first if outcomes[0] is AdminOutcome.APPOINTED else second
    loser = second if winner == first else first
    (won,) = await store.customers.accounts_of(winner)
    (lost,) = await store.customers.accounts_of(loser)
    assert (won.profile, won.is_admin) == (ADMINISTRATOR_PROFILE, True)
    assert (lost.profile, lost.is_admin) == (DEFAULT_PROFILE, False)
    customer = await store.customers.by_code(BOULANGERIE)
    assert customer is not None and customer.administrator_id == winner
    # Asking again changes nothing, for either.
    assert await store.customers.become_administrator(BOULANGERIE, winner, NOW) is (
        AdminOutcome.ALREADY
    )
    assert await store.customers.become_administrator(BOULANGERIE, loser, NOW) is (
        AdminOutcome.TAKEN
    )


async def test_only_members_become_administrator(store: Store) -> None:
    await import_customers(store, NOW)
    outsider = await add_user(store, "someone@example.com", NOW)
    assert await store.customers.become_administrator(CABINET, outsider.id, NOW) is (
        AdminOutcome.NOT_A_MEMBER
    )
    assert await store.customers.become_administrator("C404", outsider.id, NOW) is (
        AdminOutcome.NO_SUCH_CUSTOMER
    )
    customer = await store.customers.by_code(CABINET)
    assert customer is not None and customer.administrator_id is None


async def test_administrator_profiles_and_pre_assignment(store: Store) -> None:
    await import_customers(store, NOW)
    profile = await store.customers.add_profile(
        PHARMACIE, "Déclarations", ["view_tracking", "submit_declarations"], NOW
    )
    assert profile.permissions == ("submit_declarations", "view_tracking")
    with pytest.raises(ProfileExists):
        await store.customers.add_profile(PHARMACIE, "Déclarations", [], NOW)
    with pytest.raises(ValueError, match="unknown permissions"):
        await store.customers.add_profile(PHARMACIE, "Tout", ["everything"], NOW)
    await store.customers.assign_profile(PHARMACIE, " Paul.Durand@Example.com", profile.id, NOW)
    await store.customers.assign_profile(PHARMACIE, PAUL, profile.id, NOW + 1)  # replaces
    with pytest.raises(ValueError, match="no profile"):
        await store.customers.assign_profile(CABINET, PAUL, profile.id, NOW)
    user = await add_user(store, PAUL, NOW)
    facts = await store.customers.referencing_facts(user.id, PAUL)
    assigned = {c.customer_code: c.assigned_profile_id for c in facts.candidates}
    assert assigned == {CABINET: None, PHARMACIE: profile.id}
