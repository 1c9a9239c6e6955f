"""The submission and administration rules, without an app."""

from __future__ import annotations

import pytest

from idp.domain.administration import MemberRefusal, check_member_change
from idp.domain.submissions import (
    Cursor,
    CustomerAccess,
    FileRefusal,
    SubmissionKind,
    Visibility,
    check_file,
    check_notification_email,
    clean_file_name,
    content_type_for,
    kind_of,
    may_submit,
    parse_instant,
    rfc3339,
)
from idp.settings import Settings

DECLARATIONS = {"submit_declarations"}
BANKING = {"banking_exchanges"}


@pytest.mark.parametrize(
    ("kind", "permissions", "allowed"),
    [
        (SubmissionKind.DSN, DECLARATIONS, True),
        (SubmissionKind.TVA, DECLARATIONS, True),
        (SubmissionKind.DSN, BANKING, False),
        (SubmissionKind.BANK_REMITTANCE, BANKING, True),
        (SubmissionKind.DIRECT_DEBIT, DECLARATIONS, False),
        (SubmissionKind.DUCS, {"view_tracking"}, False),
    ],
)
def test_each_kind_needs_its_permission(
    kind: SubmissionKind, permissions: set[str], allowed: bool
) -> None:
    assert may_submit(permissions, kind) is allowed


def test_kinds_are_named_case_insensitively() -> None:
    assert kind_of(" dsn ") is SubmissionKind.DSN
    assert kind_of("bank_remittance") is SubmissionKind.BANK_REMITTANCE
    assert kind_of("payslip") is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("paie.dsn", "paie.dsn"),
        (r"C:\Users\marie\paie.dsn", "paie.dsn"),
        ("/home/marie/paie.dsn", "paie.dsn"),
        ("pa\x00ie\r\n.dsn", "paie.dsn"),
        ("..", ""),
        ("x" * 300 + ".dsn", "x" * 251 + ".dsn"),
    ],
)
def test_file_names(raw: str, clean: str) -> None:
    assert clean_file_name(raw) == clean


@pytest.mark.parametrize(
    ("name", "head", "refusal"),
    [
        ("paie.dsn", b"S10.G00.00.001,'x'", None),
        ("PAIE.DSN", b"S10.G00.00.001,'x'", None),
        ("paie.xml", b"<xml/>", FileRefusal.EXTENSION),  # DSN files are not XML
        ("paie", b"S10", FileRefusal.EXTENSION),
        (".dsn", b"S10", FileRefusal.EXTENSION),  # a hidden file, no extension
        ("", b"S10", FileRefusal.NO_NAME),
        ("paie.dsn", b"", FileRefusal.EMPTY),
        ("paie.dsn", b"MZ\x90", FileRefusal.BINARY),
        ("paie.dsn", b"#!/bin/sh\nrm -rf /", FileRefusal.BINARY),
        ("paie.dsn", b"%PDF-1.7", FileRefusal.BINARY),
        ("paie.dsn", b"S10\x00", FileRefusal.BINARY),
    ],
)
def test_file_checks(name: str, head: bytes, refusal: FileRefusal | None) -> None:
    assert check_file(SubmissionKind.DSN, name, head) == refusal


def test_content_types_follow_the_extension() -> None:
    assert content_type_for("sepa.XML") == "application/xml"
    assert content_type_for("paie.dsn") == "text/plain"


def test_notification_emails() -> None:
    assert check_notification_email(" Compta@Example.FR ") == "compta@example.fr"
    assert check_notification_email("compta") is None
    assert check_notification_email("a b@example.fr") is None


def test_cursors_round_trip_and_refuse_forgeries() -> None:
    cursor = Cursor(1_764_000_000.123456, "8d0c0a8e-5a9b-4c1e-9d7e-2f1f0a7b6c5d")
    assert Cursor.decode(cursor.encode()) == cursor
    for forged in ("", "%%%", "bm90IGpzb24", "WzEsMiwzXQ", "WyJhIiwiYiJd"):
        with pytest.raises(ValueError):
            Cursor.decode(forged)


def test_instants() -> None:
    assert parse_instant("2026-01-31") == 1_769_817_600
    assert parse_instant("2026-01-31T01:00:00+01:00") == 1_769_817_600
    assert parse_instant("2026-01-31T00:00:00Z") == 1_769_817_600
    assert rfc3339(1_769_817_600.9) == "2026-01-31T00:00:00Z"
    for bad in ("2026-01-31T00:00:00", "31/01/2026", "", "2026-02-30"):
        with pytest.raises(ValueError):
            parse_instant(bad)


def _access(code: str, *permissions: str) -> CustomerAccess:
    return CustomerAccess(code, code, "p", frozenset(permissions), None)


def test_visibility() -> None:
    visibility = Visibility.of(
        "u1", [_access("A", "view_tracking"), _access("B", "submit_declarations")]
    )
    assert visibility.all_of == {"A"} and visibility.own_at == {"B"}
    assert visibility.narrowed_to("B") == Visibility("u1", frozenset(), frozenset({"B"}))
    assert visibility.narrowed_to("C").is_empty
    assert Visibility.of("u1", []).is_empty


@pytest.mark.parametrize(
    ("administrator", "actor", "member", "refusal"),
    [
        ("admin", "admin", "paul", None),
        ("admin", "admin", "admin", MemberRefusal.OWN_MEMBERSHIP),
        ("admin", "paul", "lea", MemberRefusal.NOT_ADMINISTRATOR),
        (None, "paul", "lea", MemberRefusal.NOT_ADMINISTRATOR),
    ],
)
def test_who_manages_members(
    administrator: str | None, actor: str, member: str, refusal: MemberRefusal | None
) -> None:
    assert (
        check_member_change(administrator_id=administrator, actor_id=actor, member_id=member)
        == refusal
    )


def test_the_size_limit_setting() -> None:
    assert Settings().submission_max_bytes == 20 * 1024 * 1024
    configured = Settings.from_env({"SAGEID_SUBMISSION_MAX_BYTES": "1048576"})
    assert configured.submission_max_bytes == 1_048_576
    with pytest.raises(ValueError, match="SUBMISSION_MAX_BYTES"):
        Settings(submission_max_bytes=0)
