"""Device authorization requests (RFC 8628): created by the device, decided in a browser,
polled by the device, redeemed once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update

from idp.domain.device import DeviceState, PollDecision, PollOutcome, decide_poll
from idp.store.database import Database
from idp.store.records import UserRecord, sha256_hex, user_from_row
from idp.store.tables import device_codes, users


@dataclass(frozen=True)
class DeviceRequest:
    """What the browser shows before the user approves."""

    client_id: str
    scope: str
    expires_at: float
    status: str


@dataclass(frozen=True)
class DevicePoll:
    decision: PollDecision
    client_id: str
    scope: str
    grant_id: str
    user: UserRecord | None = None
    auth_time: float | None = None
    amr: str = "pwd"


class DeviceRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        device_code: str,
        user_code_hash: str,
        client_id: str,
        scope: str,
        grant_id: str,
        now: float,
        lifetime: int,
        interval: int,
    ) -> None:
        async with self.db.write() as c:
            await c.execute(
                insert(device_codes).values(
                    device_code_hash=sha256_hex(device_code),
                    user_code_hash=user_code_hash,
                    client_id=client_id,
                    scope=scope,
                    created_at=now,
                    expires_at=now + lifetime,
                    interval=interval,
                    status="pending",
                    grant_id=grant_id,
                )
            )

    async def pending(self, user_code_hash: str, now: float) -> DeviceRequest | None:
        query = select(device_codes).where(
            device_codes.c.user_code_hash == user_code_hash,
            device_codes.c.status == "pending",
            device_codes.c.expires_at > now,
        )
        async with self.db.read() as c:
            row = (await c.execute(query)).first()
        if row is None:
            return None
        return DeviceRequest(row.client_id, row.scope, row.expires_at, row.status)

    async def decide(
        self,
        user_code_hash: str,
        *,
        user_id: str,
        auth_time: float,
        approve: bool,
        now: float,
        amr: str = "pwd",
    ) -> bool:
        """Record the user's decision once, while the request is pending and fresh."""
        async with self.db.write() as c:
            result = await c.execute(
                update(device_codes)
                .where(
                    device_codes.c.user_code_hash == user_code_hash,
                    device_codes.c.status == "pending",
                    device_codes.c.expires_at > now,
                )
                .values(
                    status="approved" if approve else "denied",
                    user_id=user_id,
                    auth_time=auth_time,
                    amr=amr,
                )
            )
        return bool(result.rowcount)

    async def poll(self, device_code: str, client_id: str, now: float) -> DevicePoll | None:
        """One poll, in one transaction: the decision (pending, slow_down, ...), the interval
        grown on slow_down, and on approval the single-use redemption with its user."""
        code_hash = sha256_hex(device_code)
        where = (
            device_codes.c.device_code_hash == code_hash,
            device_codes.c.client_id == client_id,
        )
        async with self.db.write() as c:
            row = (await c.execute(select(device_codes).where(*where).with_for_update())).first()
            if row is None:
                return None
            state = DeviceState(
                status=row.status,
                expires_at=row.expires_at,
                interval=row.interval,
                last_polled_at=row.last_polled_at,
                consumed=row.consumed_at is not None,
            )
            decision = decide_poll(state, now)
            poll = DevicePoll(decision, row.client_id, row.scope, row.grant_id)
            if decision.outcome is not PollOutcome.APPROVED:
                await c.execute(
                    update(device_codes)
                    .where(*where)
                    .values(last_polled_at=now, interval=decision.interval)
                )
                return poll
            redeemed = await c.execute(
                update(device_codes)
                .where(*where, device_codes.c.consumed_at.is_(None))
                .values(consumed_at=now, last_polled_at=now)
            )
            if not redeemed.rowcount:
                return DevicePoll(
                    PollDecision(PollOutcome.ALREADY_USED, row.interval),
                    row.client_id,
                    row.scope,
                    row.grant_id,
                )
            user = (await c.execute(select(users).where(users.c.id == row.user_id))).first()
        if user is None:
            return None
        return DevicePoll(
            decision,
            row.client_id,
            row.scope,
            row.grant_id,
            user_from_row(user),
            row.auth_time,
            row.amr,
        )
