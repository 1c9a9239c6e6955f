"""`GET /api/v1/submissions[/{id}]`: each user sees their customer accounts' submissions only
(404, not 403, for the others'), newest first, filtered and keyset-paged."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from idp.clock import FrozenClock
from idp.store.tables import memberships
from tests.edi.conftest import Edi
from tests.edi.helpers import API, assert_problem, bearer, upload
from tests.referencing.helpers import BOULANGERIE, CABINET


async def _listed(http: httpx.AsyncClient, token: str, **params: str) -> dict[str, Any]:
    response = await http.get(API, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


async def _sent(
    http: httpx.AsyncClient,
    token: str,
    *,
    customer: str = BOULANGERIE,
    kind: str = "DSN",
    file_name: str = "paie.dsn",
) -> str:
    response = await upload(http, token, customer=customer, kind=kind, file_name=file_name)
    assert response.status_code == 201, response.text
    submission_id: str = response.json()["id"]
    return submission_id


async def test_listing_isolation_between_customers(client: httpx.AsyncClient, edi: Edi) -> None:
    marie, paul = await edi.token(edi.marie), await edi.token(edi.paul)
    at_boulangerie = await _sent(client, marie)
    at_cabinet = await _sent(client, paul, customer=CABINET)

    assert _ids(await _listed(client, marie)) == [at_boulangerie]
    assert _ids(await _listed(client, paul)) == [at_cabinet]
    # Asking for the other's customer gives nothing, not an error that confirms it exists.
    assert _ids(await _listed(client, marie, customer_code=CABINET)) == []

    for token, other in ((marie, at_cabinet), (paul, at_boulangerie)):
        response = await client.get(f"{API}/{other}", headers=bearer(token))
        assert_problem(response, 404, None)
    unknown = await client.get(f"{API}/00000000-0000-0000-0000-000000000000", headers=bearer(marie))
    assert unknown.json()["detail"] == response.json()["detail"]  # indistinguishable


async def test_a_profile_without_tracking_sees_only_its_own(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    """Léa (declarations only) sees what she sent; Paul (`view_tracking`) sees everything
    sent for the Cabinet, Léa's included."""
    lea, paul = await edi.token(edi.lea), await edi.token(edi.paul)
    by_lea = await _sent(client, lea, customer=CABINET, kind="DUCS", file_name="ducs.edi")
    by_paul = await _sent(client, paul, customer=CABINET)

    assert _ids(await _listed(client, lea)) == [by_lea]
    assert_problem(await client.get(f"{API}/{by_paul}", headers=bearer(lea)), 404, None)
    assert set(_ids(await _listed(client, paul))) == {by_lea, by_paul}
    shown = (await client.get(f"{API}/{by_lea}", headers=bearer(paul))).json()
    assert shown["sender"] == {"name": "Léa Girard", "email": "lea.girard@example.com"}


async def test_a_former_member_sees_nothing_more(client: httpx.AsyncClient, edi: Edi) -> None:
    marie = await edi.token(edi.marie)
    await _sent(client, marie)
    async with edi.ctx.store.db.write() as c:
        await c.execute(memberships.delete().where(memberships.c.user_id == edi.marie))
    assert _ids(await _listed(client, marie)) == []


async def test_newest_first_in_pages(
    client: httpx.AsyncClient, edi: Edi, clock: FrozenClock
) -> None:
    marie = await edi.token(edi.marie)
    sent = []
    for month in range(1, 6):
        sent.append(await _sent(client, marie, file_name=f"paie-2026-{month:02d}.dsn"))
        clock.advance(60)
    newest_first = list(reversed(sent))

    seen: list[str] = []
    params = {"limit": "2", "kind": "DSN"}
    while True:
        response = await client.get(API, params=params, headers=bearer(marie))
        page = response.json()
        seen += _ids(page)
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        link = response.headers["link"]
        assert link.startswith(f"<http://127.0.0.1:8000{API}?") and 'rel="next"' in link
        assert "kind=DSN" in link and "limit=2" in link
        params["cursor"] = page["next_cursor"]
    assert seen == newest_first
    assert len(_ids(await _listed(client, marie, limit="100"))) == 5


async def test_filters(client: httpx.AsyncClient, edi: Edi, clock: FrozenClock) -> None:
    marie = await edi.token(edi.marie)
    clock.current = datetime(2026, 1, 15, 9, 30, tzinfo=UTC).timestamp()
    january = await _sent(client, marie)
    clock.current = datetime(2026, 2, 3, 18, 0, tzinfo=UTC).timestamp()
    february_vat = await _sent(client, marie, kind="TVA", file_name="ca3.edi")

    assert _ids(await _listed(client, marie, kind="tva")) == [february_vat]
    assert _ids(await _listed(client, marie, received_to="2026-02-01")) == [january]
    assert _ids(await _listed(client, marie, received_from="2026-02-01")) == [february_vat]
    window = {"received_from": "2026-01-15T09:30:00Z", "received_to": "2026-01-15T10:31:00+01:00"}
    assert _ids(await _listed(client, marie, **window)) == [january]
    window["received_to"] = "2026-01-15T10:30:00+01:00"  # 09:30Z: `to` is exclusive
    assert _ids(await _listed(client, marie, **window)) == []
    assert _ids(await _listed(client, marie, customer_code="c000-1234")) == [february_vat, january]
    shown = (await client.get(f"{API}/{january}", headers=bearer(marie))).json()
    assert shown["received_at"] == "2026-01-15T09:30:00Z"
    assert shown["customer_code"] == BOULANGERIE


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "²"}, "limit"),  # a digit to str.isdigit(), not to int()
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": _cursor(b"[1" + b"0" * 400 + b',"x"]')}, "cursor"),  # float() overflows
        ({"cursor": _cursor(b'[NaN,"x"]')}, "cursor"),
        ({"kind": "PAYSLIP"}, "kind"),
        ({"received_from": "yesterday"}, "received_from"),
        ({"received_to": "2026-01-31T10:00:00"}, "received_to"),  # no offset: ambiguous
    ],
)
async def test_invalid_queries(
    client: httpx.AsyncClient, edi: Edi, params: dict[str, str], name: str
) -> None:
    response = await client.get(API, params=params, headers=bearer(await edi.token(edi.marie)))
    body = assert_problem(response, 400, "invalid-query")
    assert body["invalid_params"][0]["name"] == name


async def test_a_repeated_filter_is_refused(client: httpx.AsyncClient, edi: Edi) -> None:
    token = await edi.token(edi.marie)
    response = await client.get(f"{API}?kind=DSN&kind=TVA", headers=bearer(token))
    assert_problem(response, 400, "invalid-query")
