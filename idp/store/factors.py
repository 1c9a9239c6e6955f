"""Second factors (issue 17): authenticator apps and recovery codes of a user, and who
requires a second factor of them (their customer accounts' administrators)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update

from idp.store.database import Database
from idp.store.tables import (
    customers,
    memberships,
    recovery_codes,
    second_factors,
)


@dataclass(frozen=True)
class FactorRecord:
    id: str
    kind: str
    name: str
    secret: str
    last_step: int
    created_at: float
    last_used_at: float | None
    user_id: str = ""
    credential_id: str | None = None
    sign_count: int = 0
    method: str | None = None


@dataclass(frozen=True)
class FactorSummary:
    """What a user has enrolled (the account page, the sign-in step, the admin CLI)."""

    factors: tuple[FactorRecord, ...]
    recovery_codes_left: int

    @property
    def enrolled(self) -> bool:
        return bool(self.factors)

    @property
    def totp(self) -> FactorRecord | None:
        return next((f for f in self.factors if f.kind == "totp"), None)

    @property
    def passkeys(self) -> tuple[FactorRecord, ...]:
        return tuple(f for f in self.factors if f.kind == "passkey")


def _factor(row: object) -> FactorRecord:
    return FactorRecord(
        id=row.id,  # type: ignore[attr-defined]
        kind=row.kind,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        secret=row.secret,  # type: ignore[attr-defined]
        last_step=row.last_step,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        last_used_at=row.last_used_at,  # type: ignore[attr-defined]
        user_id=row.user_id,  # type: ignore[attr-defined]
        credential_id=row.credential_id,  # type: ignore[attr-defined]
        sign_count=row.sign_count,  # type: ignore[attr-defined]
        method=row.method,  # type: ignore[attr-defined]
    )


class FactorRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_user(self, user_id: str) -> FactorSummary:
        async with self.db.read() as c:
            rows = (
                await c.execute(
                    select(second_factors)
                    .where(second_factors.c.user_id == user_id)
                    .order_by(second_factors.c.created_at)
                )
            ).all()
            left = (
                await c.execute(
                    select(func.count())
                    .select_from(recovery_codes)
                    .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
                )
            ).scalar_one()
        return FactorSummary(tuple(_factor(row) for row in rows), int(left))

    async def add_totp(
        self, user_id: str, *, name: str, sealed_secret: str, step: int, now: float
    ) -> str:
        """The app confirmed by a first code, whose step counts as used."""
        return await self._add(
            user_id, "totp", name, now, secret=sealed_secret, last_step=step, last_used_at=now
        )

    async def add_passkey(
        self,
        user_id: str,
        *,
        name: str,
        credential_id: str,
        public_key: str,
        sign_count: int,
        method: str,
        now: float,
    ) -> str:
        return await self._add(
            user_id,
            "passkey",
            name,
            now,
            secret=public_key,
            credential_id=credential_id,
            sign_count=sign_count,
            method=method,
        )

    async def _add(self, user_id: str, kind: str, name: str, now: float, **columns: object) -> str:
        factor_id = str(uuid.uuid4())
        async with self.db.write() as c:
            await c.execute(
                insert(second_factors).values(
                    id=factor_id, user_id=user_id, kind=kind, name=name, created_at=now, **columns
                )
            )
        return factor_id

    async def passkey(self, credential_id: str) -> FactorRecord | None:
        async with self.db.read() as c:
            row = (
                await c.execute(
                    select(second_factors).where(
                        second_factors.c.credential_id == credential_id,
                        second_factors.c.kind == "passkey",
                    )
                )
            ).first()
        return _factor(row) if row else None

    async def use_passkey(self, factor_id: str, seen: int, new_count: int, now: float) -> bool:
        """Record a verified assertion unless another one moved the counter meanwhile."""
        async with self.db.write() as c:
            result = await c.execute(
                update(second_factors)
                .where(second_factors.c.id == factor_id, second_factors.c.sign_count == seen)
                .values(sign_count=new_count, last_used_at=now)
            )
        return bool(result.rowcount)

    async def use_step(self, factor_id: str, step: int, now: float) -> bool:
        """Record `step` as used unless this or a later step already was: of two requests
        with the same code, one wins (RFC 6238 §5.2)."""
        async with self.db.write() as c:
            result = await c.execute(
                update(second_factors)
                .where(second_factors.c.id == factor_id, second_factors.c.last_step < step)
                .values(last_step=step, last_used_at=now)
            )
        return bool(result.rowcount)

    async def remove(self, user_id: str, factor_id: str) -> bool:
        async with self.db.write() as c:
            result = await c.execute(
                delete(second_factors).where(
                    second_factors.c.id == factor_id, second_factors.c.user_id == user_id
                )
            )
            removed = bool(result.rowcount)
            remaining = (
                await c.execute(
                    select(func.count())
                    .select_from(second_factors)
                    .where(second_factors.c.user_id == user_id)
                )
            ).scalar_one()
            if not remaining:  # recovery codes only stand in for a factor
                await c.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        return removed

    async def remove_all(self, user_id: str) -> int:
        async with self.db.write() as c:
            result = await c.execute(
                delete(second_factors).where(second_factors.c.user_id == user_id)
            )
            await c.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        return int(result.rowcount)

    async def replace_recovery_codes(self, user_id: str, hashes: list[str], now: float) -> None:
        """New codes; the old ones, used or not, stop working in the same transaction."""
        async with self.db.write() as c:
            await c.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
            await c.execute(
                insert(recovery_codes),
                [{"code_hash": h, "user_id": user_id, "created_at": now} for h in hashes],
            )

    async def use_recovery_code(self, user_id: str, code_hash: str, now: float) -> bool:
        async with self.db.write() as c:
            result = await c.execute(
                update(recovery_codes)
                .where(
                    recovery_codes.c.code_hash == code_hash,
                    recovery_codes.c.user_id == user_id,
                    recovery_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
        return bool(result.rowcount)

    async def required_by_customer(self, user_id: str) -> bool:
        """A customer account of the user whose administrator requires a second factor."""
        query = (
            select(customers.c.code)
            .join(memberships, memberships.c.customer_code == customers.c.code)
            .where(memberships.c.user_id == user_id, customers.c.require_mfa.is_(True))
            .limit(1)
        )
        async with self.db.read() as c:
            return (await c.execute(query)).first() is not None

    async def set_customer_requirement(self, customer_code: str, required: bool) -> None:
        async with self.db.write() as c:
            await c.execute(
                update(customers)
                .where(customers.c.code == customer_code)
                .values(require_mfa=required)
            )

    async def customer_requires(self, customer_code: str) -> bool:
        async with self.db.read() as c:
            row = (
                await c.execute(
                    select(customers.c.require_mfa).where(customers.c.code == customer_code)
                )
            ).first()
        return bool(row and row.require_mfa)
