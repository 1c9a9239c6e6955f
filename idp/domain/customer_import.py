"""The customer file imported by `sageid-idp customers import FILE.csv`: parsed and checked
whole before anything is written, so a bad file imports nothing (issue 5).

One file carries customers, their proofs and their notification emails, one fact a row:

    customer_code,kind,value
    C0001234,customer,Boulangerie Martin
    C0001234,invoice,FA-2025-004711
    C0001234,serial,SP7-4K2Q-99XA-1187
    C0001234,notification_email,compta@boulangerie-martin.fr

`kind` is `customer` (value: the customer's name), `invoice` (an invoice number), `serial`
(the serial number of one of its Sage products) or `notification_email` (an address its past
declaration submissions notified). A proof or an email row may name a customer declared in the
same file or already imported. UTF-8 (an Excel BOM is fine), `,` or `;` as separator (taken
from the header line), blank lines and lines starting with `#` are skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from idp.domain.email_address import is_plausible_email, normalise_email
from idp.domain.referencing import (
    CUSTOMER_CODE_MAX,
    CUSTOMER_NAME_MAX,
    PROOF_MAX,
    PROOF_MIN,
    ProofKind,
    normalise_identifier,
)

HEADER = ("customer_code", "kind", "value")
_HEADER = ",".join(HEADER)


class RowKind(StrEnum):
    CUSTOMER = "customer"
    INVOICE = "invoice"
    SERIAL = "serial"
    NOTIFICATION_EMAIL = "notification_email"


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportPlan:
    """Everything a valid file says, deduplicated; what the store writes in one transaction."""

    customers: dict[str, str] = field(default_factory=dict)  # code -> name
    proofs: set[tuple[str, ProofKind, str]] = field(default_factory=set)  # code, kind, value
    notification_emails: set[tuple[str, str]] = field(default_factory=set)  # code, address
    # Codes named by proof or email rows but not declared by a `customer` row: they must
    # already be in the database (lines kept for the error report).
    undeclared: dict[str, list[int]] = field(default_factory=dict)

    @property
    def codes(self) -> set[str]:
        return set(self.customers) | set(self.undeclared)


def _separator(header_line: str) -> str:
    return ";" if ";" in header_line and "," not in header_line else ","


class _Parser:
    def __init__(self) -> None:
        self.plan = ImportPlan()
        self.errors: list[RowError] = []
        self.named_on: dict[str, int] = {}  # code -> line of its customer row

    def error(self, line: int, message: str) -> None:
        self.errors.append(RowError(line, message))

    def row(self, line: int, cells: list[str]) -> None:
        if len(cells) < 3 or any(cell.strip() for cell in cells[3:]):
            self.error(line, f"expected 3 columns ({_HEADER}), found {len(cells)}")
            return
        raw_code, raw_kind, value = cells[0], cells[1].strip().lower(), cells[2]
        code = normalise_identifier(raw_code)
        if not 0 < len(code) <= CUSTOMER_CODE_MAX:
            self.error(line, f"customer code {raw_code.strip()!r} is empty or too long")
            return
        try:
            kind = RowKind(raw_kind)
        except ValueError:
            kinds = ", ".join(RowKind)
            self.error(line, f"unknown kind {raw_kind!r} (expected one of {kinds})")
            return
        if kind is RowKind.CUSTOMER:
            self.customer(line, code, value)
        elif kind is RowKind.NOTIFICATION_EMAIL:
            self.notification_email(line, code, value)
        else:
            self.proof(line, code, ProofKind(kind.value), value)

    def customer(self, line: int, code: str, value: str) -> None:
        name = " ".join(value.split())
        if not 0 < len(name) <= CUSTOMER_NAME_MAX:
            self.error(line, f"a customer name has 1 to {CUSTOMER_NAME_MAX} characters")
            return
        previous = self.plan.customers.get(code)
        if previous is not None and previous != name:
            first = self.named_on[code]
            self.error(line, f"customer {code} is already named {previous!r} on line {first}")
            return
        self.plan.customers[code] = name
        self.named_on.setdefault(code, line)

    def proof(self, line: int, code: str, kind: ProofKind, value: str) -> None:
        number = normalise_identifier(value)
        if not PROOF_MIN <= len(number) <= PROOF_MAX:
            self.error(
                line,
                f"the {kind} number {value.strip()!r} must have {PROOF_MIN} to {PROOF_MAX} "
                "letters or digits",
            )
            return
        self.plan.proofs.add((code, kind, number))
        self.uses(line, code)

    def notification_email(self, line: int, code: str, value: str) -> None:
        address = normalise_email(value)
        if not is_plausible_email(address):
            self.error(line, f"not an email address: {value.strip()!r}")
            return
        self.plan.notification_emails.add((code, address))
        self.uses(line, code)

    def uses(self, line: int, code: str) -> None:
        self.plan.undeclared.setdefault(code, []).append(line)

    def finish(self) -> None:
        for code in self.plan.customers:
            self.plan.undeclared.pop(code, None)


def parse_customer_file(text: str) -> tuple[ImportPlan, list[RowError]]:
    """Every row checked; the plan is only to be imported when the error list is empty."""
    parser = _Parser()
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _content(line)), None)
    if start is None:
        return parser.plan, [RowError(1, f"the file is empty; expected the header {_HEADER}")]
    reader = csv.reader(lines[start:], delimiter=_separator(lines[start]))
    header = [cell.strip().lower() for cell in next(reader)]
    while header and header[-1] == "":
        header.pop()
    if tuple(header) != HEADER:
        return parser.plan, [RowError(start + 1, f"expected the header {_HEADER}")]
    previous_end = start + 1
    for cells in reader:
        line = previous_end + 1
        previous_end = start + reader.line_num
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        parser.row(line, cells)
    parser.finish()
    return parser.plan, sorted(parser.errors, key=lambda e: e.line)


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and bool(stripped.strip(",;"))


def unknown_customers(plan: ImportPlan, known_codes: Iterable[str]) -> list[RowError]:
    """Errors for rows naming a customer neither in the file nor already imported."""
    known = set(known_codes)
    return [
        RowError(line, f"unknown customer {code}: add a row `{code},customer,<name>`")
        for code, lines in plan.undeclared.items()
        if code not in known
        for line in lines
    ]
