"""Submissions (« envois », issue 8): stored with their file in one transaction, listed newest
first with keyset paging, and only as far as a `Visibility` allows (`idp.domain.submissions`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, false, insert, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from idp.domain.submissions import Cursor, CustomerAccess, ListFilter, Visibility
from idp.store.database import Database, Statements
from idp.store.tables import (
    customers,
    memberships,
    notification_emails,
    profiles,
    submission_files,
    submissions,
    users,
)


@dataclass(frozen=True)
class NewSubmission:
    id: str
    customer_code: str
    kind: str
    status: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    notification_email: str
    submitted_by: str
    client_id: str | None
    received_at: float

    def as_record(self, customer: str, sender_name: str, sender_email: str) -> SubmissionRecord:
        """The submission as `get` would read it back, without reading it back."""
        values = asdict(self)
        sender_id = values.pop("submitted_by")
        return SubmissionRecord(
            **values,
            customer_name=customer,
            sender_id=sender_id,
            sender_name=sender_name,
            sender_email=sender_email,
        )


@dataclass(frozen=True)
class SubmissionRecord:
    id: str
    customer_code: str
    customer_name: str
    kind: str
    status: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    notification_email: str
    sender_id: str | None
    sender_name: str | None
    sender_email: str | None
    client_id: str | None
    received_at: float


@dataclass(frozen=True)
class SubmissionPage:
    items: tuple[SubmissionRecord, ...]
    next_cursor: Cursor | None


_ACCESS = (
    select(
        customers.c.code,
        customers.c.name,
        customers.c.administrator_id,
        profiles.c.name.label("profile"),
        profiles.c.permissions,
    )
    .join(memberships, memberships.c.customer_code == customers.c.code)
    .join(profiles, profiles.c.id == memberships.c.profile_id)
)
_LISTED = (
    select(
        submissions,
        customers.c.name.label("customer_name"),
        users.c.name.label("sender_name"),
        users.c.email.label("sender_email"),
    )
    .join(customers, customers.c.code == submissions.c.customer_code)
    .outerjoin(users, users.c.id == submissions.c.submitted_by)
)
_NEWEST_FIRST = (submissions.c.received_at.desc(), submissions.c.id.desc())


def _record(row: Any) -> SubmissionRecord:
    return SubmissionRecord(
        id=row.id,
        customer_code=row.customer_code,
        customer_name=row.customer_name,
        kind=row.kind,
        status=row.status,
        file_name=row.file_name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        notification_email=row.notification_email,
        sender_id=row.submitted_by,
        sender_name=row.sender_name,
        sender_email=row.sender_email,
        client_id=row.client_id,
        received_at=row.received_at,
    )


def _visible(visibility: Visibility) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if visibility.all_of:
        clauses.append(submissions.c.customer_code.in_(sorted(visibility.all_of)))
    if visibility.own_at:
        clauses.append(
            and_(
                submissions.c.customer_code.in_(sorted(visibility.own_at)),
                submissions.c.submitted_by == visibility.user_id,
            )
        )
    return or_(*clauses) if clauses else false()


def _filtered(where: ListFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if where.customer_code is not None:
        clauses.append(submissions.c.customer_code == where.customer_code)
    if where.kind is not None:
        clauses.append(submissions.c.kind == str(where.kind))
    if where.received_from is not None:
        clauses.append(submissions.c.received_at >= where.received_from)
    if where.received_to is not None:
        clauses.append(submissions.c.received_at < where.received_to)
    return clauses


async def record_notification_email(
    c: Statements, db: Database, customer_code: str, address: str, now: float
) -> None:
    """Upsert: a new address is remembered, a known one seen again (so a Sage ID with that
    email is later referenced to the customer automatically, seed étape 3)."""
    dialect: Any = sqlite if db.is_sqlite else postgresql
    statement = dialect.insert(notification_emails).values(
        address=address, customer_code=customer_code, first_seen=now, last_seen=now
    )
    await c.execute(
        statement.on_conflict_do_update(
            index_elements=["address", "customer_code"], set_={"last_seen": now}
        )
    )


class SubmissionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def access_of(self, user_id: str) -> dict[str, CustomerAccess]:
        """The customer accounts a user is referenced to, with their permissions there."""
        query = _ACCESS.where(memberships.c.user_id == user_id).order_by(customers.c.code)
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        return {
            r.code: CustomerAccess(
                customer_code=r.code,
                customer_name=r.name,
                profile=r.profile,
                permissions=frozenset(r.permissions),
                administrator_id=r.administrator_id,
            )
            for r in rows
        }

    async def add(self, new: NewSubmission, content: bytes, *, record_email: bool) -> None:
        """The submission, its file and (when `record_email`) its notification email, in one
        transaction: on any failure nothing of it is stored."""
        async with self.db.write() as c:
            await c.execute(insert(submissions).values(**asdict(new)))
            await c.execute(insert(submission_files).values(submission_id=new.id, content=content))
            if record_email:
                await record_notification_email(
                    c, self.db, new.customer_code, new.notification_email, new.received_at
                )

    async def get(self, submission_id: str, visibility: Visibility) -> SubmissionRecord | None:
        """None both when it does not exist and when it is not the user's to see."""
        query = _LISTED.where(submissions.c.id == submission_id, _visible(visibility))
        async with self.db.read() as c:
            row = (await c.execute(query)).first()
        return _record(row) if row else None

    async def page(
        self,
        visibility: Visibility,
        where: ListFilter,
        *,
        after: Cursor | None,
        limit: int,
    ) -> SubmissionPage:
        """One page, newest first; `next_cursor` is None on the last page."""
        if visibility.is_empty:
            return SubmissionPage((), None)
        query = _LISTED.where(_visible(visibility), *_filtered(where))
        if after is not None:
            key = tuple_(submissions.c.received_at, submissions.c.id)
            query = query.where(key < tuple_(after.received_at, after.id))
        query = query.order_by(*_NEWEST_FIRST).limit(limit + 1)
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        items = tuple(_record(r) for r in rows[:limit])
        more = len(rows) > limit
        return SubmissionPage(items, Cursor(items[-1].received_at, items[-1].id) if more else None)

    async def content(self, submission_id: str) -> bytes | None:
        query = select(submission_files.c.content).where(
            submission_files.c.submission_id == submission_id
        )
        async with self.db.read() as c:
            value = (await c.execute(query)).scalar_one_or_none()
        return bytes(value) if value is not None else None
