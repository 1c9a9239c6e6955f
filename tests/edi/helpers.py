"""Shortcuts of the Sage EDI Online tests: members of the test customers, access tokens minted
with the provider's own key (as the token endpoint would), uploads, and problem checks."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import Table, func, select

from idp.domain.referencing import Method, NewMembership
from idp.keys import KeyRing
from idp.settings import Settings
from idp.store import Store
from idp.store.records import GrantRecord
from idp.store.submissions import NewSubmission
from tests.referencing.helpers import BOULANGERIE
from tests.support import NATIVE_ID

API = "/api/v1/submissions"
DSN = b"S10.G00.00.001,'Sage Paie'\nS10.G00.00.002,'5.2'\nS20.G00.05.001,'01'\n"


async def reference(store: Store, user_id: str, code: str, profile: str, now: float) -> None:
    """Reference a user to a customer with one of its profiles (by name)."""
    [chosen] = [p for p in await store.customers.profiles_of(code) if p.name == profile]
    await store.customers.reference(user_id, [NewMembership(code, chosen.id, Method.PROOF)], now)


async def new_grant(store: Store, user_id: str, now: float, client_id: str = NATIVE_ID) -> str:
    grant_id = str(uuid.uuid4())
    grant = GrantRecord(grant_id, user_id, client_id, "openid edi", now, now + 30 * 86400, None)
    await store.grants.create(grant, refresh_token_hash=None, now=now)
    return grant_id


def mint(
    settings: Settings,
    keys: KeyRing,
    user_id: str,
    grant_id: str | None,
    *,
    scope: str = "openid edi",
    audience: str | list[str] | None = None,
    expires_in: int = 600,
    jti: str | None = None,
    key: ECKey | None = None,
) -> str:
    """An RFC 9068 access token like the token endpoint's. `exp` is in real time: Authlib's
    validator checks it against the system clock, not the injected one."""
    now = int(time.time())
    signing = key or keys.key_for("ES256")
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": user_id,
        "aud": audience if audience is not None else settings.url("/api/v1"),
        "client_id": NATIVE_ID,
        "scope": scope,
        "iat": now,
        "exp": now + expires_in,
        "jti": jti or secrets.token_urlsafe(16),
    }
    if grant_id is not None:
        claims["grant_id"] = grant_id
    header = {"alg": "ES256", "typ": "at+jwt", "kid": signing.kid or "unknown"}
    return jwt.encode(header, claims, signing)


async def add_received_submission(
    store: Store,
    submitted_by: str,
    received_at: float,
    *,
    file_name: str,
    notification_email: str,
    record_email: bool,
    kind: str = "DSN",
) -> None:
    """A declaration of Boulangerie Martin as the store keeps it once received (the file is
    `DSN`), put there directly: for the pages that list submissions."""
    new = NewSubmission(
        id=str(uuid.uuid4()),
        customer_code=BOULANGERIE,
        kind=kind,
        status="received",
        file_name=file_name,
        content_type="text/plain",
        size=len(DSN),
        sha256="0" * 64,
        notification_email=notification_email,
        submitted_by=submitted_by,
        client_id=None,
        received_at=received_at,
    )
    await store.submissions.add(new, DSN, record_email=record_email)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def upload(
    http: httpx.AsyncClient,
    token: str,
    *,
    content: bytes = DSN,
    file_name: str = "paie-2026-01.dsn",
    kind: str = "DSN",
    customer: str = "C0001234",
    email: str | None = None,
) -> httpx.Response:
    data = {"kind": kind, "customer_code": customer}
    if email is not None:
        data["notification_email"] = email
    files = {"file": (file_name, content, "application/octet-stream")}
    return await http.post(API, data=data, files=files, headers=bearer(token))


def assert_problem(response: httpx.Response, status: int, slug: str | None) -> dict[str, Any]:
    """An RFC 9457 problem: its media type, never cached, its type and status members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    issuer = str(response.request.url.copy_with(path="/", query=None)).rstrip("/")
    expected = f"{issuer}/api/v1/problems/{slug}" if slug else "about:blank"
    assert body["type"] == expected, body
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


async def count(store: Store, table: Table) -> int:
    async with store.db.read() as c:
        return int((await c.execute(select(func.count()).select_from(table))).scalar_one())
