"""Sage EDI Online submissions (« envois », seed étape 4): which kinds exist and the permission
each needs, what a submitted file must look like, who sees which submission, and the paging
cursor. Plain rules: the API (`idp.api.submissions`) and the portal apply them.

File types. Declarations (DSN, DUCS, EDI-TVA, EDI-TDFC) and banking remittances (CFONB or SEPA
XML) are text files, so each kind accepts a short list of extensions and every file must look
like text: empty files, files with a NUL byte near the start, and files that begin with the
signature of an executable, an archive or a document format are refused. The content type the
client declares is not trusted (it is whatever the sender's system guessed); the stored one
follows from the extension.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final

from idp.domain.email_address import is_plausible_email, normalise_email
from idp.domain.referencing import ALL_PERMISSIONS, Permission

FILE_NAME_MAX = 255
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# How much of the start of a file is inspected for binary content.
SNIFF_BYTES = 64 * 1024


class SubmissionKind(StrEnum):
    DSN = "DSN"  # Déclaration sociale nominative (payroll)
    DUCS = "DUCS"  # Déclaration unifiée de cotisations sociales
    TVA = "TVA"  # EDI-TVA, VAT return
    TDFC = "TDFC"  # EDI-TDFC, annual tax return (liasse fiscale)
    BANK_REMITTANCE = "BANK_REMITTANCE"  # credit transfers to a bank (CFONB 160/320, SEPA)
    DIRECT_DEBIT = "DIRECT_DEBIT"  # SEPA direct debits (prélèvements)


class Status(StrEnum):
    RECEIVED = "received"  # stored, not yet relayed (the only status this service sets)


@dataclass(frozen=True, slots=True)
class KindRule:
    permission: Permission
    extensions: tuple[str, ...]  # lower case, with the dot


_DECLARATION = Permission.SUBMIT_DECLARATIONS
_BANKING = Permission.BANKING_EXCHANGES
KIND_RULES: Final[Mapping[SubmissionKind, KindRule]] = {
    SubmissionKind.DSN: KindRule(_DECLARATION, (".dsn", ".txt", ".edi")),
    SubmissionKind.DUCS: KindRule(_DECLARATION, (".edi", ".txt", ".ducs")),
    SubmissionKind.TVA: KindRule(_DECLARATION, (".edi", ".txt", ".xml")),
    SubmissionKind.TDFC: KindRule(_DECLARATION, (".edi", ".txt", ".xml")),
    SubmissionKind.BANK_REMITTANCE: KindRule(_BANKING, (".txt", ".cfonb", ".xml")),
    SubmissionKind.DIRECT_DEBIT: KindRule(_BANKING, (".txt", ".cfonb", ".xml")),
}
CONTENT_TYPES: Final[Mapping[str, str]] = {".xml": "application/xml"}
DEFAULT_CONTENT_TYPE: Final = "text/plain"

# Leading bytes of formats no declaration or remittance ever is.
BINARY_SIGNATURES: Final = (
    b"MZ",  # Windows executables and DLLs
    b"\x7fELF",  # Linux executables
    b"\xca\xfe\xba\xbe",  # Mach-O universal binaries, Java classes
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit
    b"#!",  # scripts
    b"PK\x03\x04",  # zip, jar, office documents
    b"\xd0\xcf\x11\xe0",  # OLE: msi, old office documents
    b"%PDF",
    b"Rar!",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
)


def kind_of(raw: str) -> SubmissionKind | None:
    """The kind a client names, case-insensitively (`dsn` is `DSN`); None when unknown."""
    try:
        return SubmissionKind(raw.strip().upper())
    except ValueError:
        return None


def records_notification_email(permissions: Iterable[str], kind: SubmissionKind) -> bool:
    """Whether a submission's notification address is recorded for automatic referencing.

    Only declarations count (DESIGN §1: addresses notified by past *declaration*
    submissions), and only from a sender who holds every permission: automatic referencing
    gives the customer's default profile, and a restricted member must not be able to hand
    more than they have (banking, all submissions) to any address they type.
    """
    declaration = KIND_RULES[kind].permission == "submit_declarations"
    return declaration and set(ALL_PERMISSIONS) <= set(permissions)


def may_submit(permissions: Iterable[str], kind: SubmissionKind) -> bool:
    """Declarations need `submit_declarations`, banking kinds `banking_exchanges`."""
    return str(KIND_RULES[kind].permission) in set(permissions)


# --- Files -----------------------------------------------------------------------------------


class FileRefusal(StrEnum):
    NO_NAME = "no_name"
    EMPTY = "empty"
    EXTENSION = "extension"  # not one of the kind's extensions
    BINARY = "binary"  # an executable, an archive, or not text


def clean_file_name(raw: str) -> str:
    """The name as shown and stored: the last path segment only (some clients send the full
    path), without control characters, NFC, at most 255 characters (the extension kept)."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable()).strip()
    if len(name) > FILE_NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) < 16:
            name = stem[: FILE_NAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:FILE_NAME_MAX]
    return "" if name in (".", "..") else name


def extension_of(file_name: str) -> str:
    stem, dot, extension = file_name.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def check_file(kind: SubmissionKind, file_name: str, head: bytes) -> FileRefusal | None:
    """Whether a file (its cleaned name and its first `SNIFF_BYTES` bytes) may be a `kind`."""
    if not file_name:
        return FileRefusal.NO_NAME
    if not head:
        return FileRefusal.EMPTY
    if extension_of(file_name) not in KIND_RULES[kind].extensions:
        return FileRefusal.EXTENSION
    if head.startswith(BINARY_SIGNATURES) or b"\x00" in head[:SNIFF_BYTES]:
        return FileRefusal.BINARY
    return None


def content_type_for(file_name: str) -> str:
    return CONTENT_TYPES.get(extension_of(file_name), DEFAULT_CONTENT_TYPE)


def check_notification_email(raw: str) -> str | None:
    """The normalised address, or None when it is not one."""
    address = normalise_email(raw)
    return address if is_plausible_email(address) else None


# --- Who sees what ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerAccess:
    """A user's standing at one customer account: their profile's permissions there."""

    customer_code: str
    customer_name: str
    profile: str
    permissions: frozenset[str]
    administrator_id: str | None

    @property
    def sees_all_submissions(self) -> bool:
        return str(Permission.VIEW_TRACKING) in self.permissions


@dataclass(frozen=True, slots=True)
class Visibility:
    """The submissions a user may see: every one of the customers whose profile grants
    `view_tracking`, and their own at the other customers they are still a member of."""

    user_id: str
    all_of: frozenset[str]
    own_at: frozenset[str]

    @classmethod
    def of(cls, user_id: str, access: Iterable[CustomerAccess]) -> Visibility:
        accounts = list(access)
        tracking = frozenset(a.customer_code for a in accounts if a.sees_all_submissions)
        others = frozenset(a.customer_code for a in accounts) - tracking
        return cls(user_id, tracking, others)

    @property
    def is_empty(self) -> bool:
        return not self.all_of and not self.own_at

    def narrowed_to(self, customer_code: str | None) -> Visibility:
        if customer_code is None:
            return self
        keep = frozenset({customer_code})
        return Visibility(self.user_id, self.all_of & keep, self.own_at & keep)


# --- Listing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset paging, newest first: the page after the submission (received_at, id).
    Opaque to clients; it only ever narrows what the caller may already see."""

    received_at: float
    id: str

    def encode(self) -> str:
        raw = json.dumps([self.received_at, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """ValueError when the cursor was not made by `encode`."""
        try:
            padded = token + "=" * (-len(token) % 4)
            received_at, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
            raise ValueError("not a cursor") from error
        if not isinstance(received_at, int | float) or not isinstance(ident, str):
            raise ValueError("not a cursor")
        try:
            instant = float(received_at)
        except OverflowError as error:  # a huge integer
            raise ValueError("not a cursor") from error
        if not math.isfinite(instant):
            raise ValueError("not a cursor")
        return cls(instant, ident)


def parse_instant(raw: str) -> float:
    """An RFC 3339 date-time (with its offset) or a full date (midnight UTC), as UNIX
    seconds. ValueError otherwise; a date-time without an offset is ambiguous and refused."""
    text = raw.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("a date-time needs an offset (Z or ±hh:mm)")
    return moment.timestamp()


def rfc3339(timestamp: float) -> str:
    """UTC, to the second, with `Z`."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class ListFilter:
    customer_code: str | None = None
    kind: SubmissionKind | None = None
    received_from: float | None = None  # inclusive
    received_to: float | None = None  # exclusive
