"""Grants (one per sign-in to a client) and the tokens that hang off them.

A grant is live while it is not revoked, not past `expires_at` (auth_time + 30 days, never
extended) and its user has not changed password since signing in. Every token check below
applies that one rule, in SQL or on the row it just read, so a refresh, an introspection or a
userinfo call costs one store round-trip (PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from idp.audit import AuditEvent, Kind, client_actor
from idp.audit import Outcome as AuditOutcome
from idp.domain.claims_request import RequestedClaims
from idp.store.audit import ADD_EVENT
from idp.store.database import Database, Statements
from idp.store.records import GrantRecord, UserRecord, user_from_row
from idp.store.tables import (
    grants,
    refresh_tokens,
    revoked_tokens,
    users,
)
from shared.scopes import OFFLINE_ACCESS


def _live_grant() -> tuple[ColumnElement[bool], ...]:
    """The live-grant rule as SQL, at `:now` (`RefreshTokenState.grant_is_live` applies it to a
    row already read)."""
    return (
        grants.c.revoked_at.is_(None),
        grants.c.expires_at > bindparam("now"),
        users.c.password_changed_at <= grants.c.auth_time,
    )


def grant_from_row(row: object) -> GrantRecord:
    return GrantRecord(
        id=row.id,  # type: ignore[attr-defined]
        user_id=row.user_id,  # type: ignore[attr-defined]
        client_id=row.client_id,  # type: ignore[attr-defined]
        scope=row.scope,  # type: ignore[attr-defined]
        auth_time=row.auth_time,  # type: ignore[attr-defined]
        expires_at=row.expires_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
        sid=row.sid,  # type: ignore[attr-defined]
        claims=RequestedClaims.from_json(row.claims),  # type: ignore[attr-defined]
        amr=getattr(row, "amr", "pwd"),
        dpop_jkt=getattr(row, "dpop_jkt", None),
    )


@dataclass(frozen=True)
class RefreshTokenState:
    """A refresh token with its grant and user, read in one query."""

    token_hash: str
    scope: str  # as originally granted: a narrowed refresh does not narrow the next one
    created_at: float
    rotated_at: float | None
    successor: str | None  # the pair its rotation issued, sealed (see idp.oauth.sealing)
    grant: GrantRecord
    user: UserRecord

    def get_scope(self) -> str:
        """Authlib's token interface, for its scope-narrowing check (RFC 6749 §6)."""
        return self.scope

    def grant_is_live(self, now: float) -> bool:
        return (
            self.grant.revoked_at is None
            and now < self.grant.expires_at
            and self.user.password_changed_at <= self.grant.auth_time
        )

    def is_active(self, now: float) -> bool:
        return self.rotated_at is None and self.grant_is_live(now)


class Outcome(Enum):
    ROTATED = "rotated"  # a new pair was issued and the presented token retired
    REPLAYED = "replayed"  # rotated moments ago: the same pair again (grace window)
    REUSED = "reused"  # rotated before the grace window: the grant is now revoked
    REFUSED = "refused"  # unknown, another client's, or its grant is not live
    WRONG_KEY = "wrong_key"  # bound to a DPoP key (RFC 9449 §5) not proven here: refused


@dataclass(frozen=True)
class Rotation:
    outcome: Outcome
    state: RefreshTokenState | None = None
    audited: AuditEvent | None = None  # a reuse: written with the grant's revocation


@dataclass(frozen=True)
class Issued:
    """What a rotation writes: the new refresh token's hash and the sealed new pair."""

    refresh_token_hash: str
    sealed_pair: str


# Hot-path statements, built once with bind parameters: building and cache-keying a statement
# on every request costs more than SQLite's own work (PERFORMANCE.md).

# A refresh token, its grant and its user in one read (users.id keeps its name `id`, so that
# `user_from_row` reads the row as is).
_STATE = (
    select(
        refresh_tokens.c.token_hash,
        refresh_tokens.c.scope.label("token_scope"),
        refresh_tokens.c.created_at.label("token_created_at"),
        refresh_tokens.c.rotated_at,
        refresh_tokens.c.successor,
        grants.c.id.label("grant_id"),
        grants.c.client_id,
        grants.c.scope.label("grant_scope"),
        grants.c.auth_time,
        grants.c.expires_at,
        grants.c.revoked_at,
        grants.c.sid,
        grants.c.claims.label("grant_claims"),
        grants.c.amr.label("grant_amr"),
        grants.c.dpop_jkt,
        users,
    )
    .join(grants, grants.c.id == refresh_tokens.c.grant_id)
    .join(users, users.c.id == grants.c.user_id)
    .where(refresh_tokens.c.token_hash == bindparam("token_hash"))
)
# The conditional UPDATE that makes one use of a refresh token win (SET values are named apart
# from the columns, as SQLAlchemy requires).
_ROTATE = (
    update(refresh_tokens)
    .where(
        refresh_tokens.c.token_hash == bindparam("presented_hash"),
        refresh_tokens.c.rotated_at.is_(None),
    )
    .values(rotated_at=bindparam("rotated_now"), successor=bindparam("sealed"))
)
_ADD_REFRESH_TOKEN = insert(refresh_tokens)
# PostgreSQL: that UPDATE and the successor's INSERT as one statement (a data-modifying CTE,
# atomic by itself: no BEGIN/COMMIT round trips); it returns a row when this rotation won.
# SQLite has no data-modifying CTE: there both run in one `BEGIN IMMEDIATE` transaction. (Its
# parameters are named apart from every column: compiled with column keys, a parameter named
# like a column would be SET by the UPDATE too.)
_rotated = _ROTATE.returning(refresh_tokens.c.grant_id).cte("rotated")
_ROTATE_AND_ADD = (
    insert(refresh_tokens)
    .from_select(
        ["token_hash", "grant_id", "scope", "created_at"],
        select(
            bindparam("new_hash", type_=refresh_tokens.c.token_hash.type),
            _rotated.c.grant_id,
            bindparam("new_scope", type_=refresh_tokens.c.scope.type),
            bindparam("new_created_at", type_=refresh_tokens.c.created_at.type),
        ),
    )
    .returning(refresh_tokens.c.token_hash)
)
_REVOKE_GRANT = (
    update(grants)
    .where(grants.c.id == bindparam("grant_id"), grants.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("revoked_now"))
)
_ACTIVE_USER = (
    select(users)
    .join(grants, grants.c.user_id == users.c.id)
    .where(
        grants.c.id == bindparam("grant_id"),
        *_live_grant(),
        ~exists().where(revoked_tokens.c.jti == bindparam("jti")),
    )
)
_DENIED = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti"))


def _state_from_row(row: Any) -> RefreshTokenState | None:
    if row is None:
        return None
    grant = GrantRecord(
        id=row.grant_id,
        user_id=row.id,
        client_id=row.client_id,
        scope=row.grant_scope,
        auth_time=row.auth_time,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        sid=row.sid,
        claims=RequestedClaims.from_json(row.grant_claims),
        amr=row.grant_amr,
        dpop_jkt=row.dpop_jkt,
    )
    return RefreshTokenState(
        token_hash=row.token_hash,
        scope=row.token_scope,
        created_at=row.token_created_at,
        rotated_at=row.rotated_at,
        successor=row.successor,
        grant=grant,
        user=user_from_row(row),
    )


async def _read_state(c: Statements, token_hash: str) -> RefreshTokenState | None:
    return _state_from_row((await c.execute(_STATE, {"token_hash": token_hash})).first())


class GrantRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, grant: GrantRecord, *, refresh_token_hash: str | None, now: float
    ) -> None:
        """The grant and its first refresh token, in one transaction."""
        async with self.db.write() as c:
            await c.execute(
                insert(grants).values(
                    id=grant.id,
                    user_id=grant.user_id,
                    client_id=grant.client_id,
                    scope=grant.scope,
                    auth_time=grant.auth_time,
                    created_at=now,
                    expires_at=grant.expires_at,
                    revoked_at=None,
                    sid=grant.sid,
                    claims=grant.claims.to_json() if grant.claims else None,
                    amr=grant.amr,
                    dpop_jkt=grant.dpop_jkt,
                )
            )
            if refresh_token_hash is not None:
                await c.execute(
                    insert(refresh_tokens).values(
                        token_hash=refresh_token_hash,
                        grant_id=grant.id,
                        scope=grant.scope,
                        created_at=now,
                    )
                )

    async def rotate_refresh_token(
        self,
        token_hash: str,
        *,
        client_id: str,
        now: float,
        grace: float,
        issue: Callable[[RefreshTokenState], Issued],
        jkt: str | None = None,
        unbound_grace: float | None = None,
    ) -> Rotation:
        """Refresh atomically (PERFORMANCE.md: not in Authlib's separate
        `revoke_old_credential` step, where a lost race would leave a usable token): on SQLite
        in one `BEGIN IMMEDIATE` transaction, on PostgreSQL in two statements, the read and
        one that retires the token and adds its successor together (`_ROTATE_AND_ADD`).

        `issue` mints the new pair from the state read here (it may raise, e.g. for a widened
        scope: nothing is then written). The conditional UPDATE makes exactly one of two
        concurrent refreshes rotate, whichever worker or database serves them; the other
        sees a rotated token and gets the same pair back within `grace` seconds. Later, the
        reuse of a rotated token means it leaked: the whole grant is revoked (RFC 9700
        §4.14.2).

        A grant bound to a DPoP key (`dpop_jkt`, RFC 9449 §5) needs a proof by that key
        (`jkt`): without it a live token is refused (`WRONG_KEY`), and a rotated one presented
        inside the grace window is a theft, refused and the grant revoked. The grace applies
        to bound grants and authenticated clients; an unbound grant gets `unbound_grace`
        (the caller's choice for unauthenticated clients: 0 by default, strict detection).
        """
        if self.db.is_sqlite:
            async with self.db.atomic() as c:
                rotation = await self._rotate(
                    c, token_hash, client_id, now, grace, issue, jkt, unbound_grace
                )
        else:  # every statement atomic by itself: two round trips, no transaction
            rotation = await self._rotate(
                None, token_hash, client_id, now, grace, issue, jkt, unbound_grace
            )
        if rotation.outcome is Outcome.REUSED:
            assert rotation.state is not None and rotation.audited is not None
            # The grant revoked and the fact written in one transaction (idempotent: a
            # concurrent reuse finds it revoked already).
            await self.revoke(rotation.state.grant.id, now, rotation.audited)
        return rotation

    async def _rotate(
        self,
        c: Statements | None,
        token_hash: str,
        client_id: str,
        now: float,
        grace: float,
        issue: Callable[[RefreshTokenState], Issued],
        jkt: str | None,
        unbound_grace: float | None,
    ) -> Rotation:
        """The rotation's decision, on SQLite inside the caller's transaction `c`, on
        PostgreSQL (`c` None) in autocommit statements; a reuse is returned, not yet written."""
        state = await self._read(c, token_hash)
        if state is None or state.grant.client_id != client_id:
            return Rotation(Outcome.REFUSED)
        if not state.grant_is_live(now):
            return Rotation(Outcome.REFUSED, state)
        bound = state.grant.dpop_jkt
        wrong_key = bound is not None and jkt != bound
        if bound is None and unbound_grace is not None:
            grace = unbound_grace
        if wrong_key:
            if state.rotated_at is None:
                return Rotation(Outcome.WRONG_KEY, state)
            grace = 0  # a rotated, bound token from another key: stolen
        if state.rotated_at is None:
            issued = issue(state)
            if await self._swap(c, token_hash, now, issued, state):
                return Rotation(Outcome.ROTATED, state)
            # Another worker rotated it meanwhile (PostgreSQL, READ COMMITTED): re-read.
            state = await self._read(c, token_hash)
            assert state is not None
        assert state.rotated_at is not None
        # `now` was read before this rotation began: a concurrent retry may predate the
        # rotation it lost to, hence no lower bound. A zero grace disables replays.
        if state.successor and grace > 0 and now - state.rotated_at <= grace:
            return Rotation(Outcome.REPLAYED, state)
        reuse = AuditEvent(
            Kind.REFRESH_TOKEN_REUSED,
            now,
            subject=state.user.id,
            actor=client_actor(client_id),
            client_id=client_id,
            outcome=AuditOutcome.REFUSED,
            detail={"grant_id": state.grant.id, "grant_revoked": True},
        )
        return Rotation(Outcome.REUSED, state, reuse)

    async def _read(self, c: Statements | None, token_hash: str) -> RefreshTokenState | None:
        if c is None:
            return await self.refresh_token_state(token_hash)
        return await _read_state(c, token_hash)

    async def _swap(
        self,
        c: Statements | None,
        token_hash: str,
        now: float,
        issued: Issued,
        state: RefreshTokenState,
    ) -> bool:
        """Retire the presented token and add its successor, if no one rotated it first."""
        rotate = {"presented_hash": token_hash, "rotated_now": now, "sealed": issued.sealed_pair}
        successor = {
            "token_hash": issued.refresh_token_hash,
            "grant_id": state.grant.id,
            "scope": state.scope,
            "created_at": now,
        }
        if c is None:
            added = {
                "new_hash": issued.refresh_token_hash,
                "new_scope": state.scope,
                "new_created_at": now,
            }
            return await self.db.first(_ROTATE_AND_ADD, rotate | added) is not None
        if (await c.execute(_ROTATE, rotate)).rowcount != 1:
            return False
        await c.execute(_ADD_REFRESH_TOKEN, successor)
        return True

    async def refresh_token_state(self, token_hash: str) -> RefreshTokenState | None:
        return _state_from_row(await self.db.first(_STATE, {"token_hash": token_hash}))

    async def revoke(self, grant_id: str, now: float, audited: AuditEvent | None = None) -> None:
        """Revoke a grant, and write `audited` (the fact) in the same transaction."""
        async with self.db.atomic() as c:
            await c.execute(_REVOKE_GRANT, {"grant_id": grant_id, "revoked_now": now})
            if audited is not None:
                await c.execute(ADD_EVENT, audited.row())

    async def revoke_for_user(
        self, user_id: str, now: float, *, client_id: str | None = None
    ) -> int:
        """Every live grant of a user (`sageid-idp users revoke`), or only those given to one
        client (RP-initiated logout)."""
        query = update(grants).where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
        if client_id is not None:
            query = query.where(grants.c.client_id == client_id)
        async with self.db.write() as c:
            result = await c.execute(query.values(revoked_at=now))
        return int(result.rowcount)

    async def end_with_sessions(self, sids: list[str], now: float) -> list[tuple[str, str, str]]:
        """Browser sessions ended (OIDC Core §11): their grants without `offline_access` are
        revoked, and every client they signed into (`client_id`, `user_id`, `sid`) is returned,
        to be told (back-channel logout)."""
        if not sids:
            return []
        signed_in = (
            select(grants.c.client_id, grants.c.user_id, grants.c.sid)
            .where(grants.c.sid.in_(sids), grants.c.revoked_at.is_(None))
            .distinct()
        )
        bound = update(grants).where(
            grants.c.sid.in_(sids),
            grants.c.revoked_at.is_(None),
            # Scopes are space-separated names: `offline_access` cannot be part of another.
            ~grants.c.scope.contains(OFFLINE_ACCESS, autoescape=True),
        )
        async with self.db.write() as c:
            rows = (await c.execute(signed_in)).all()
            await c.execute(bound.values(revoked_at=now))
        return [(r.client_id, r.user_id, r.sid) for r in rows]

    async def live_sign_ins(self, user_id: str, now: float) -> list[tuple[str, str | None]]:
        """The clients (`client_id`, `sid`) a user has live grants with: who to tell when an
        administrator or a password reset ends them all."""
        query = (
            select(grants.c.client_id, grants.c.sid)
            .where(
                grants.c.user_id == user_id,
                grants.c.revoked_at.is_(None),
                grants.c.expires_at > now,
            )
            .distinct()
        )
        async with self.db.read() as c:
            rows = (await c.execute(query)).all()
        return [(r.client_id, r.sid) for r in rows]

    async def deny_access_token(
        self, jti: str, expires_at: float, now: float, audited: AuditEvent | None = None
    ) -> None:
        """Revoke one access token (RFC 7009) by its `jti`, kept until it would have expired;
        expired entries are purged on the way."""
        dialect = postgresql if not self.db.is_sqlite else sqlite
        add = dialect.insert(revoked_tokens).values(jti=jti, expires_at=expires_at)
        async with self.db.write() as c:
            await c.execute(add.on_conflict_do_nothing(index_elements=["jti"]))
            await c.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at <= now))
            if audited is not None:
                await c.execute(ADD_EVENT, audited.row())

    async def is_denied(self, jti: str) -> bool:
        """Whether an access token without a grant (client credentials) was revoked."""
        return await self.db.first(_DENIED, {"jti": jti}) is not None

    async def get(self, grant_id: str) -> GrantRecord | None:
        async with self.db.read() as c:
            row = (await c.execute(select(grants).where(grants.c.id == grant_id))).first()
        return grant_from_row(row) if row else None

    async def active_user(self, grant_id: str, jti: str, now: float) -> UserRecord | None:
        """The user behind an access token, if its grant is live and its `jti` not revoked:
        one query, the whole store cost of a userinfo or introspection request."""
        row = await self.db.first(_ACTIVE_USER, {"grant_id": grant_id, "jti": jti, "now": now})
        return user_from_row(row) if row else None
