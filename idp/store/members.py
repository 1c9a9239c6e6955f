"""A customer account's members as its administrator manages them in the portal (issue 8):
who they are, their profile, the profiles pre-assigned to emails; changing a member's profile
and removing a member. Each change checks, in its own transaction, that the actor is the
customer's administrator (`idp.domain.administration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from idp.domain.administration import MemberRefusal, check_member_change
from idp.domain.email_address import normalise_email
from idp.domain.referencing import (
    check_profile,
    is_builtin_profile,
    normalise_identifier,
)
from idp.store.database import Database, Statements
from idp.store.tables import (
    customers,
    memberships,
    notification_emails,
    profile_assignments,
    profiles,
    users,
)


@dataclass(frozen=True)
class MemberRecord:
    user_id: str
    name: str
    email: str
    profile_id: str
    profile: str
    method: str
    referenced_at: float
    is_administrator: bool


@dataclass(frozen=True)
class AssignmentRecord:
    email: str
    profile_id: str
    profile: str
    assigned_at: float


async def _refusal(c: Statements, code: str, actor_id: str, member_id: str) -> MemberRefusal | None:
    administrator = select(customers.c.administrator_id).where(customers.c.code == code)
    administrator_id = (await c.execute(administrator)).scalar_one_or_none()
    return check_member_change(
        administrator_id=administrator_id, actor_id=actor_id, member_id=member_id
    )


class MemberRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def members_of(self, code: str) -> list[MemberRecord]:
        query = (
            select(
                users.c.id,
                users.c.name,
                users.c.email,
                profiles.c.id.label("profile_id"),
                profiles.c.name.label("profile"),
                memberships.c.method,
                memberships.c.referenced_at,
                customers.c.administrator_id,
            )
            .join(memberships, memberships.c.user_id == users.c.id)
            .join(profiles, profiles.c.id == memberships.c.profile_id)
            .join(customers, customers.c.code == memberships.c.customer_code)
            .where(memberships.c.customer_code == normalise_identifier(code))
            .order_by(users.c.name, users.c.email)
        )
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        return [
            MemberRecord(
                user_id=r.id,
                name=r.name,
                email=r.email,
                profile_id=r.profile_id,
                profile=r.profile,
                method=r.method,
                referenced_at=r.referenced_at,
                is_administrator=r.administrator_id == r.id,
            )
            for r in rows
        ]

    async def assignments_of(self, code: str) -> list[AssignmentRecord]:
        query = (
            select(
                profile_assignments.c.email,
                profile_assignments.c.profile_id,
                profiles.c.name.label("profile"),
                profile_assignments.c.assigned_at,
            )
            .join(profiles, profiles.c.id == profile_assignments.c.profile_id)
            .where(profile_assignments.c.customer_code == normalise_identifier(code))
            .order_by(profile_assignments.c.email)
        )
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        return [AssignmentRecord(r.email, r.profile_id, r.profile, r.assigned_at) for r in rows]

    async def change_profile(
        self, code: str, *, actor_id: str, member_id: str, profile_id: str
    ) -> MemberRefusal | None:
        """Give a member another of the customer's profiles; None when done."""
        code = normalise_identifier(code)
        owned = select(profiles.c.id).where(
            profiles.c.id == profile_id, profiles.c.customer_code == code
        )
        async with self.db.write() as c:
            if refusal := await _refusal(c, code, actor_id, member_id):
                return refusal
            if (await c.execute(owned)).first() is None:
                return MemberRefusal.NO_SUCH_PROFILE
            changed = await c.execute(
                update(memberships)
                .where(memberships.c.customer_code == code, memberships.c.user_id == member_id)
                .values(profile_id=profile_id)
            )
        return None if changed.rowcount == 1 else MemberRefusal.NO_SUCH_MEMBER

    async def remove(self, code: str, *, actor_id: str, member_id: str) -> MemberRefusal | None:
        """End a membership. The member's address is also forgotten as a notification email
        of this customer, with any profile pre-assigned to it: otherwise automatic referencing
        (seed, étape 3) would bring them back at their next sign-in. A later submission that
        notifies the address again records it again."""
        code = normalise_identifier(code)
        email = select(users.c.email).where(users.c.id == member_id).scalar_subquery()
        async with self.db.write() as c:
            if refusal := await _refusal(c, code, actor_id, member_id):
                return refusal
            removed = await c.execute(
                delete(memberships).where(
                    memberships.c.customer_code == code, memberships.c.user_id == member_id
                )
            )
            if removed.rowcount != 1:
                return MemberRefusal.NO_SUCH_MEMBER
            await c.execute(
                delete(notification_emails).where(
                    notification_emails.c.customer_code == code,
                    notification_emails.c.address == email,
                )
            )
            await c.execute(
                delete(profile_assignments).where(
                    profile_assignments.c.customer_code == code,
                    profile_assignments.c.email == email,
                )
            )
        return None


# --- Profiles as the administrator manages them (issue 18) ----------------------------------


class ProfileRefusal(StrEnum):
    NOT_ADMINISTRATOR = "not_administrator"
    NO_SUCH_PROFILE = "no_such_profile"
    BUILTIN = "builtin_profile"  # the built-in profiles keep their identifiers (the claim's)
    EXISTS = "profile_exists"
    INVALID = "profile_invalid"


async def _is_administrator(c: Statements, code: str, actor_id: str) -> bool:
    administrator = select(customers.c.administrator_id).where(customers.c.code == code)
    return bool((await c.execute(administrator)).scalar_one_or_none() == actor_id)


async def _profile(c: Statements, code: str, profile_id: str) -> Any:
    query = select(profiles).where(profiles.c.id == profile_id, profiles.c.customer_code == code)
    return (await c.execute(query)).first()


async def _editable_refusal(
    c: Statements, code: str, actor_id: str, profile_id: str
) -> ProfileRefusal | None:
    """Why the actor may not rename or delete this profile; None when they may (only an
    administrator, and never a built-in profile)."""
    if not await _is_administrator(c, code, actor_id):
        return ProfileRefusal.NOT_ADMINISTRATOR
    row = await _profile(c, code, profile_id)
    if row is None:
        return ProfileRefusal.NO_SUCH_PROFILE
    if is_builtin_profile(row.name):
        return ProfileRefusal.BUILTIN
    return None


class ProfileRepository:
    """Each change checks, in its own transaction, that the actor administers the customer."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_new_members_profile(
        self, code: str, *, actor_id: str, profile_id: str
    ) -> ProfileRefusal | None:
        """The *profil des nouveaux membres*: given to whoever is referenced from now on,
        unless a profile was given in advance to their email (seed, étape 3)."""
        code = normalise_identifier(code)
        async with self.db.write() as c:
            if not await _is_administrator(c, code, actor_id):
                return ProfileRefusal.NOT_ADMINISTRATOR
            if await _profile(c, code, profile_id) is None:
                return ProfileRefusal.NO_SUCH_PROFILE
            # Cleared first: at most one flagged profile per customer (a unique index).
            await c.execute(
                update(profiles)
                .where(profiles.c.customer_code == code)
                .values(is_new_members=False)
            )
            await c.execute(
                update(profiles).where(profiles.c.id == profile_id).values(is_new_members=True)
            )
        return None

    async def rename(
        self, code: str, *, actor_id: str, profile_id: str, name: str
    ) -> ProfileRefusal | None:
        code = normalise_identifier(code)
        try:
            name, _ = check_profile(name, [])
        except ValueError:
            return ProfileRefusal.INVALID
        try:
            async with self.db.write() as c:
                if refusal := await _editable_refusal(c, code, actor_id, profile_id):
                    return refusal
                await c.execute(
                    update(profiles).where(profiles.c.id == profile_id).values(name=name)
                )
        except IntegrityError:
            return ProfileRefusal.EXISTS
        return None

    async def delete(self, code: str, *, actor_id: str, profile_id: str) -> ProfileRefusal | None:
        """Its members move to the new-members profile (the default one when the deleted
        profile was it); the profiles given in advance with it are withdrawn."""
        code = normalise_identifier(code)
        async with self.db.write() as c:
            if refusal := await _editable_refusal(c, code, actor_id, profile_id):
                return refusal
            heir = (
                select(profiles.c.id)
                .where(profiles.c.customer_code == code, profiles.c.id != profile_id)
                .where(profiles.c.is_new_members | profiles.c.is_default)
                .order_by(profiles.c.is_new_members.desc())
                .limit(1)
            )
            heir_id = (await c.execute(heir)).scalar_one()
            await c.execute(
                update(memberships)
                .where(memberships.c.profile_id == profile_id)
                .values(profile_id=heir_id)
            )
            await c.execute(
                delete(profile_assignments).where(profile_assignments.c.profile_id == profile_id)
            )
            await c.execute(delete(profiles).where(profiles.c.id == profile_id))
        return None

    async def withdraw_assignment(self, code: str, *, actor_id: str, email: str) -> bool:
        """Withdraw the profile given in advance to an email; False when there was none
        (or the actor does not administer the customer)."""
        code = normalise_identifier(code)
        async with self.db.write() as c:
            if not await _is_administrator(c, code, actor_id):
                return False
            removed = await c.execute(
                delete(profile_assignments).where(
                    profile_assignments.c.customer_code == code,
                    profile_assignments.c.email == normalise_email(email),
                )
            )
        return bool(removed.rowcount)
