"""`/portal`: *Suivi des envois* (seed, étape 4), the submissions of the user's customer
accounts, newest first, with the customer and kind filters and keyset paging of the API
(`idp.store.submissions`), and the same visibility rule (`idp.domain.submissions.Visibility`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from idp.context import context
from idp.domain.referencing import normalise_identifier
from idp.domain.submissions import Cursor, ListFilter, SubmissionKind, Visibility, kind_of
from idp.i18n import N_
from idp.pages.portal import entered_portal, format_size, format_time, render
from idp.store.submissions import SubmissionRecord
from idp.web.templating import request_locale

PAGE_SIZE: Final = 20

KIND_LABELS: Final = {
    SubmissionKind.DSN: N_("DSN (nominative social declaration)"),
    SubmissionKind.DUCS: N_("DUCS (social contributions)"),
    SubmissionKind.TVA: N_("VAT return"),
    SubmissionKind.TDFC: N_("Annual tax return (TDFC)"),
    SubmissionKind.BANK_REMITTANCE: N_("Bank remittance"),
    SubmissionKind.DIRECT_DEBIT: N_("Direct debits"),
}
STATUS_LABELS: Final = {"received": N_("Received")}


@dataclass(frozen=True)
class Row:
    """One submission as the table shows it."""

    id: str
    received_at: str
    customer: str
    kind: str
    file_name: str
    size: str
    sender: str
    status: str


def _row(record: SubmissionRecord, locale: str) -> Row:
    kind = kind_of(record.kind)
    return Row(
        id=record.id,
        received_at=format_time(record.received_at, locale),
        customer=f"{record.customer_name} ({record.customer_code})",
        kind=KIND_LABELS[kind] if kind else record.kind,
        file_name=record.file_name,
        size=format_size(record.size, locale),
        sender=record.sender_name or record.sender_email or "—",
        status=STATUS_LABELS.get(record.status, record.status),
    )


def _cursor(raw: str | None) -> Cursor | None:
    try:
        return Cursor.decode(raw) if raw else None
    except ValueError:
        return None  # a stale or edited link: the first page


async def tracking_page(request: Request) -> Response:
    portal = await entered_portal(request)
    if isinstance(portal, Response):
        return portal
    params = request.query_params
    code = normalise_identifier(params.get("customer", "")) or None
    kind = kind_of(params.get("kind", ""))
    visibility = Visibility.of(portal.user.id, portal.access.values()).narrowed_to(code)
    page = await context(request).store.submissions.page(
        visibility, ListFilter(code, kind), after=_cursor(params.get("cursor")), limit=PAGE_SIZE
    )
    filters = {"customer": code or "", "kind": str(kind) if kind else ""}
    kept = {name: value for name, value in filters.items() if value}
    older = None
    if page.next_cursor is not None:
        older = "/portal?" + urlencode({**kept, "cursor": page.next_cursor.encode()})
    locale = request_locale(request)
    return render(
        request,
        portal,
        "portal_tracking.html",
        "tracking",
        {
            "accounts": list(portal.access.values()),
            "kinds": KIND_LABELS,
            "filters": filters,
            "rows": [_row(record, locale) for record in page.items],
            "older": older,
            "newest": ("/portal?" + urlencode(kept)) if "cursor" in params else None,
        },
    )
