"""Customer accounts and the Sage IDs referenced to them (seed, étape 3): customers, proofs,
notification emails, profiles, memberships and administrators. The rules are in
`idp.domain.referencing`; this module reads the facts they need and writes their outcome, each
outcome in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from idp.domain.customer_import import ImportPlan
from idp.domain.email_address import normalise_email
from idp.domain.referencing import (
    ADMINISTRATOR_PROFILE,
    Account,
    AdminRefusal,
    NewMembership,
    NotificationCandidate,
    Proof,
    ProofAttempt,
    ProofKind,
    check_profile,
    chosen_profile,
    may_become_administrator,
    normalise_identifier,
)
from idp.store import customer_import
from idp.store.customer_import import ImportCounts, insert_ignoring_duplicates
from idp.store.database import Database
from idp.store.tables import (
    customer_proofs,
    customers,
    memberships,
    notification_emails,
    profile_assignments,
    profiles,
    users,
)

# The `referencing` claim's read, on the hot paths of userinfo and refresh (built once).
_ACCOUNTS = (
    select(
        customers.c.code,
        customers.c.name,
        customers.c.administrator_id,
        profiles.c.name.label("profile"),
        memberships.c.method,
        memberships.c.referenced_at,
    )
    .join(customers, customers.c.code == memberships.c.customer_code)
    .join(profiles, profiles.c.id == memberships.c.profile_id)
    .where(memberships.c.user_id == bindparam("user_id"))
    .order_by(memberships.c.referenced_at, customers.c.code)
)


@dataclass(frozen=True)
class CustomerRecord:
    code: str
    name: str
    administrator_id: str | None


@dataclass(frozen=True)
class CustomerSummary:
    code: str
    name: str
    administrator_email: str | None
    members: int
    proofs: int
    notification_emails: int


@dataclass(frozen=True)
class ProfileRecord:
    id: str
    customer_code: str
    name: str
    permissions: tuple[str, ...]
    is_default: bool
    is_new_members: bool = False


@dataclass(frozen=True)
class ReferencingFacts:
    """What automatic referencing decides on, read in one connection."""

    referenced: frozenset[str]  # customer codes the user is already referenced to
    candidates: tuple[NotificationCandidate, ...]


@dataclass(frozen=True)
class ProofTarget:
    """The customer an attempt names, with its proofs whose value is the attempt's number."""

    customer: CustomerRecord
    default_profile_id: str
    proofs: tuple[Proof, ...]
    new_members_profile_id: str | None = None
    assigned_profile_id: str | None = None  # given in advance to the email of the one trying

    @property
    def profile_id(self) -> str:
        """The profile a member referenced by this proof gets (`chosen_profile`)."""
        return chosen_profile(
            has_administrator=self.customer.administrator_id is not None,
            default_profile_id=self.default_profile_id,
            assigned_profile_id=self.assigned_profile_id,
            new_members_profile_id=self.new_members_profile_id,
        )


class AdminOutcome(StrEnum):
    APPOINTED = "appointed"
    ALREADY = "already"  # the user already is its administrator
    NOT_A_MEMBER = AdminRefusal.NOT_A_MEMBER.value
    TAKEN = AdminRefusal.TAKEN.value
    NO_SUCH_CUSTOMER = "no_such_customer"


class ProfileExists(Exception):
    pass


def _profile_from_row(row: Any) -> ProfileRecord:
    return ProfileRecord(
        id=row.id,
        customer_code=row.customer_code,
        name=row.name,
        permissions=tuple(row.permissions),
        is_default=bool(row.is_default),
        is_new_members=bool(row.is_new_members),
    )


_NEW_MEMBERS = profiles.alias("new_members")


def _with_deciding_profiles(query: Select[Any], email: ColumnElement[str] | str) -> Select[Any]:
    """The query over `customers`, joined to the profiles that decide a new member's: the
    default one, the new-members one and the one given in advance to `email`
    (`default_profile_id`, `new_members_profile_id`, `assigned_profile_id`)."""
    return (
        query.add_columns(
            profiles.c.id.label("default_profile_id"),
            _NEW_MEMBERS.c.id.label("new_members_profile_id"),
            profile_assignments.c.profile_id.label("assigned_profile_id"),
        )
        .join(profiles, (profiles.c.customer_code == customers.c.code) & profiles.c.is_default)
        .outerjoin(
            _NEW_MEMBERS,
            (_NEW_MEMBERS.c.customer_code == customers.c.code) & _NEW_MEMBERS.c.is_new_members,
        )
        .outerjoin(
            profile_assignments,
            (profile_assignments.c.customer_code == customers.c.code)
            & (profile_assignments.c.email == email),
        )
    )


class CustomerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- Customers and the import -------------------------------------------------------------

    async def by_code(self, code: str) -> CustomerRecord | None:
        query = select(customers).where(customers.c.code == normalise_identifier(code))
        async with self.db.read() as c:
            row = (await c.execute(query)).first()
        return CustomerRecord(row.code, row.name, row.administrator_id) if row else None

    async def existing_codes(self, codes: Iterable[str]) -> set[str]:
        return await customer_import.existing_codes(self.db, codes)

    async def import_plan(self, plan: ImportPlan, now: float) -> ImportCounts:
        """Write a checked customer file in one transaction (`idp.store.customer_import`)."""
        return await customer_import.import_plan(self.db, plan, now)

    async def all(self) -> list[CustomerSummary]:
        def count(table: Table) -> Any:
            return (
                select(func.count())
                .select_from(table)
                .where(table.c.customer_code == customers.c.code)
                .scalar_subquery()
            )

        query = (
            select(
                customers.c.code,
                customers.c.name,
                users.c.email,
                count(memberships).label("members"),
                count(customer_proofs).label("proofs"),
                count(notification_emails).label("emails"),
            )
            .outerjoin(users, users.c.id == customers.c.administrator_id)
            .order_by(customers.c.code)
        )
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        return [
            CustomerSummary(r.code, r.name, r.email, r.members, r.proofs, r.emails) for r in rows
        ]

    # -- Referencing ---------------------------------------------------------------------------

    async def proof_target(self, attempt: ProofAttempt, email: str = "") -> ProofTarget | None:
        """The customer of the attempt's code with its proofs of that number (one query);
        None when there is no such customer. Whether it matches is `match_proof`'s to say.
        With the profiles that decide the new member's: for new members, and given in
        advance to `email`."""
        query = (
            _with_deciding_profiles(
                select(
                    customers.c.code,
                    customers.c.name,
                    customers.c.administrator_id,
                    customer_proofs.c.kind,
                    customer_proofs.c.value,
                ).select_from(customers),
                normalise_email(email),
            )
            .outerjoin(
                customer_proofs,
                (customer_proofs.c.customer_code == customers.c.code)
                & (customer_proofs.c.value == attempt.number),
            )
            .where(customers.c.code == attempt.customer_code)
        )
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        if not rows:
            return None
        first = rows[0]
        return ProofTarget(
            customer=CustomerRecord(first.code, first.name, first.administrator_id),
            default_profile_id=first.default_profile_id,
            proofs=tuple(Proof(ProofKind(r.kind), r.value) for r in rows if r.kind is not None),
            new_members_profile_id=first.new_members_profile_id,
            assigned_profile_id=first.assigned_profile_id,
        )

    async def referencing_facts(self, user_id: str, email: str) -> ReferencingFacts:
        """The customers the user is referenced to, and those whose submissions notified the
        email, with their default profile and the administrator's choice for this email."""
        address = normalise_email(email)
        candidates_query = _with_deciding_profiles(
            select(notification_emails.c.customer_code, customers.c.administrator_id).join(
                customers, customers.c.code == notification_emails.c.customer_code
            ),
            notification_emails.c.address,
        ).where(notification_emails.c.address == address)
        referenced_query = select(memberships.c.customer_code).where(
            memberships.c.user_id == user_id
        )
        async with self.db.read() as c:
            referenced = frozenset((await c.execute(referenced_query)).scalars())
            rows = (await c.execute(candidates_query)).all()
        return ReferencingFacts(
            referenced=referenced,
            candidates=tuple(
                NotificationCandidate(
                    customer_code=r.customer_code,
                    has_administrator=r.administrator_id is not None,
                    default_profile_id=r.default_profile_id,
                    assigned_profile_id=r.assigned_profile_id,
                    new_members_profile_id=r.new_members_profile_id,
                )
                for r in rows
            ),
        )

    async def reference(
        self, user_id: str, new: Sequence[NewMembership], now: float, email: str = ""
    ) -> list[str]:
        """Create the memberships in one transaction; one that already exists is left as it
        is (a double submission, or two tabs). Returns the customer codes newly referenced.
        A profile given in advance to `email` is used up by its owner's arrival: withdrawn
        from the customer's list in the same transaction."""
        added: list[str] = []
        if not new:
            return added
        async with self.db.write() as c:
            for membership in new:
                accepted = membership.terms_version is not None
                result = await c.execute(
                    insert_ignoring_duplicates(self.db, memberships).values(
                        user_id=user_id,
                        customer_code=membership.customer_code,
                        profile_id=membership.profile_id,
                        method=str(membership.method),
                        terms_version=membership.terms_version,
                        terms_accepted_at=now if accepted else None,
                        referenced_at=now,
                    )
                )
                if result.rowcount:
                    added.append(membership.customer_code)
            if added and email:
                await c.execute(
                    profile_assignments.delete().where(
                        profile_assignments.c.customer_code.in_(added),
                        profile_assignments.c.email == normalise_email(email),
                    )
                )
        return added

    async def accounts_of(self, user_id: str) -> list[Account]:
        """The customer accounts of a Sage ID as the `referencing` claim shows them: one
        query over memberships, customers and profiles."""
        rows = await self.db.all(_ACCOUNTS, {"user_id": user_id})
        return [
            Account(
                customer_code=r.code,
                customer_name=r.name,
                profile=r.profile,
                is_admin=r.administrator_id == user_id,
                method=r.method,
                referenced_at=r.referenced_at,
            )
            for r in rows
        ]

    # -- Administrators and profiles -----------------------------------------------------------

    async def become_administrator(self, code: str, user_id: str, now: float) -> AdminOutcome:
        """Make a member the administrator of a customer that has none, and give them the
        administrator profile, in one transaction. The conditional UPDATE decides a race: of
        two members trying at once, one is appointed and the other finds it TAKEN."""
        code = normalise_identifier(code)
        state = (
            select(customers.c.administrator_id, memberships.c.user_id.label("member"))
            .outerjoin(
                memberships,
                (memberships.c.customer_code == customers.c.code)
                & (memberships.c.user_id == user_id),
            )
            .where(customers.c.code == code)
        )
        async with self.db.write() as c:
            row = (await c.execute(state)).first()
            if row is None:
                return AdminOutcome.NO_SUCH_CUSTOMER
            refusal = may_become_administrator(
                is_member=row.member is not None,
                administrator_id=row.administrator_id,
                user_id=user_id,
            )
            if refusal is not None:
                return AdminOutcome(refusal.value)
            if row.administrator_id == user_id:
                return AdminOutcome.ALREADY
            appointed = await c.execute(
                update(customers)
                .where(customers.c.code == code, customers.c.administrator_id.is_(None))
                .values(administrator_id=user_id, updated_at=now)
            )
            if appointed.rowcount != 1:
                return AdminOutcome.TAKEN
            admin_profile = (
                select(profiles.c.id)
                .where(profiles.c.customer_code == code, profiles.c.name == ADMINISTRATOR_PROFILE)
                .scalar_subquery()
            )
            await c.execute(
                update(memberships)
                .where(memberships.c.user_id == user_id, memberships.c.customer_code == code)
                .values(profile_id=func.coalesce(admin_profile, memberships.c.profile_id))
            )
        return AdminOutcome.APPOINTED

    async def profiles_of(self, code: str) -> list[ProfileRecord]:
        query = (
            select(profiles)
            .where(profiles.c.customer_code == normalise_identifier(code))
            .order_by(profiles.c.created_at, profiles.c.name)
        )
        async with self.db.read() as c:
            return [_profile_from_row(r) for r in await c.execute(query)]

    async def add_profile(
        self, code: str, name: str, permissions: Iterable[str], now: float
    ) -> ProfileRecord:
        """An administrator-defined profile (ValueError for a bad name or permission)."""
        name, allowed = check_profile(name, permissions)
        record = ProfileRecord(
            str(uuid.uuid4()), normalise_identifier(code), name, tuple(allowed), False
        )
        try:
            async with self.db.write() as c:
                await c.execute(
                    profiles.insert().values(
                        id=record.id,
                        customer_code=record.customer_code,
                        name=record.name,
                        permissions=list(record.permissions),
                        is_default=False,
                        created_at=now,
                    )
                )
        except IntegrityError as error:
            raise ProfileExists(f"{record.customer_code} already has a profile {name!r}") from error
        return record

    async def assign_profile(self, code: str, email: str, profile_id: str, now: float) -> None:
        """The administrator's choice of profile for an email, applied when its owner is
        referenced automatically (seed, étape 3). Replaces an earlier choice."""
        code, address = normalise_identifier(code), normalise_email(email)
        owned = select(profiles.c.id).where(
            profiles.c.id == profile_id, profiles.c.customer_code == code
        )
        async with self.db.write() as c:
            if (await c.execute(owned)).first() is None:
                raise ValueError(f"no profile {profile_id} for customer {code}")
            where = (
                profile_assignments.c.customer_code == code,
                profile_assignments.c.email == address,
            )
            await c.execute(profile_assignments.delete().where(*where))
            await c.execute(
                profile_assignments.insert().values(
                    customer_code=code, email=address, profile_id=profile_id, assigned_at=now
                )
            )
