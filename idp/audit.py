"""The audit trail: one `record(...)` per security fact, with time, actor, subject, client, IP
and outcome (DESIGN §6). Never a secret, a code or a password in it: `detail` holds only plain
facts (a method, a customer code, a client id, a count).

To audit a new fact: pick (or add) a `Kind`, then

    await audit.record(ctx.store, Kind.SIGN_IN, at=now, subject=user.id, ip=ip,
                       outcome=Outcome.FAILURE)

`record` is also the one place where every event passes once written (`observe`), so that a
metrics counter (throttle refusals, sign-in failures, reuse detections) can hook there.
A fact found inside a store transaction (refresh-token reuse) is written in that transaction
by the store with `AuditEvent.row()` and handed to `observe` by its caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idp.store import Store

Detail = Mapping[str, str | int | float | bool | None]


class Kind(StrEnum):
    SIGN_IN = "sign_in"  # outcome success, failure (wrong password) or refused (locked)
    LOCKOUT = "lockout"  # a failure that locked the account or the network (detail: scope)
    ACCOUNT_CREATED = "account_created"
    EMAIL_VERIFIED = "email_verified"
    PASSWORD_RESET = "password_reset"  # through an emailed code
    PASSWORD_CHANGED = "password_changed"  # by the signed-in user
    EMAIL_CHANGED = "email_changed"  # by the signed-in user, through a code sent to the new one
    REFERENCED = "referenced"  # detail: customer_code, method
    REFERENCING_FAILED = "referencing_failed"  # a wrong or refused customer proof
    ADMINISTRATOR_GAINED = "administrator_gained"  # detail: customer_code
    PROFILE_CHANGED = "profile_changed"  # a member's profile, by an administrator
    PROFILES_EDITED = "profiles_edited"  # a customer's profiles (detail: action), by its admin
    MEMBER_REMOVED = "member_removed"  # detail: customer_code
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # the grant was revoked (RFC 9700 §4.14.2)
    REVOCATION = "revocation"  # RFC 7009
    LOGOUT = "logout"  # browser sign-out or RP-initiated logout
    # Second factors (issue 17); never a secret or a code in `detail`, only the kind/method.
    SECOND_FACTOR_ADDED = "second_factor_added"  # detail: kind
    SECOND_FACTOR_REMOVED = "second_factor_removed"  # detail: kind
    SECOND_FACTOR_USED = "second_factor_used"  # detail: method; success, failure or refused
    RECOVERY_CODES_GENERATED = "recovery_codes_generated"
    # Administrator commands (`sageid-idp`), actor "cli":
    CLIENT_ADDED = "admin.client_added"
    CLIENT_REMOVED = "admin.client_removed"
    KEY_ROTATED = "admin.key_rotated"
    KEY_ACTIVATED = "admin.key_activated"
    KEY_RETIRED = "admin.key_retired"
    USER_ADDED = "admin.user_added"
    USER_REVOKED = "admin.user_revoked"
    CUSTOMERS_IMPORTED = "admin.customers_imported"
    ADMINISTRATOR_SET = "admin.administrator_set"
    MFA_RESET = "admin.mfa_reset"  # every second factor removed by support
    MFA_REQUIREMENT_CHANGED = "mfa_requirement_changed"  # by a customer's administrator
    REGISTRATION_TOKEN_CREATED = "admin.registration_token_created"
    # Dynamic client registration (RFC 7591, RFC 7592), actor "registration":
    CLIENT_REGISTERED = "client_registered"
    CLIENT_REGISTRATION_UPDATED = "client_registration_updated"
    CLIENT_REGISTRATION_DELETED = "client_registration_deleted"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"  # the secret was evaluated and wrong
    REFUSED = "refused"  # not evaluated: throttled or not allowed


CLI = "cli"  # the actor of an administrator's command
SYSTEM = "system"


def user_actor(user_id: str) -> str:
    return f"user:{user_id}"


def client_actor(client_id: str) -> str:
    return f"client:{client_id}"


@dataclass(frozen=True)
class AuditEvent:
    kind: str
    at: float
    subject: str | None = None  # the Sage ID the fact is about
    actor: str | None = None  # who did it (`user_actor`, `client_actor`, CLI, SYSTEM)
    client_id: str | None = None
    ip: str | None = None
    outcome: str = Outcome.SUCCESS
    detail: Detail = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The `audit_events` columns."""
        return {
            "at": self.at,
            "kind": str(self.kind),
            "user_id": self.subject,
            "actor": self.actor,
            "client_id": self.client_id,
            "ip": self.ip,
            "outcome": str(self.outcome),
            "detail": dict(self.detail),
        }


# Called with every event once written; the metrics may append theirs.
observers: list[Callable[[AuditEvent], None]] = []


def observe(event: AuditEvent) -> None:
    for observer in observers:
        observer(event)


async def record(
    store: Store,
    kind: Kind,
    *,
    at: float,
    subject: str | None = None,
    actor: str | None = None,
    client_id: str | None = None,
    ip: str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    detail: Detail | None = None,
) -> AuditEvent:
    """Write one security fact to the audit trail (its own short transaction)."""
    event = AuditEvent(kind, at, subject, actor, client_id, ip, outcome, detail or {})
    await store.audit.add(event)
    observe(event)
    return event


async def record_own(
    store: Store,
    kind: Kind,
    user_id: str,
    *,
    at: float,
    ip: str | None,
    client_id: str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    detail: Detail | None = None,
) -> AuditEvent:
    """Write what a user did to their own Sage ID: they are its subject and its actor."""
    return await record(
        store,
        kind,
        at=at,
        subject=user_id,
        actor=user_actor(user_id),
        client_id=client_id,
        ip=ip,
        outcome=outcome,
        detail=detail,
    )
