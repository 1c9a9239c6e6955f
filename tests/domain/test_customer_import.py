"""The customer file: parsed whole, every bad row reported by its line number."""

from __future__ import annotations

import pytest

from idp.domain.customer_import import RowError, parse_customer_file, unknown_customers
from idp.domain.referencing import ProofKind

GOOD = """\
# Sage customers, exported 2026-01-15
customer_code,kind,value
C0001234,customer,Boulangerie Martin
C0001234,invoice,FA-2025-004711
c0001234,invoice,fa 2025 004711
C0001234,serial,SP7-4K2Q-99XA-1187
C0001234,notification_email, Compta@Boulangerie-Martin.fr

C0002087,customer,"Cabinet Durand, Associés"
C0002087,notification_email,paul.durand@example.com
C0009999,serial,SCP-3MVA-62XP-5821
"""


def test_a_good_file_becomes_a_deduplicated_plan() -> None:
    plan, errors = parse_customer_file(GOOD)
    assert errors == []
    assert plan.customers == {
        "C0001234": "Boulangerie Martin",
        "C0002087": "Cabinet Durand, Associés",
    }
    assert plan.proofs == {
        ("C0001234", ProofKind.INVOICE, "FA2025004711"),
        ("C0001234", ProofKind.SERIAL, "SP74K2Q99XA1187"),
        ("C0009999", ProofKind.SERIAL, "SCP3MVA62XP5821"),
    }
    assert plan.notification_emails == {
        ("C0001234", "compta@boulangerie-martin.fr"),
        ("C0002087", "paul.durand@example.com"),
    }
    # A row may name a customer imported before: the store checks it exists.
    assert plan.undeclared == {"C0009999": [11]}
    assert unknown_customers(plan, {"C0009999"}) == []
    assert unknown_customers(plan, set()) == [
        RowError(11, "unknown customer C0009999: add a row `C0009999,customer,<name>`")
    ]


def test_semicolons_as_excel_writes_them_in_france() -> None:
    plan, errors = parse_customer_file(
        "customer_code;kind;value;\r\nC1;customer;Garage Bernard;\r\nC1;serial;SCD-5QZ1;\r\n"
    )
    assert errors == []
    assert plan.customers == {"C1": "Garage Bernard"}
    assert plan.proofs == {("C1", ProofKind.SERIAL, "SCD5QZ1")}


def test_every_bad_row_is_reported_by_line() -> None:
    text = """\
customer_code,kind,value
C1,customer,Boulangerie Martin
C1,facture,FA-1234
,invoice,FA-1234
C1,serial,12
C1,notification_email,not-an-address
C1,invoice
C1,customer,Boulangerie Dupont
C1,customer,
C1,invoice,FA-1234,extra
C1,invoice,FA-1234,
"""
    plan, errors = parse_customer_file(text)
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [
        (3, "unknown"),
        (4, "customer"),
        (5, "the"),
        (6, "not"),
        (7, "expected"),
        (8, "customer"),
        (9, "a"),
        (10, "expected"),
    ]
    assert str(errors[0]) == (
        "line 3: unknown kind 'facture' (expected one of customer, invoice, serial, "
        "notification_email)"
    )
    assert "already named 'Boulangerie Martin' on line 2" in errors[5].message
    assert plan.proofs == {("C1", ProofKind.INVOICE, "FA1234")}  # line 11: trailing separator


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", RowError(1, "the file is empty; expected the header customer_code,kind,value")),
        (
            "# only a comment\n\n",
            RowError(1, "the file is empty; expected the header customer_code,kind,value"),
        ),
        (
            "\ncode,kind,value\nC1,customer,X\n",
            RowError(2, "expected the header customer_code,kind,value"),
        ),
    ],
)
def test_a_file_without_its_header_is_refused(text: str, error: RowError) -> None:
    assert parse_customer_file(text)[1] == [error]


def test_a_header_alone_is_an_empty_import() -> None:
    plan, errors = parse_customer_file("Customer_Code , Kind , Value\n")
    assert errors == [] and not plan.codes


def test_a_quoted_value_may_span_lines_and_line_numbers_follow() -> None:
    plan, errors = parse_customer_file(
        'customer_code,kind,value\nC1,customer,"Garage\nBernard"\nC1,bogus,x\n'
    )
    assert plan.customers == {"C1": "Garage Bernard"}
    assert errors == [
        RowError(
            4,
            "unknown kind 'bogus' (expected one of customer, invoice, serial, notification_email)",
        )
    ]
