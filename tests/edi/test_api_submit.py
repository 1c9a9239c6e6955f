"""`POST /api/v1/submissions`: what is accepted, what is stored, and every refusal as RFC 9457
problem details with nothing stored."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from idp.accounts.referencing import Outcome, ensure_referenced
from idp.clock import FrozenClock
from idp.store import submissions as submission_store
from idp.store.tables import notification_emails, submission_files, submissions
from tests.edi.conftest import MAX_BYTES, Edi
from tests.edi.helpers import API, DSN, assert_problem, bearer, count, upload
from tests.referencing.helpers import BOULANGERIE, CABINET, PHARMACIE, add_user


async def test_an_accepted_submission_is_stored_with_its_file(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    token = await edi.token(edi.marie)
    response = await upload(client, token, file_name=r"C:\Paie\Janvier\paie-2026-01.DSN")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "received"
    assert body["kind"] == "DSN"
    assert body["customer_code"] == BOULANGERIE
    assert body["customer_name"] == "Boulangerie Martin"
    assert body["file_name"] == "paie-2026-01.DSN"  # the path the client sent is dropped
    assert body["content_type"] == "text/plain"
    assert body["size"] == len(DSN)
    assert body["sha256"] == hashlib.sha256(DSN).hexdigest()
    assert body["notification_email"] == "marie.martin@example.com"  # the sender by default
    assert body["sender"] == {"name": "Marie Martin", "email": "marie.martin@example.com"}
    assert body["received_at"].endswith("Z")
    assert response.headers["location"] == f"http://127.0.0.1:8000{API}/{body['id']}"
    assert response.headers["cache-control"] == "no-store"

    assert await edi.ctx.store.submissions.content(body["id"]) == DSN
    again = await client.get(f"{API}/{body['id']}", headers=bearer(token))
    assert again.status_code == 200 and again.json() == body


@pytest.mark.parametrize(
    ("kind", "file_name", "content_type"),
    [
        ("dsn", "janvier.txt", "text/plain"),
        ("TVA", "ca3-2026-01.xml", "application/xml"),
        ("BANK_REMITTANCE", "virements.cfonb", "text/plain"),
    ],
)
async def test_kinds_and_extensions(
    client: httpx.AsyncClient, edi: Edi, kind: str, file_name: str, content_type: str
) -> None:
    content = b'<?xml version="1.0"?><Document/>' if file_name.endswith(".xml") else DSN
    response = await upload(
        client, await edi.token(edi.marie), kind=kind, file_name=file_name, content=content
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == kind.upper()
    assert response.json()["content_type"] == content_type


async def test_the_notification_email_is_recorded_for_automatic_referencing(
    client: httpx.AsyncClient, edi: Edi, clock: FrozenClock
) -> None:
    """Seed, étape 3: an address notified by a submission references its owner later."""
    token = await edi.token(edi.marie)
    first = await upload(client, token, email=" Compta@Boulangerie-Martin.fr ")
    assert first.status_code == 201, first.text
    assert first.json()["notification_email"] == "compta@boulangerie-martin.fr"
    before = await _seen(edi, "compta@boulangerie-martin.fr")
    clock.advance(3600)
    assert (await upload(client, token, email="compta@boulangerie-martin.fr")).status_code == 201
    after = await _seen(edi, "compta@boulangerie-martin.fr")
    assert after == [(BOULANGERIE, before[0][1], before[0][1] + 3600)]  # one row, seen again

    newcomer = await add_user(edi.ctx.store, "compta@boulangerie-martin.fr", edi.ctx.clock.now())
    assert await ensure_referenced(edi.ctx, newcomer) is Outcome.AUTO_REFERENCED
    [account] = await edi.ctx.store.customers.accounts_of(newcomer.id)
    assert account.customer_code == BOULANGERIE


async def test_a_restricted_member_or_a_banking_file_records_no_address(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    """Automatic referencing gives the default profile: Léa (declarations only) must not hand
    the Cabinet's banking to an address she types; and only declarations notify."""
    lea = await upload(
        client,
        await edi.token(edi.lea),
        customer=CABINET,
        kind="DUCS",
        file_name="d.edi",
        email="lea.alt@example.net",
    )
    assert lea.status_code == 201, lea.text
    assert lea.json()["notification_email"] == "lea.alt@example.net"  # still notified
    assert await _seen(edi, "lea.alt@example.net") == []
    banking = await upload(
        client,
        await edi.token(edi.marie),
        kind="BANK_REMITTANCE",
        file_name="virements.txt",
        email="tresorerie@boulangerie-martin.fr",
    )
    assert banking.status_code == 201, banking.text
    assert await _seen(edi, "tresorerie@boulangerie-martin.fr") == []
    outsider = await add_user(edi.ctx.store, "lea.alt@example.net", edi.ctx.clock.now())
    assert await ensure_referenced(edi.ctx, outsider) is Outcome.NEEDS_PROOF


async def _seen(edi: Edi, address: str) -> list[tuple[str, float, float]]:
    query = select(
        notification_emails.c.customer_code,
        notification_emails.c.first_seen,
        notification_emails.c.last_seen,
    ).where(notification_emails.c.address == address)
    async with edi.ctx.store.db.read() as c:
        return [(r[0], r[1], r[2]) for r in await c.execute(query)]


async def test_a_customer_the_user_is_not_referenced_to(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    token = await edi.token(edi.marie)
    for customer in (CABINET, "C9999999"):  # another's, and one that does not exist: alike
        response = await upload(client, token, customer=customer)
        body = assert_problem(response, 403, "not-referenced")
        assert customer in body["detail"]
    assert await count(edi.ctx.store, submissions) == 0
    assert await _seen(edi, "marie.martin@example.com") == []


async def test_a_profile_without_the_permission(client: httpx.AsyncClient, edi: Edi) -> None:
    """Léa's profile at the Cabinet sends declarations, not banking files."""
    token = await edi.token(edi.lea)
    response = await upload(
        client, token, customer=CABINET, kind="BANK_REMITTANCE", file_name="virements.txt"
    )
    body = assert_problem(response, 403, "permission-denied")
    assert body["required_permission"] == "banking_exchanges"
    assert await count(edi.ctx.store, submissions) == 0
    declaration = await upload(client, token, customer=CABINET, kind="DUCS", file_name="d.edi")
    assert declaration.status_code == 201, declaration.text


async def test_an_oversize_file_is_refused(client: httpx.AsyncClient, edi: Edi) -> None:
    token = await edi.token(edi.marie)
    exact = await upload(client, token, content=b"S" * MAX_BYTES)
    assert exact.status_code == 201, exact.text
    over = await upload(client, token, content=b"S" * (MAX_BYTES + 1))
    body = assert_problem(over, 413, "file-too-large")
    assert body["max_bytes"] == MAX_BYTES
    assert await count(edi.ctx.store, submissions) == 1


async def test_a_huge_body_is_cut_off_while_it_streams(client: httpx.AsyncClient, edi: Edi) -> None:
    """No Content-Length (chunked): the body is refused once past the limit, not read whole."""
    token = await edi.token(edi.marie)
    boundary = "sageidtestboundary"
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.dsn"\r\n\r\n'
        )
        yield head.encode()
        for _ in range(1000):  # up to 64 MB if nobody stopped reading
            sent += 65536
            yield b"S" * 65536

    response = await client.post(
        API,
        content=body(),
        headers={**bearer(token), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "file-too-large")
    assert sent < 4 * MAX_BYTES + 2 * 65536


async def test_a_declared_content_length_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    token = await edi.token(edi.marie)
    headers = {
        **bearer(token),
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(10 * MAX_BYTES),
    }
    response = await client.post(API, content=b"--x--\r\n", headers=headers)
    assert_problem(response, 413, "file-too-large")


MALFORMED = [
    ("multipart/form-data", b"--x\r\n"),  # no boundary
    ("multipart/form-data; boundary=x", b"this is not multipart at all"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--"),
]


@pytest.mark.parametrize(("content_type", "raw"), MALFORMED)
async def test_malformed_multipart(
    client: httpx.AsyncClient, edi: Edi, content_type: str, raw: bytes
) -> None:
    token = await edi.token(edi.marie)
    headers = {**bearer(token), "Content-Type": content_type}
    response = await client.post(API, content=raw, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await count(edi.ctx.store, submissions) == 0


async def test_repeated_fields_and_extra_files_are_refused(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    token = await edi.token(edi.marie)
    repeated = await client.post(
        API,
        data={"kind": ["DSN", "TVA"], "customer_code": BOULANGERIE},
        files={"file": ("a.dsn", DSN)},
        headers=bearer(token),
    )
    assert "kind" in assert_problem(repeated, 400, "malformed-multipart")["detail"]
    two_files = await client.post(
        API,
        data={"kind": "DSN", "customer_code": BOULANGERIE},
        files=[("file", ("a.dsn", DSN)), ("other", ("b.dsn", DSN))],
        headers=bearer(token),
    )
    assert_problem(two_files, 400, "malformed-multipart")
    assert await count(edi.ctx.store, submissions) == 0


async def test_not_multipart(client: httpx.AsyncClient, edi: Edi) -> None:
    token = await edi.token(edi.marie)
    response = await client.post(API, json={"kind": "DSN"}, headers=bearer(token))
    assert_problem(response, 415, "unsupported-media-type")


async def test_missing_and_invalid_fields(client: httpx.AsyncClient, edi: Edi) -> None:
    token = await edi.token(edi.marie)
    response = await client.post(
        API,
        data={"kind": "PAYSLIP", "customer_code": " - ", "notification_email": "compta"},
        files={"file": ("a.dsn", DSN)},
        headers=bearer(token),
    )
    body = assert_problem(response, 422, "invalid-parameters")
    assert {p["name"] for p in body["invalid_params"]} == {
        "kind",
        "customer_code",
        "notification_email",
    }
    text_not_file = (
        b'--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nDSN\r\n'
        b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nS10.G00\r\n--x--\r\n'
    )
    headers = {**bearer(token), "Content-Type": "multipart/form-data; boundary=x"}
    no_file = await client.post(API, content=text_not_file, headers=headers)
    body = assert_problem(no_file, 422, "invalid-parameters")
    assert body["invalid_params"] == [{"name": "file", "reason": "a file part is required"}]


@pytest.mark.parametrize(
    ("file_name", "content", "status", "slug"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00", 415, "file-type-refused"),
        ("paie.dsn", b"MZ\x90\x00\x03\x00", 415, "file-type-refused"),  # renamed executable
        ("paie.dsn", b"\x7fELF\x02\x01\x01", 415, "file-type-refused"),
        ("paie.dsn", b"PK\x03\x04\x14\x00", 415, "file-type-refused"),  # an archive
        ("paie.dsn", b"S10.G00\x00\x00binary", 415, "file-type-refused"),
        ("paie.pdf", DSN, 415, "file-type-refused"),  # not an extension of DSN files
        ("paie.dsn", b"", 422, "invalid-parameters"),
        ("", DSN, 422, "invalid-parameters"),
    ],
)
async def test_file_types(
    client: httpx.AsyncClient,
    edi: Edi,
    file_name: str,
    content: bytes,
    status: int,
    slug: str,
) -> None:
    token = await edi.token(edi.marie)
    response = await upload(client, token, file_name=file_name, content=content)
    assert_problem(response, status, slug)
    assert await count(edi.ctx.store, submissions) == 0


async def test_nothing_is_stored_when_the_transaction_fails(
    app: Starlette, edi: Edi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The submission and its file are written before the notification email: a failure
    there must take them back too. The API answers a generic problem, no traceback."""

    async def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(submission_store, "record_notification_email", broken)
    # As a server does: the response is sent, the exception is not the client's business.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=edi.ctx.settings.issuer) as http:
        response = await upload(http, await edi.token(edi.marie))
    body = assert_problem(response, 500, None)
    assert "request" in body["detail"] and "database" not in body["detail"]
    assert await count(edi.ctx.store, submissions) == 0
    assert await count(edi.ctx.store, submission_files) == 0


async def test_api_errors_outside_the_handlers_are_problems(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404, None)
    assert_problem(await client.delete(API), 405, None)


async def test_pharmacie_is_out_of_reach(client: httpx.AsyncClient, edi: Edi) -> None:
    """Nobody is referenced to the Pharmacie: nobody can send for it."""
    for user in (edi.marie, edi.paul, edi.lea):
        response = await upload(client, await edi.token(user), customer=PHARMACIE)
        assert_problem(response, 403, "not-referenced")
