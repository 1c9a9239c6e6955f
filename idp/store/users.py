"""Users: accounts keyed by their normalised email."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from idp.domain.email_address import normalise_email
from idp.store.database import Database
from idp.store.records import UserRecord, user_from_row
from idp.store.tables import users


class EmailTaken(Exception):
    pass


class UserRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_email(self, email: str) -> UserRecord | None:
        async with self.db.read() as c:
            row = (
                await c.execute(select(users).where(users.c.email == normalise_email(email)))
            ).first()
        return user_from_row(row) if row else None

    async def by_id(self, user_id: str) -> UserRecord | None:
        async with self.db.read() as c:
            row = (await c.execute(select(users).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None

    async def add(
        self,
        *,
        email: str,
        name: str,
        password_hash: str,
        now: float,
        email_verified: bool = False,
        locale: str | None = None,
    ) -> UserRecord:
        email = normalise_email(email)
        values = {
            "id": str(uuid.uuid4()),
            "email": email,
            "name": name.strip(),
            "password_hash": password_hash,
            "email_verified": email_verified,
            "locale": locale,
            "created_at": now,
            "password_changed_at": now,
        }
        async with self.db.write() as c:
            taken = (await c.execute(select(users.c.id).where(users.c.email == email))).first()
            if taken:
                raise EmailTaken(email)
            try:
                await c.execute(insert(users).values(**values))
            except IntegrityError as error:  # another worker inserted it meanwhile
                raise EmailTaken(email) from error
        return user_from_row(type("Row", (), values))

    async def update_password_hash(self, user_id: str, password_hash: str) -> None:
        """Re-hash at sign-in when the argon2 parameters changed (not a password change)."""
        async with self.db.write() as c:
            await c.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    async def mark_verified(self, user_id: str) -> None:
        """The emailed code was entered: the address belongs to the user (seed, étape 2, 4°)."""
        async with self.db.write() as c:
            await c.execute(update(users).where(users.c.id == user_id).values(email_verified=True))

    async def set_password(self, user_id: str, password_hash: str, now: float) -> None:
        """A new password chosen through an emailed reset code. The code proved the mailbox,
        so the address is verified too. Revoking the user's grants and ending their sessions
        is the caller's next step (`idp.accounts.password_reset`)."""
        async with self.db.write() as c:
            await c.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=password_hash, password_changed_at=now, email_verified=True)
            )

    async def set_name(self, user_id: str, name: str) -> None:
        async with self.db.write() as c:
            await c.execute(update(users).where(users.c.id == user_id).values(name=name.strip()))

    async def set_email(self, user_id: str, email: str) -> None:
        """A new address, proved by the code mailed to it (issue 18); EmailTaken when another
        Sage ID has it (checked again here: it may have been created meanwhile)."""
        email = normalise_email(email)
        try:
            async with self.db.write() as c:
                taken = select(users.c.id).where(users.c.email == email, users.c.id != user_id)
                if (await c.execute(taken)).first():
                    raise EmailTaken(email)
                await c.execute(
                    update(users)
                    .where(users.c.id == user_id)
                    .values(email=email, email_verified=True)
                )
        except IntegrityError as error:
            raise EmailTaken(email) from error

    async def list(self) -> list[UserRecord]:
        async with self.db.read() as c:
            rows = (await c.execute(select(users).order_by(users.c.created_at))).all()
        return [user_from_row(r) for r in rows]

    async def count(self) -> int:
        async with self.db.read() as c:
            return int((await c.execute(select(func.count()).select_from(users))).scalar_one())
