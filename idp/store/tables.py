"""The database schema (SQLModel tables). Rows never leave the store: it returns records.

Times are UNIX seconds (float) so that expiry logic compares plain numbers from an injected
clock. Every secret is stored hashed (DESIGN §5): `*_hash` columns hold SHA-256 (high-entropy
secrets) or HMAC-SHA-256 under the server key (short codes), argon2id for passwords.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(primary_key=True, max_length=36)
    email: str = Field(unique=True, max_length=320)  # normalised: trimmed, case-folded
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    email_verified: bool = False
    locale: str | None = Field(default=None, max_length=10)
    created_at: float
    password_changed_at: float


class Client(SQLModel, table=True):
    __tablename__ = "clients"
    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    secret_hash: str | None = Field(default=None, max_length=64)
    token_endpoint_auth_method: str = Field(max_length=40)
    redirect_uris: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    post_logout_redirect_uris: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    grant_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scope: str = Field(max_length=1000)
    first_party: bool = False
    id_token_signed_response_alg: str = Field(default="RS256", max_length=10)
    created_at: float
    updated_at: float
    # OpenID Connect Back-Channel Logout 1.0 and CORS (issue 15).
    backchannel_logout_uri: str | None = Field(default=None, max_length=2000)
    backchannel_logout_session_required: bool = False
    web_origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Issue 17: every sign-in for this client needs a second factor.
    require_mfa: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # RFC 9126 §6: this client's authorization requests must be pushed (issue 16).
    require_pushed_authorization_requests: bool = False
    # RFC 7523 §2.2 / OIDC Core §9 `private_key_jwt`: the client's public keys, or where to
    # fetch them (issue 16).
    jwks: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    jwks_uri: str | None = Field(default=None, max_length=2000)
    # RFC 7592: the hash of the registration access token of a dynamically registered client.
    registration_token_hash: str | None = Field(default=None, max_length=64)
    # A security profile the client is held to (`fapi2`: FAPI 2.0), or none.
    profile: str | None = Field(default=None, max_length=20)
    # RFC 9449 §5.2 `dpop_bound_access_tokens` (issue 16): token requests need a DPoP proof.
    require_dpop: bool = False


class AuthorizationCode(SQLModel, table=True):
    __tablename__ = "authorization_codes"
    code_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(foreign_key="clients.client_id", ondelete="CASCADE", max_length=64)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    # Decided when the code is issued, so a replayed code can revoke what it produced.
    grant_id: str = Field(max_length=36)
    redirect_uri: str = Field(max_length=2000)
    scope: str = Field(max_length=1000)
    nonce: str | None = Field(default=None, max_length=500)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=10)
    auth_time: float
    expires_at: float
    consumed_at: float | None = None
    sid: str | None = Field(default=None, max_length=64)  # the browser session signed in
    claims: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    amr: str = Field(default="pwd", max_length=40, sa_column_kwargs={"server_default": "pwd"})


class Grant(SQLModel, table=True):
    """One sign-in of a user to a client: tokens hang off it; revoking it revokes them all."""

    __tablename__ = "grants"
    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", index=True, max_length=36)
    client_id: str = Field(foreign_key="clients.client_id", ondelete="CASCADE", max_length=64)
    scope: str = Field(max_length=1000)
    auth_time: float
    created_at: float
    expires_at: float  # auth_time + 30 days, never extended
    revoked_at: float | None = None
    # The browser session it came from: without `offline_access` the grant ends with it.
    sid: str | None = Field(default=None, index=True, max_length=64)
    # The `claims` request parameter (OIDC Core §5.5): names for `id_token` and `userinfo`.
    claims: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    amr: str = Field(default="pwd", max_length=40, sa_column_kwargs={"server_default": "pwd"})
    # RFC 9449 §5: the key (RFC 7638 thumbprint) a public client's refresh tokens are bound to.
    dpop_jkt: str | None = Field(default=None, max_length=64)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    token_hash: str = Field(primary_key=True, max_length=64)
    grant_id: str = Field(foreign_key="grants.id", ondelete="CASCADE", index=True, max_length=36)
    scope: str = Field(max_length=1000)
    created_at: float
    rotated_at: float | None = None
    # The pair issued on rotation, encrypted under a key derived from this (unstored) token,
    # so a retry within the grace window gets the same pair back.
    successor: str | None = Field(default=None, max_length=8000)


class RevokedToken(SQLModel, table=True):
    """Deny-list of explicitly revoked access-token `jti`s, kept until they expire."""

    __tablename__ = "revoked_tokens"
    jti: str = Field(primary_key=True, max_length=64)
    expires_at: float = Field(index=True)


class Consent(SQLModel, table=True):
    __tablename__ = "consents"
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    client_id: str = Field(foreign_key="clients.client_id", ondelete="CASCADE", primary_key=True)
    scope: str = Field(max_length=1000)
    updated_at: float


class BrowserSession(SQLModel, table=True):
    __tablename__ = "browser_sessions"
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", index=True, max_length=36)
    auth_time: float
    created_at: float
    expires_at: float
    ended_at: float | None = None
    # The public session id (OIDC `sid`, in ID tokens and logout tokens); never the cookie.
    sid: str | None = Field(default=None, unique=True, index=True, max_length=64)
    amr: str = Field(default="pwd", max_length=40, sa_column_kwargs={"server_default": "pwd"})


class DeviceCode(SQLModel, table=True):
    __tablename__ = "device_codes"
    device_code_hash: str = Field(primary_key=True, max_length=64)
    user_code_hash: str = Field(unique=True, max_length=64)
    client_id: str = Field(foreign_key="clients.client_id", ondelete="CASCADE", max_length=64)
    scope: str = Field(max_length=1000)
    created_at: float
    expires_at: float
    interval: int
    last_polled_at: float | None = None
    status: str = Field(default="pending", max_length=10)  # pending | approved | denied
    user_id: str | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    auth_time: float | None = None
    grant_id: str = Field(max_length=36)
    consumed_at: float | None = None
    amr: str = Field(default="pwd", max_length=40, sa_column_kwargs={"server_default": "pwd"})


class EmailChallenge(SQLModel, table=True):
    __tablename__ = "email_challenges"
    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    purpose: str = Field(max_length=10)  # verify | reset
    code_hash: str = Field(max_length=64)
    issued_at: float
    attempts: int = 0
    consumed_at: float | None = None
    __table_args__ = (Index("ix_email_challenges_user_purpose", "user_id", "purpose"),)


class ThrottleTally(SQLModel, table=True):
    """The tries counted under one throttle key (`password:user:<id>`, `password:ip:<addr>`,
    ...): `idp.domain.throttle.Tally`, updated by one conditional upsert per try."""

    __tablename__ = "throttle_tallies"
    key: str = Field(primary_key=True, max_length=200)
    tries: int
    run_start: float
    last_at: float = Field(index=True)


class AuditEvent(SQLModel, table=True):
    """One security fact (`idp.audit.record`): never a secret or a code."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(index=True)
    kind: str = Field(max_length=60)
    # The subject: the Sage ID the fact is about (kept if the account is deleted).
    user_id: str | None = Field(default=None, max_length=36)
    client_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Who did it: "user:<id>", "client:<id>", "cli" (an administrator's command), "system".
    actor: str | None = Field(default=None, max_length=120)
    outcome: str = Field(default="success", max_length=20)  # success | failure | refused
    __table_args__ = (Index("ix_audit_events_user_at", "user_id", "at"),)


# --- Referencing (issue 5; seed, étape 3) ------------------------------------------------------


class Customer(SQLModel, table=True):
    """A Sage customer account, keyed by its customer code (normalised: letters and digits in
    upper case, `idp.domain.referencing.normalise_identifier`)."""

    __tablename__ = "customers"
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=200)
    # At most one administrator, who must be a member; set only while NULL, so two members
    # racing to become it cannot both win. `is_admin` in the claim is derived from it.
    administrator_id: str | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", max_length=36
    )
    created_at: float
    updated_at: float
    # Issue 17: *Exiger une double authentification*, ticked by the administrator.
    require_mfa: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class CustomerProof(SQLModel, table=True):
    """An invoice number or a product serial number that proves one is the customer."""

    __tablename__ = "customer_proofs"
    id: int | None = Field(default=None, primary_key=True)
    customer_code: str = Field(foreign_key="customers.code", ondelete="CASCADE", max_length=20)
    kind: str = Field(max_length=10)  # invoice | serial
    value: str = Field(max_length=64)  # normalised like the customer code
    # Matching looks a value up within one customer: (customer_code, value) is the prefix.
    __table_args__ = (
        UniqueConstraint("customer_code", "value", "kind", name="uq_customer_proofs"),
    )


class NotificationEmail(SQLModel, table=True):
    """An address a customer's past declaration submissions notified: a verified Sage ID with
    that email is referenced to the customer automatically."""

    __tablename__ = "notification_emails"
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=320)  # normalised: trimmed, case-folded
    customer_code: str = Field(foreign_key="customers.code", ondelete="CASCADE", max_length=20)
    first_seen: float
    last_seen: float
    __table_args__ = (UniqueConstraint("address", "customer_code", name="uq_notification_emails"),)


def _one_profile_per_customer(flag: str) -> Index:
    """At most one profile of a customer has `flag` set: a partial unique index, written for
    both dialects (`uq_profiles_default`, `uq_profiles_new_members`)."""
    condition = text(flag)
    return Index(
        f"uq_profiles_{flag.removeprefix('is_')}",
        "customer_code",
        unique=True,
        sqlite_where=condition,
        postgresql_where=condition,
    )


class Profile(SQLModel, table=True):
    """What the members of a customer may do: a name and permissions among
    `idp.domain.referencing.Permission`. Each customer has exactly one default profile."""

    __tablename__ = "profiles"
    id: str = Field(primary_key=True, max_length=36)
    customer_code: str = Field(foreign_key="customers.code", ondelete="CASCADE", max_length=20)
    name: str = Field(max_length=100)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_default: bool = False
    created_at: float
    # The administrator's *profil des nouveaux membres* (issue 18); none: the default profile.
    is_new_members: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    __table_args__ = (
        UniqueConstraint("customer_code", "name", name="uq_profiles_name"),
        _one_profile_per_customer("is_default"),
        _one_profile_per_customer("is_new_members"),
    )


class Membership(SQLModel, table=True):
    """A Sage ID referenced to a customer account, with its profile there."""

    __tablename__ = "memberships"
    user_id: str = Field(
        foreign_key="users.id", ondelete="CASCADE", primary_key=True, max_length=36
    )
    customer_code: str = Field(
        foreign_key="customers.code",
        ondelete="CASCADE",
        primary_key=True,
        index=True,
        max_length=20,
    )
    profile_id: str = Field(foreign_key="profiles.id", max_length=36)
    method: str = Field(max_length=20)  # notification_email | proof | admin
    terms_version: str | None = Field(default=None, max_length=20)  # accepted with a proof
    terms_accepted_at: float | None = None
    referenced_at: float


class ProfileAssignment(SQLModel, table=True):
    """The profile a customer's administrator chose for an email before its owner arrives."""

    __tablename__ = "profile_assignments"
    customer_code: str = Field(
        foreign_key="customers.code", ondelete="CASCADE", primary_key=True, max_length=20
    )
    email: str = Field(primary_key=True, max_length=320)  # normalised
    profile_id: str = Field(foreign_key="profiles.id", ondelete="CASCADE", max_length=36)
    assigned_at: float


__all__ = [
    "AuditEvent",
    "AuthorizationCode",
    "BrowserSession",
    "Client",
    "Consent",
    "Customer",
    "CustomerProof",
    "DeviceCode",
    "EmailChallenge",
    "Grant",
    "Membership",
    "NotificationEmail",
    "Profile",
    "ProfileAssignment",
    "RefreshToken",
    "RevokedToken",
    "ThrottleTally",
    "User",
]


# --- Sage EDI Online submissions (issue 8; seed, étape 4) ------------------------------------


class Submission(SQLModel, table=True):
    """One submission (« envoi ») of a declaration or banking file for a customer account. Its
    file is in `submission_files`, so listing and tracking never read file content."""

    __tablename__ = "submissions"
    id: str = Field(primary_key=True, max_length=36)
    customer_code: str = Field(foreign_key="customers.code", ondelete="CASCADE", max_length=20)
    kind: str = Field(max_length=30)  # idp.domain.submissions.SubmissionKind
    status: str = Field(max_length=20)  # received, then whatever the EDI relay reports
    file_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    notification_email: str = Field(max_length=320)  # normalised
    # The sender; kept (as NULL) if their Sage ID is deleted: the envoi still happened.
    submitted_by: str | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True, max_length=36
    )
    client_id: str | None = Field(default=None, max_length=64)  # the application that sent it
    received_at: float
    # Tracking lists a customer's submissions newest first, keyset-paged on (received_at, id).
    __table_args__ = (
        Index("ix_submissions_customer_received", "customer_code", "received_at", "id"),
    )


class SubmissionFile(SQLModel, table=True):
    """The submitted file itself, in the database so that every node can read it (DESIGN §6)."""

    __tablename__ = "submission_files"
    submission_id: str = Field(
        foreign_key="submissions.id", ondelete="CASCADE", primary_key=True, max_length=36
    )
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


__all__ += ["Submission", "SubmissionFile"]


# --- Second factors (issue 17) ------------------------------------------------------------------


class SecondFactor(SQLModel, table=True):
    """An authenticator app (TOTP, RFC 6238): its secret encrypted under a server sub-key
    (`idp.accounts.second_factor`), and the last time step used, so a code works once; or a
    passkey (WebAuthn): its public key and signature counter."""

    __tablename__ = "second_factors"
    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", index=True, max_length=36)
    kind: str = Field(max_length=10)  # totp | passkey
    name: str = Field(max_length=100)
    # TOTP: the sealed secret; passkey: the credential's COSE public key (base64url).
    secret: str = Field(max_length=1000)
    # Passkeys (WebAuthn): credential id (base64url), signature counter, `hwk` or `swk`.
    credential_id: str | None = Field(default=None, unique=True, max_length=1400)
    sign_count: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    method: str | None = Field(default=None, max_length=3)
    last_step: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    created_at: float
    last_used_at: float | None = None


class RecoveryCode(SQLModel, table=True):
    """One of ten single-use recovery codes, HMAC-SHA-256 under a server sub-key."""

    __tablename__ = "recovery_codes"
    code_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", index=True, max_length=36)
    created_at: float
    used_at: float | None = None


class PushedAuthorizationRequest(SQLModel, table=True):
    """RFC 9126: an authorization request pushed to `/par`, referenced by its `request_uri`
    (stored hashed) and consumed once at `/authorize`, by whichever node the browser reaches."""

    __tablename__ = "pushed_authorization_requests"
    request_uri_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(foreign_key="clients.client_id", ondelete="CASCADE", max_length=64)
    parameters: list[list[str]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: float
    expires_at: float = Field(index=True)
    consumed_at: float | None = None


class ClientAssertionJti(SQLModel, table=True):
    """RFC 7523 §3: the `jti` of every client assertion accepted, until it expires, so that a
    replay is refused by whichever node it reaches."""

    __tablename__ = "client_assertion_jtis"
    jti_hash: str = Field(primary_key=True, max_length=64)
    expires_at: float = Field(index=True)


class InitialAccessToken(SQLModel, table=True):
    """RFC 7591 §3: what a third party presents to register a client (`sageid-idp
    registration-tokens create`), stored hashed; `uses` counts registrations against
    `max_uses`."""

    __tablename__ = "initial_access_tokens"
    token_hash: str = Field(primary_key=True, max_length=64)
    created_at: float
    expires_at: float
    max_uses: int | None = None
    uses: int = 0
    allowed_scope: str = Field(default="", max_length=1000)  # beyond the ordinary ones (edi)
    profile: str | None = Field(default=None, max_length=20)  # imposed on what it registers


class DPoPProof(SQLModel, table=True):
    """DPoP proofs seen (RFC 9449 §11.1): a `jti` used again on any node is refused. Kept until
    the proof's `iat` window has passed, then purged."""

    __tablename__ = "dpop_proofs"
    replay_key: str = Field(primary_key=True, max_length=64)  # sha256(jkt:jti)
    expires_at: float = Field(index=True)


__all__ += ["DPoPProof"]


# The Core tables the repositories query, each exported once under its SQL name. SQLModel
# sets `__table__` when it builds a model class but does not declare it, hence the one cast.
def _table(model: type[SQLModel]) -> Table:
    return cast(Table, inspect(model).local_table)


users = _table(User)
clients = _table(Client)
authorization_codes = _table(AuthorizationCode)
grants = _table(Grant)
refresh_tokens = _table(RefreshToken)
revoked_tokens = _table(RevokedToken)
consents = _table(Consent)
browser_sessions = _table(BrowserSession)
device_codes = _table(DeviceCode)
email_challenges = _table(EmailChallenge)
throttle_tallies = _table(ThrottleTally)
audit_events = _table(AuditEvent)
customers = _table(Customer)
customer_proofs = _table(CustomerProof)
notification_emails = _table(NotificationEmail)
profiles = _table(Profile)
memberships = _table(Membership)
profile_assignments = _table(ProfileAssignment)
submissions = _table(Submission)
submission_files = _table(SubmissionFile)
second_factors = _table(SecondFactor)
recovery_codes = _table(RecoveryCode)
pushed_authorization_requests = _table(PushedAuthorizationRequest)
client_assertion_jtis = _table(ClientAssertionJti)
initial_access_tokens = _table(InitialAccessToken)
dpop_proofs = _table(DPoPProof)

__all__ += [
    "audit_events",
    "authorization_codes",
    "browser_sessions",
    "client_assertion_jtis",
    "clients",
    "consents",
    "customer_proofs",
    "customers",
    "device_codes",
    "dpop_proofs",
    "email_challenges",
    "grants",
    "initial_access_tokens",
    "memberships",
    "notification_emails",
    "profile_assignments",
    "profiles",
    "pushed_authorization_requests",
    "recovery_codes",
    "refresh_tokens",
    "revoked_tokens",
    "second_factors",
    "submission_files",
    "submissions",
    "throttle_tallies",
    "users",
]
