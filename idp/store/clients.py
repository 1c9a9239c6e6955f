"""Registered clients, and the in-process cache the token path reads without a round-trip."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from authlib.common.security import generate_token
from sqlalchemy import delete, func, insert, select, update

from idp.domain.client_authentication import CLIENT_SECRET_BASIC
from idp.store.database import Database
from idp.store.records import ClientRecord, client_from_row, sha256_hex
from idp.store.tables import clients


def new_client_id() -> str:
    """32 letters and digits (190 bits): never starts with '-', so it is safe as a
    command-line argument, and needs no escaping in a URL."""
    return str(generate_token(32))


class ClientRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        name: str,
        public: bool,
        redirect_uris: Sequence[str],
        post_logout_redirect_uris: Sequence[str],
        grant_types: Sequence[str],
        scope: str,
        first_party: bool,
        now: float,
        client_id: str | None = None,
        auth_method: str = CLIENT_SECRET_BASIC,
        secret: str | None = None,
        id_token_alg: str = "RS256",
        backchannel_logout_uri: str | None = None,
        backchannel_logout_session_required: bool = False,
        web_origins: Sequence[str] = (),
        require_mfa: bool = False,
        require_pushed_authorization_requests: bool = False,
        jwks: dict[str, Any] | None = None,
        jwks_uri: str | None = None,
        registration_token_hash: str | None = None,
        profile: str | None = None,
        require_dpop: bool = False,
    ) -> tuple[ClientRecord, str | None]:
        """Register a client; returns it and, for a confidential client, its secret (shown
        once: only its hash is kept). ID tokens are RS256 unless the client registers ES256
        (OIDC Registration `id_token_signed_response_alg`)."""
        # A `private_key_jwt` client proves itself with its keys: it has no secret.
        keyed = auth_method == "private_key_jwt"
        secret = None if public or keyed else (secret or secrets.token_urlsafe(32))
        values = {
            "client_id": client_id or new_client_id(),
            "name": name,
            "secret_hash": sha256_hex(secret) if secret else None,
            "token_endpoint_auth_method": "none" if public else auth_method,
            "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris),
            "grant_types": list(grant_types),
            "scope": scope,
            "first_party": first_party,
            "id_token_signed_response_alg": id_token_alg,
            "backchannel_logout_uri": backchannel_logout_uri,
            "backchannel_logout_session_required": backchannel_logout_session_required,
            "web_origins": list(web_origins),
            "require_mfa": require_mfa,
            "require_pushed_authorization_requests": require_pushed_authorization_requests,
            "jwks": jwks,
            "jwks_uri": jwks_uri,
            "registration_token_hash": registration_token_hash,
            "profile": profile,
            "require_dpop": require_dpop,
            "created_at": now,
            "updated_at": now,
        }
        async with self.db.write() as c:
            await c.execute(insert(clients).values(**values))
        return client_from_row(type("Row", (), values)), secret

    async def get(self, client_id: str) -> ClientRecord | None:
        async with self.db.read() as c:
            row = (await c.execute(select(clients).where(clients.c.client_id == client_id))).first()
        return client_from_row(row) if row else None

    async def all(self) -> list[ClientRecord]:
        async with self.db.read() as c:
            rows = (await c.execute(select(clients).order_by(clients.c.created_at))).all()
        return [client_from_row(r) for r in rows]

    async def update_registered(self, client_id: str, now: float, **values: Any) -> None:
        """RFC 7592 §2.2: a registered client's metadata replaced (the caller checked it)."""
        async with self.db.write() as c:
            # Strictly later than before, so every node's cache fingerprint changes even for
            # two changes within a clock tick.
            before = (
                await c.execute(
                    select(clients.c.updated_at).where(clients.c.client_id == client_id)
                )
            ).scalar_one()
            await c.execute(
                update(clients)
                .where(clients.c.client_id == client_id)
                .values(**values, updated_at=max(now, float(before) + 0.001))
            )

    async def remove(self, client_id: str) -> bool:
        async with self.db.write() as c:
            result = await c.execute(delete(clients).where(clients.c.client_id == client_id))
        return bool(result.rowcount)

    async def fingerprint(self) -> tuple[int, float]:
        """Changes when a client is added, removed or updated (by this or another process)."""
        async with self.db.read() as c:
            row = (await c.execute(select(func.count(), func.max(clients.c.updated_at)))).one()
        return int(row[0]), float(row[1] or 0.0)


class ClientCache:
    """Every client, in memory: the token endpoint authenticates clients without the database.
    A client not in memory is read from the database (`lookup`): one added with the CLI works
    on its very first request, on every node. A background poll of `fingerprint()` (every
    `client_cache_poll` seconds) picks up clients removed or changed by another process."""

    def __init__(self, repository: ClientRepository) -> None:
        self.repository = repository
        self._clients: dict[str, ClientRecord] = {}
        self._fingerprint: tuple[int, float] | None = None
        self._web_origins: frozenset[str] = frozenset()

    def get(self, client_id: str) -> ClientRecord | None:
        """The client if it is in memory (no database read)."""
        return self._clients.get(client_id)

    def web_origins(self) -> frozenset[str]:
        """Every origin a client registered for CORS (`clients add --web-origin`)."""
        return self._web_origins

    async def lookup(self, client_id: str) -> ClientRecord | None:
        """The client, from memory or else from the database (then remembered)."""
        client = self._clients.get(client_id)
        if client is None:
            client = await self.repository.get(client_id)
            if client is not None:
                self._clients[client_id] = client
        return client

    async def refresh(self) -> None:
        fingerprint = await self.repository.fingerprint()
        if fingerprint != self._fingerprint:
            self._clients = {c.client_id: c for c in await self.repository.all()}
            self._web_origins = frozenset(o for c in self._clients.values() for o in c.web_origins)
            self._fingerprint = fingerprint
