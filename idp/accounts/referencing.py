"""Referencing a signed-in Sage ID (seed, étape 3 « Se référencer »): automatically by its
notification email, or by proof (customer code + invoice or serial number), throttled per user
and per IP. The rules are `idp.domain.referencing`; the pages are `idp.pages.referencing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from idp import audit
from idp.audit import Kind
from idp.audit import Outcome as AuditOutcome
from idp.domain.referencing import (
    Method,
    ProofAttempt,
    match_proof,
    reference_by_notification_email,
    reference_by_proof,
)
from idp.domain.throttle import CUSTOMER_PROOF_PER_IP, CUSTOMER_PROOF_PER_USER
from idp.store.records import UserRecord

from . import throttling
from .services import AccountServices


class Outcome(StrEnum):
    """Where the journey goes after `ensure_referenced`."""

    REFERENCED = "referenced"  # already referenced, nothing new: carry on
    AUTO_REFERENCED = "auto_referenced"  # newly referenced now: show the congratulations page
    NEEDS_PROOF = "needs_proof"  # referenced to nothing: show the referencing page


async def ensure_referenced(ctx: AccountServices, user: UserRecord) -> Outcome:
    """Reference the user to every customer whose past submissions notified their (verified)
    email, without a question. One read; one write transaction only when there is something
    new. An unverified email is never used: such a user gets NEEDS_PROOF unless referenced."""
    facts = await ctx.store.customers.referencing_facts(user.id, user.email)
    new = reference_by_notification_email(
        facts.candidates, email_verified=user.email_verified, already_referenced=facts.referenced
    )
    now = ctx.clock.now()
    added = await ctx.store.customers.reference(user.id, new, now, user.email)
    await _referenced(ctx, user.id, added, str(Method.NOTIFICATION_EMAIL), now)
    if added:
        return Outcome.AUTO_REFERENCED
    if facts.referenced or new:  # `new` but nothing added: another tab referenced it meanwhile
        return Outcome.REFERENCED
    return Outcome.NEEDS_PROOF


async def _referenced(
    ctx: AccountServices,
    user_id: str,
    customer_codes: list[str],
    method: str,
    now: float,
    ip: str | None = None,
) -> None:
    for code in customer_codes:
        detail: audit.Detail = {"customer_code": code, "method": method}
        await audit.record_own(ctx.store, Kind.REFERENCED, user_id, at=now, ip=ip, detail=detail)


class ProofStatus(StrEnum):
    REFERENCED = "referenced"
    WRONG = "wrong"  # one answer whatever was wrong: code, number, or both
    LOCKED = "locked"


@dataclass(frozen=True)
class ProofResult:
    status: ProofStatus
    customer_code: str | None = None
    retry_after: float = 0.0


def proof_limits(user_id: str, ip: str) -> list[throttling.Limit]:
    return [
        throttling.Limit(f"proof:user:{user_id}", CUSTOMER_PROOF_PER_USER),
        throttling.Limit(f"proof:ip:{ip}", CUSTOMER_PROOF_PER_IP),
    ]


async def reference_with_proof(
    ctx: AccountServices, user: UserRecord, ip: str, customer_code: str, number: str
) -> ProofResult:
    """Check a proof and reference the user with the profile the administrator chose (the
    default one without administrator, `chosen_profile`), recording
    the accepted terms version (the caller has checked the box). While locked, even a right
    proof is refused: otherwise the lock would not slow guessing down."""
    now = ctx.clock.now()
    limits = proof_limits(user.id, ip)
    reservation = await throttling.reserve(ctx.store, limits, now)
    if reservation.refused is not None:
        await _failed(ctx, user, ip, now, AuditOutcome.REFUSED, customer_code)
        return ProofResult(ProofStatus.LOCKED, retry_after=reservation.retry_after)
    attempt = ProofAttempt.parse(customer_code, number)
    target = await ctx.store.customers.proof_target(attempt, user.email) if attempt else None
    membership = None
    if attempt is not None and target is not None:
        proof = match_proof(attempt, target.customer.code, target.proofs)
        membership = reference_by_proof(target.customer.code, target.profile_id, proof)
    if membership is None:
        await _failed(ctx, user, ip, now, AuditOutcome.FAILURE, customer_code)
        return ProofResult(ProofStatus.WRONG)
    added = await ctx.store.customers.reference(user.id, [membership], now, user.email)
    await throttling.succeeded(ctx.store, limits[1:])
    await ctx.store.throttle.clear(limits[0].key)
    await _referenced(ctx, user.id, added, str(membership.method), now, ip)
    return ProofResult(ProofStatus.REFERENCED, membership.customer_code)


async def _failed(
    ctx: AccountServices,
    user: UserRecord,
    ip: str,
    now: float,
    outcome: AuditOutcome,
    typed_code: str,
) -> None:
    # The typed customer code is kept (it is not secret: the invoice or serial number is).
    await audit.record_own(
        ctx.store,
        Kind.REFERENCING_FAILED,
        user.id,
        at=now,
        ip=ip,
        outcome=outcome,
        detail={"customer_code": typed_code.strip()[:20]},
    )
