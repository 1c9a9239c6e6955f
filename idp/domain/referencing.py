"""Referencing: linking a Sage ID to a Sage customer account (seed, étape 3 « Se référencer »).

Two ways in. A verified email already used as a *notification address* on a customer's past
declaration submissions is referenced to that customer without a question; otherwise the user
proves they are the customer with its customer code and an invoice number or the serial number
of one of its Sage products, and accepts the terms of sale. These are the rules; the store
persists their outcome and `idp.accounts.referencing` applies them to a signed-in user.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

# The version of the terms of sale shown at /terms; a membership made by proof records the
# version its user accepted (issue 5). Bump it when the text changes.
TERMS_VERSION: Final = "2026-01"

# Built-in profiles every customer gets at import. The default one keeps every service the
# customer used before (seed: « un profil par défaut … vous permet de continuer d'utiliser les
# services comme précédemment »); the administrator's profile is moved to on becoming one.
DEFAULT_PROFILE: Final = "default"
ADMINISTRATOR_PROFILE: Final = "administrator"
# Their stored names are identifiers (the claim's `profile`): never renamed nor deleted; pages
# show them translated (`idp.web.profile_names`).
BUILTIN_PROFILES: Final = frozenset({DEFAULT_PROFILE, ADMINISTRATOR_PROFILE})


def is_builtin_profile(stored_name: str) -> bool:
    return stored_name in BUILTIN_PROFILES


class Permission(StrEnum):
    SUBMIT_DECLARATIONS = "submit_declarations"
    BANKING_EXCHANGES = "banking_exchanges"
    VIEW_TRACKING = "view_tracking"


ALL_PERMISSIONS: Final = tuple(Permission)


class ProofKind(StrEnum):
    INVOICE = "invoice"
    SERIAL = "serial"


class Method(StrEnum):
    """How a membership came to be (the `method` of the claim)."""

    NOTIFICATION_EMAIL = "notification_email"
    PROOF = "proof"
    ADMIN = "admin"  # added by the customer's administrator (portal)


# Lengths, also the column sizes.
CUSTOMER_CODE_MAX = 20
CUSTOMER_NAME_MAX = 200
PROOF_MIN = 4  # shorter numbers are too easy to guess, even throttled
PROOF_MAX = 64
PROFILE_NAME_MAX = 100


# --- Normalisation ---------------------------------------------------------------------------


def normalise_identifier(raw: str) -> str:
    """Customer codes, invoice and serial numbers as compared: letters and digits only, upper
    case. People copy them from paper, PDFs and e-mails with spaces, dashes, dots or slashes
    (`fa-2025/004 711` is `FA2025004711`). Folding two numbers of *one* customer together is
    harmless: a proof is only ever matched within the customer code typed with it."""
    folded = unicodedata.normalize("NFKC", raw).upper()
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


# --- Referencing by proof --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proof:
    kind: ProofKind
    value: str  # normalised


@dataclass(frozen=True, slots=True)
class ProofAttempt:
    """What the user typed on the referencing page, normalised."""

    customer_code: str
    number: str  # an invoice number or a serial number: the user need not say which

    @classmethod
    def parse(cls, customer_code: str, number: str) -> ProofAttempt | None:
        """None when it cannot match anything (empty, too short or too long): the page
        answers that exactly like a wrong proof, and counts it as a failure."""
        code, value = normalise_identifier(customer_code), normalise_identifier(number)
        if not 0 < len(code) <= CUSTOMER_CODE_MAX or not PROOF_MIN <= len(value) <= PROOF_MAX:
            return None
        return cls(code, value)


def match_proof(attempt: ProofAttempt, customer_code: str, proofs: Iterable[Proof]) -> Proof | None:
    """The customer's proof the attempt names, if any. Invoice and serial numbers are both
    tried (the seed asks for « un numéro de facture ou un numéro de série »); the invoice wins
    if one value is both."""
    if attempt.customer_code != customer_code:
        return None
    found = [proof for proof in proofs if proof.value == attempt.number]
    found.sort(key=lambda proof: proof.kind != ProofKind.INVOICE)
    return found[0] if found else None


# --- Automatic referencing -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotificationCandidate:
    """A customer whose past submissions notified the user's email, with what decides the
    profile the user gets there."""

    customer_code: str
    has_administrator: bool
    default_profile_id: str
    assigned_profile_id: str | None  # the administrator's choice for this email, if any
    new_members_profile_id: str | None = None  # the administrator's profile for new members


@dataclass(frozen=True, slots=True)
class NewMembership:
    customer_code: str
    profile_id: str
    method: Method
    terms_version: str | None = None


def chosen_profile(
    *,
    has_administrator: bool,
    default_profile_id: str,
    assigned_profile_id: str | None,
    new_members_profile_id: str | None,
) -> str:
    """Seed, étape 3: with an administrator, « le profil … défini par l'administrateur du
    compte »: the one given in advance to this email, else the *profil des nouveaux membres*
    (else the default); without one, « un profil par défaut ». Choices left by a removed
    administrator are ignored until a new one takes over."""
    if not has_administrator:
        return default_profile_id
    return assigned_profile_id or new_members_profile_id or default_profile_id


def profile_for(candidate: NotificationCandidate) -> str:
    return chosen_profile(
        has_administrator=candidate.has_administrator,
        default_profile_id=candidate.default_profile_id,
        assigned_profile_id=candidate.assigned_profile_id,
        new_members_profile_id=candidate.new_members_profile_id,
    )


def reference_by_notification_email(
    candidates: Iterable[NotificationCandidate],
    *,
    email_verified: bool,
    already_referenced: Iterable[str],
) -> list[NewMembership]:
    """The memberships to create for a user whose email notified these customers: one per
    customer not yet referenced, none until the email is verified (a notification address
    is only proof once the user has shown they read its mail)."""
    if not email_verified:
        return []
    known = set(already_referenced)
    new: list[NewMembership] = []
    for candidate in sorted(candidates, key=lambda c: c.customer_code):
        if candidate.customer_code in known:
            continue
        known.add(candidate.customer_code)
        new.append(
            NewMembership(
                candidate.customer_code, profile_for(candidate), Method.NOTIFICATION_EMAIL
            )
        )
    return new


def reference_by_proof(
    customer_code: str, profile_id: str, proof: Proof | None
) -> NewMembership | None:
    """A matching proof references with the profile `chosen_profile` gives (the default one
    for a customer without administrator), recording the terms version accepted with it;
    becoming administrator is a separate, explicit action (issue 5)."""
    if proof is None:
        return None
    return NewMembership(customer_code, profile_id, Method.PROOF, TERMS_VERSION)


# --- Administrators --------------------------------------------------------------------------


class AdminRefusal(StrEnum):
    NOT_A_MEMBER = "not_a_member"  # only a referenced member may become administrator
    TAKEN = "taken"  # the customer already has one


def may_become_administrator(
    *, is_member: bool, administrator_id: str | None, user_id: str
) -> AdminRefusal | None:
    """Seed, étape 3, 3°: a member of a customer *without* administrator may become it."""
    if not is_member:
        return AdminRefusal.NOT_A_MEMBER
    if administrator_id is not None and administrator_id != user_id:
        return AdminRefusal.TAKEN
    return None


def check_profile(name: str, permissions: Iterable[str]) -> tuple[str, tuple[Permission, ...]]:
    """A profile's name and permissions, validated (ValueError) and in canonical order."""
    name = " ".join(name.split())
    if not 0 < len(name) <= PROFILE_NAME_MAX:
        raise ValueError(f"a profile name has 1 to {PROFILE_NAME_MAX} characters")
    wanted = set(permissions)
    unknown = wanted - set(ALL_PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permissions: {', '.join(sorted(unknown))}")
    return name, tuple(p for p in ALL_PERMISSIONS if p in wanted)


# --- The `referencing` claim (DESIGN §4) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    """One customer account a Sage ID is referenced to, as the claim shows it."""

    customer_code: str
    customer_name: str
    profile: str
    is_admin: bool
    method: str
    referenced_at: float


def referencing_claim(accounts: Sequence[Account]) -> dict[str, Any]:
    """`{"status": "referenced"|"pending", "accounts": [...]}`, oldest membership first."""
    ordered = sorted(accounts, key=lambda a: (a.referenced_at, a.customer_code))
    return {
        "status": "referenced" if ordered else "pending",
        "accounts": [
            {
                "customer_code": a.customer_code,
                "customer_name": a.customer_name,
                "profile": a.profile,
                "is_admin": a.is_admin,
                "method": a.method,
                "referenced_at": int(a.referenced_at),
            }
            for a in ordered
        ],
    }
