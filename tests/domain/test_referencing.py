"""Referencing rules (seed, étape 3): proofs, automatic referencing, administrators, the claim."""

from __future__ import annotations

import pytest

from idp.domain.referencing import (
    TERMS_VERSION,
    Account,
    AdminRefusal,
    Method,
    NewMembership,
    NotificationCandidate,
    Permission,
    Proof,
    ProofAttempt,
    ProofKind,
    check_profile,
    match_proof,
    may_become_administrator,
    normalise_identifier,
    profile_for,
    reference_by_notification_email,
    reference_by_proof,
    referencing_claim,
)
from idp.domain.throttle import (
    CUSTOMER_PROOF_PER_IP,
    CUSTOMER_PROOF_PER_USER,
    Budget,
)
from tests.domain.helpers import assert_locked_after_five_failures

BOULANGERIE = "C0001234"
PROOFS = (
    Proof(ProofKind.INVOICE, "FA2025004711"),
    Proof(ProofKind.SERIAL, "SP74K2Q99XA1187"),
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("FA-2025-004711", "FA2025004711"),
        ("fa 2025 004711", "FA2025004711"),
        ("  Fa-2025/004.711\t", "FA2025004711"),
        ("ｆａ２０２５", "FA2025"),  # full-width characters typed on a Japanese keyboard
        ("c0001234", "C0001234"),
        ("C 000 1234", "C0001234"),
        ("é-€", ""),  # nothing of a Sage number survives
    ],
)
def test_identifiers_compare_as_upper_case_letters_and_digits(typed: str, expected: str) -> None:
    assert normalise_identifier(typed) == expected


@pytest.mark.parametrize(
    ("code", "number", "kind"),
    [
        ("C0001234", "FA-2025-004711", ProofKind.INVOICE),
        ("c0001234", "fa 2025 004711", ProofKind.INVOICE),
        (" C000 1234 ", "SP7-4K2Q-99XA-1187", ProofKind.SERIAL),
        ("C0001234", "sp7 4k2q 99xa 1187", ProofKind.SERIAL),
    ],
)
def test_an_invoice_or_a_serial_number_proves_the_customer(
    code: str, number: str, kind: ProofKind
) -> None:
    attempt = ProofAttempt.parse(code, number)
    assert attempt is not None
    found = match_proof(attempt, BOULANGERIE, PROOFS)
    assert found is not None and found.kind is kind


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("C0001234", "FA-2025-004712"),  # wrong number
        ("C0002087", "FA-2025-004711"),  # another customer's code with this one's number
        ("C0001234", "FA2025"),  # a prefix is not the number
    ],
)
def test_a_wrong_proof_matches_nothing(code: str, number: str) -> None:
    attempt = ProofAttempt.parse(code, number)
    assert attempt is not None
    assert match_proof(attempt, BOULANGERIE, PROOFS) is None


@pytest.mark.parametrize(
    ("code", "number"), [("", "FA-2025-004711"), ("C0001234", ""), ("C1", "12-3"), ("C1", "9" * 65)]
)
def test_unusable_input_is_no_attempt(code: str, number: str) -> None:
    assert ProofAttempt.parse(code, number) is None


def test_a_value_that_is_both_an_invoice_and_a_serial_matches_as_the_invoice() -> None:
    both = (Proof(ProofKind.SERIAL, "ABCD1234"), Proof(ProofKind.INVOICE, "ABCD1234"))
    attempt = ProofAttempt.parse(BOULANGERIE, "abcd-1234")
    assert attempt is not None
    assert match_proof(attempt, BOULANGERIE, both) == Proof(ProofKind.INVOICE, "ABCD1234")


def test_a_proof_references_with_the_default_profile_and_the_terms_version() -> None:
    assert reference_by_proof(BOULANGERIE, "default-id", PROOFS[1]) == NewMembership(
        BOULANGERIE, "default-id", Method.PROOF, TERMS_VERSION
    )
    assert reference_by_proof(BOULANGERIE, "default-id", None) is None


def candidate(
    code: str, *, admin: bool, assigned: str | None = None, default: str = "default"
) -> NotificationCandidate:
    return NotificationCandidate(code, admin, f"{default}-{code}", assigned)


@pytest.mark.parametrize(
    ("has_admin", "assigned", "expected"),
    [
        (True, "accounting", "accounting"),  # the administrator's choice for this email
        (True, None, "default-C1"),  # an administrator who chose nothing: the default
        (False, None, "default-C1"),  # no administrator: the default
        (False, "stale", "default-C1"),  # a choice left by a removed administrator is ignored
    ],
)
def test_the_profile_of_an_automatic_referencing(
    has_admin: bool, assigned: str | None, expected: str
) -> None:
    assert profile_for(candidate("C1", admin=has_admin, assigned=assigned)) == expected


def test_a_verified_notification_email_references_to_every_customer_it_notified() -> None:
    candidates = [
        candidate("C2", admin=True, assigned="declarations"),
        candidate("C1", admin=False),
        candidate("C3", admin=True),
    ]
    new = reference_by_notification_email(candidates, email_verified=True, already_referenced=())
    assert new == [
        NewMembership("C1", "default-C1", Method.NOTIFICATION_EMAIL),
        NewMembership("C2", "declarations", Method.NOTIFICATION_EMAIL),
        NewMembership("C3", "default-C3", Method.NOTIFICATION_EMAIL),
    ]


def test_automatic_referencing_skips_known_customers_and_unverified_emails() -> None:
    candidates = [candidate("C1", admin=False), candidate("C2", admin=False)]
    new = reference_by_notification_email(
        candidates, email_verified=True, already_referenced={"C1"}
    )
    assert [m.customer_code for m in new] == ["C2"]
    assert not reference_by_notification_email(
        candidates, email_verified=False, already_referenced=()
    )
    assert not reference_by_notification_email([], email_verified=True, already_referenced=())


def test_only_a_member_of_a_customer_without_administrator_becomes_it() -> None:
    assert may_become_administrator(is_member=True, administrator_id=None, user_id="u") is None
    assert may_become_administrator(is_member=True, administrator_id="u", user_id="u") is None
    assert (
        may_become_administrator(is_member=True, administrator_id="v", user_id="u")
        is AdminRefusal.TAKEN
    )
    assert (
        may_become_administrator(is_member=False, administrator_id=None, user_id="u")
        is AdminRefusal.NOT_A_MEMBER
    )


def test_profiles_have_a_name_and_known_permissions() -> None:
    assert check_profile("  Suivi   des envois ", ["view_tracking", "submit_declarations"]) == (
        "Suivi des envois",
        (Permission.SUBMIT_DECLARATIONS, Permission.VIEW_TRACKING),
    )
    with pytest.raises(ValueError, match="unknown permissions: delete_everything"):
        check_profile("x", ["delete_everything"])
    with pytest.raises(ValueError, match="profile name"):
        check_profile("  ", [])


def test_the_claim_is_exactly_design_section_4() -> None:
    later = Account(
        "C0004412", "Pharmacie du Marché", "Déclarations", False, "notification_email", 1764000100.9
    )
    first = Account("C0001234", "Boulangerie Martin", "administrator", True, "proof", 1764000000.5)
    assert referencing_claim([later, first]) == {
        "status": "referenced",
        "accounts": [
            {
                "customer_code": "C0001234",
                "customer_name": "Boulangerie Martin",
                "profile": "administrator",
                "is_admin": True,
                "method": "proof",
                "referenced_at": 1764000000,
            },
            {
                "customer_code": "C0004412",
                "customer_name": "Pharmacie du Marché",
                "profile": "Déclarations",
                "is_admin": False,
                "method": "notification_email",
                "referenced_at": 1764000100,
            },
        ],
    }
    assert referencing_claim([]) == {"status": "pending", "accounts": []}


@pytest.mark.parametrize("budget", [CUSTOMER_PROOF_PER_USER, CUSTOMER_PROOF_PER_IP])
def test_proof_guessing_is_held_to_five_failures_an_hour(budget: Budget) -> None:
    assert_locked_after_five_failures(budget, spacing=60, lockout=3600.0)
