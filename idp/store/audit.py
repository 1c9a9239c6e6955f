"""The audit trail's table: written by `idp.audit.record`, read by `sageid-idp audit list` and
the portal's *Profil* page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from idp.store.database import Database
from idp.store.tables import audit_events

if TYPE_CHECKING:
    from idp.audit import AuditEvent

ADD_EVENT = insert(audit_events)  # built once: also run inline in hot-path transactions


@dataclass(frozen=True)
class StoredEvent:
    id: int
    at: float
    kind: str
    subject: str | None
    actor: str | None
    client_id: str | None
    ip: str | None
    outcome: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "kind": self.kind,
            "subject": self.subject,
            "actor": self.actor,
            "client_id": self.client_id,
            "ip": self.ip,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def _from_row(row: Any) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        at=row.at,
        kind=row.kind,
        subject=row.user_id,
        actor=row.actor,
        client_id=row.client_id,
        ip=row.ip,
        outcome=row.outcome,
        detail=dict(row.detail or {}),
    )


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, event: AuditEvent) -> None:
        async with self.db.write() as c:
            await c.execute(ADD_EVENT, event.row())

    async def list(
        self,
        *,
        subject: str | None = None,
        since: float | None = None,
        kinds: tuple[str, ...] = (),
        limit: int = 100,
    ) -> list[StoredEvent]:
        """The newest events first, optionally about one Sage ID, since a time, of some kinds."""
        query = (
            select(audit_events)
            .order_by(audit_events.c.at.desc(), audit_events.c.id.desc())
            .limit(limit)
        )
        if subject is not None:
            query = query.where(audit_events.c.user_id == subject)
        if since is not None:
            query = query.where(audit_events.c.at >= since)
        if kinds:
            query = query.where(audit_events.c.kind.in_(kinds))
        async with self.db.read() as c:
            return [_from_row(row) for row in await c.execute(query)]

    async def prune(self, before: float) -> int:
        """Delete the events older than `before` (retention of the trail itself)."""
        async with self.db.write() as c:
            result = await c.execute(delete(audit_events).where(audit_events.c.at < before))
        return int(result.rowcount)
