"""Writing a checked customer file (`idp.domain.customer_import.ImportPlan`) in one
transaction: customers added or renamed (each new one with its built-in profiles), proofs and
notification emails added. Importing the same file again adds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from idp.domain.customer_import import ImportPlan
from idp.domain.referencing import (
    ADMINISTRATOR_PROFILE,
    ALL_PERMISSIONS,
    DEFAULT_PROFILE,
    ProofKind,
)
from idp.store.database import Database, Statements
from idp.store.tables import (
    customer_proofs,
    customers,
    notification_emails,
    profiles,
)

T = TypeVar("T")
# Bound parameters per statement stay far below SQLite's and asyncpg's limits (32766).
_CHUNK = 500


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def insert_ignoring_duplicates(db: Database, table: Table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: re-imports and double submissions are no-ops."""
    dialect = sqlite if db.is_sqlite else postgresql
    statement: Insert = dialect.insert(table).on_conflict_do_nothing()
    return statement


@dataclass(frozen=True)
class ImportCounts:
    customers_added: int = 0
    customers_renamed: int = 0
    proofs_added: int = 0
    notification_emails_added: int = 0


async def existing_codes(db: Database, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    found: set[str] = set()
    async with db.read() as c:
        for chunk in chunks(wanted):
            query = select(customers.c.code).where(customers.c.code.in_(chunk))
            found.update((await c.execute(query)).scalars())
    return found


async def import_plan(db: Database, plan: ImportPlan, now: float) -> ImportCounts:
    """Emails already known get `last_seen` moved on; nothing else changes on a re-import."""
    writer = _Writer(db, now)
    async with db.write() as c:
        known = await writer.names(c, list(plan.customers))
        added = {code: name for code, name in plan.customers.items() if code not in known}
        renamed = [code for code, name in plan.customers.items() if known.get(code, name) != name]
        await writer.add_customers(c, added)
        for code in renamed:
            await c.execute(
                update(customers)
                .where(customers.c.code == code)
                .values(name=plan.customers[code], updated_at=now)
            )
        proofs_added = await writer.add_proofs(c, plan.proofs)
        emails_added = await writer.add_notification_emails(c, plan.notification_emails)
    return ImportCounts(len(added), len(renamed), proofs_added, emails_added)


class _Writer:
    def __init__(self, db: Database, now: float) -> None:
        self.db = db
        self.now = now

    async def names(self, c: Statements, codes: Sequence[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for chunk in chunks(codes):
            query = select(customers.c.code, customers.c.name).where(customers.c.code.in_(chunk))
            names.update({row.code: row.name for row in await c.execute(query)})
        return names

    async def add_customers(self, c: Statements, new: dict[str, str]) -> None:
        if not new:
            return
        rows = [
            {"code": code, "name": name, "created_at": self.now, "updated_at": self.now}
            for code, name in new.items()
        ]
        await c.execute(insert_ignoring_duplicates(self.db, customers), rows)
        builtin = [
            {
                "id": str(uuid.uuid4()),
                "customer_code": code,
                "name": name,
                "permissions": [str(p) for p in ALL_PERMISSIONS],
                "is_default": name == DEFAULT_PROFILE,
                "created_at": self.now,
            }
            for code in new
            for name in (DEFAULT_PROFILE, ADMINISTRATOR_PROFILE)
        ]
        await c.execute(insert_ignoring_duplicates(self.db, profiles), builtin)

    async def add_proofs(self, c: Statements, wanted: set[tuple[str, ProofKind, str]]) -> int:
        codes = sorted({code for code, _, _ in wanted})
        existing: set[tuple[str, str, str]] = set()
        for chunk in chunks(codes):
            query = select(
                customer_proofs.c.customer_code, customer_proofs.c.kind, customer_proofs.c.value
            ).where(customer_proofs.c.customer_code.in_(chunk))
            existing.update((r.customer_code, r.kind, r.value) for r in await c.execute(query))
        missing = sorted(
            (code, str(kind), value)
            for code, kind, value in wanted
            if (code, str(kind), value) not in existing
        )
        for proof_chunk in chunks(missing):
            rows = [{"customer_code": code, "kind": k, "value": v} for code, k, v in proof_chunk]
            await c.execute(insert_ignoring_duplicates(self.db, customer_proofs), rows)
        return len(missing)

    async def add_notification_emails(self, c: Statements, wanted: set[tuple[str, str]]) -> int:
        by_customer: dict[str, list[str]] = {}
        for code, address in sorted(wanted):
            by_customer.setdefault(code, []).append(address)
        existing: set[tuple[str, str]] = set()
        for code, addresses in by_customer.items():
            for chunk in chunks(addresses):
                where = (
                    notification_emails.c.customer_code == code,
                    notification_emails.c.address.in_(chunk),
                )
                found = await c.execute(select(notification_emails.c.address).where(*where))
                existing.update((code, address) for address in found.scalars())
                await c.execute(
                    update(notification_emails).where(*where).values(last_seen=self.now)
                )
        missing = sorted(wanted - existing)
        for email_chunk in chunks(missing):
            rows = [
                {
                    "customer_code": code,
                    "address": address,
                    "first_seen": self.now,
                    "last_seen": self.now,
                }
                for code, address in email_chunk
            ]
            await c.execute(insert_ignoring_duplicates(self.db, notification_emails), rows)
        return len(missing)
