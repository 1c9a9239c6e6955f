"""Pushed authorization requests (RFC 9126): saved under the hash of their `request_uri`,
consumed atomically (`UPDATE … WHERE consumed_at IS NULL`), so two nodes can't both win."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, update

from idp.store.database import Database
from idp.store.records import sha256_hex
from idp.store.tables import pushed_authorization_requests


class PushedRequestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        request_uri: str,
        client_id: str,
        parameters: Sequence[tuple[str, str]],
        *,
        now: float,
        expires_at: float,
    ) -> None:
        async with self.db.write() as c:
            await c.execute(
                insert(pushed_authorization_requests).values(
                    request_uri_hash=sha256_hex(request_uri),
                    client_id=client_id,
                    parameters=[[k, v] for k, v in parameters],
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    async def consume(
        self, request_uri: str, client_id: str, now: float
    ) -> list[tuple[str, str]] | None:
        """The pushed parameters, marked used; None when the `request_uri` is unknown, expired,
        pushed by another client or already used (RFC 9126 §4: one-time use)."""
        async with self.db.write() as c:
            row = (
                await c.execute(
                    update(pushed_authorization_requests)
                    .where(
                        pushed_authorization_requests.c.request_uri_hash == sha256_hex(request_uri),
                        pushed_authorization_requests.c.client_id == client_id,
                        pushed_authorization_requests.c.consumed_at.is_(None),
                        pushed_authorization_requests.c.expires_at > now,
                    )
                    .values(consumed_at=now)
                    .returning(pushed_authorization_requests.c.parameters)
                )
            ).first()
        if row is None:
            return None
        return [(str(k), str(v)) for k, v in row.parameters]
