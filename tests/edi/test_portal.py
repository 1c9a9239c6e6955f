"""The Sage EDI Online portal through the ASGI app: sign-in required, *Suivi des envois*,
*Profil* with *Devenir administrateur*, and *Administration* for administrators only."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from idp.accounts.referencing import ensure_referenced
from idp.clock import FrozenClock
from idp.store.tables import memberships, notification_emails
from tests.edi.conftest import DECLARATIONS_ONLY, LEA, Edi
from tests.edi.helpers import add_received_submission, upload
from tests.referencing.helpers import BOULANGERIE, CABINET, browser_signed_in
from tests.support import csrf_of, sign_in


async def _signed_in(http: httpx.AsyncClient, edi: Edi, user_id: str) -> None:
    """Signed in, and past the automatic referencing the first portal page runs (Paul's
    email also notified the pharmacy: he is referenced there too)."""
    await browser_signed_in(http, edi.ctx.store, user_id, edi.ctx.clock.now())
    user = await edi.ctx.store.users.by_id(user_id)
    assert user is not None
    await ensure_referenced(edi.ctx, user)


def _text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", page.text))


async def _post(
    http: httpx.AsyncClient, page: str, action: str, **fields: str | list[str]
) -> httpx.Response:
    token = csrf_of((await http.get(page)).text)
    return await http.post(action, data={"csrf_token": token, **fields})


@pytest.mark.parametrize(
    "path",
    ["/portal", "/portal?kind=DSN", "/portal/profile", "/portal/admin", "/portal/admin/C0002087"],
)
async def test_signed_out_goes_to_sign_in_and_back(
    client: httpx.AsyncClient, edi: Edi, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?" + str(httpx.QueryParams({"next": path}))


async def test_signing_in_returns_to_the_portal(client: httpx.AsyncClient, edi: Edi) -> None:
    signed = await sign_in(client, following="/portal?kind=DSN")
    assert signed.status_code == 303 and signed.headers["location"] == "/portal?kind=DSN"
    assert (await client.get("/portal")).status_code == 200


async def test_tracking_lists_the_submissions_newest_first(
    client: httpx.AsyncClient, edi: Edi, clock: FrozenClock
) -> None:
    token = await edi.token(edi.marie)
    assert (await upload(client, token, file_name="paie-janvier.dsn")).status_code == 201
    clock.advance(60)
    vat = await upload(client, token, kind="TVA", file_name="ca3-janvier.edi")
    assert vat.status_code == 201
    await _signed_in(client, edi, edi.marie)

    page = await client.get("/portal")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text  # French by default
    text = _text(page)
    assert text.index("ca3-janvier.edi") < text.index("paie-janvier.dsn")
    assert "Boulangerie Martin (C0001234)" in text and "Marie Martin" in text
    assert f'id="submission-{vat.json()["id"]}"' in page.text

    only_dsn = _text(await client.get("/portal", params={"kind": "DSN"}))
    assert "paie-janvier.dsn" in only_dsn and "ca3-janvier.edi" not in only_dsn
    other = _text(await client.get("/portal", params={"customer": CABINET}))
    assert "paie-janvier.dsn" not in other  # not Marie's customer: nothing, and no error

    english = await client.get("/portal", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text and "Submission tracking" in english.text


async def test_tracking_pages_through_older_submissions(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    now = edi.ctx.clock.now()
    for n in range(23):
        await add_received_submission(
            edi.ctx.store,
            edi.marie,
            now + n,
            file_name=f"paie-{n:02d}.dsn",
            notification_email="marie.martin@example.com",
            record_email=True,
        )
    await _signed_in(client, edi, edi.marie)
    first = await client.get("/portal")
    assert "paie-22.dsn" in first.text and "paie-02.dsn" not in first.text
    older = re.search(r'href="(/portal\?cursor=[^"]+)"', first.text)
    assert older, "no link to older submissions"
    second = await client.get(html.unescape(older.group(1)))
    assert "paie-02.dsn" in second.text and "paie-00.dsn" in second.text
    assert "paie-03.dsn" not in second.text
    assert 'href="/portal?"' in second.text or 'href="/portal"' in second.text
    stale = await client.get("/portal", params={"cursor": "edited"})
    assert stale.status_code == 200 and "paie-22.dsn" in stale.text  # the first page


async def test_profile_shows_accounts_and_offers_to_become_administrator(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    await browser_signed_in(client, edi.ctx.store, edi.paul, edi.ctx.clock.now())
    # Paul's email also notified the pharmacy's submissions: entering the portal references
    # him there first, with the congratulations page (issue 18).
    entry = await client.get("/portal/profile")
    assert entry.status_code == 303
    assert entry.headers["location"] == "/referenced?next=%2Fportal%2Fprofile"
    page = await client.get("/portal/profile")
    text = _text(page)
    assert "Paul Durand" in text and "paul.durand@example.com" in text
    assert "Cabinet Comptable Durand" in text and "Profil par défaut" in text
    assert "Pharmacie du Marché" in text
    assert 'action="/portal/profile/administrator"' in page.text
    assert 'href="/reference?next=%2Fportal%2Fprofile"' in page.text
    assert 'href="/portal/admin"' not in page.text  # no Administration for non-administrators

    response = await _post(
        client, "/portal/profile", "/portal/profile/administrator", customer_code="c000 2087"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/profile?done=administrator"
    customer = await edi.ctx.store.customers.by_code(CABINET)
    assert customer is not None and customer.administrator_id == edi.paul
    accounts = {a.customer_code: a for a in await edi.ctx.store.customers.accounts_of(edi.paul)}
    assert accounts[CABINET].profile == "administrator" and accounts[CABINET].is_admin
    after = await client.get("/portal/profile?done=administrator")
    assert 'href="/portal/admin"' in after.text and 'role="status"' in after.text


async def test_only_one_member_becomes_administrator(client: httpx.AsyncClient, edi: Edi) -> None:
    await edi.ctx.store.customers.become_administrator(CABINET, edi.paul, edi.ctx.clock.now())
    await _signed_in(client, edi, edi.lea)
    page = await client.get("/portal/profile")
    assert 'action="/portal/profile/administrator"' not in page.text
    response = await _post(
        client, "/portal/profile", "/portal/profile/administrator", customer_code=CABINET
    )
    assert response.headers["location"] == "/portal/profile?error=taken"
    elsewhere = await _post(
        client, "/portal/profile", "/portal/profile/administrator", customer_code=BOULANGERIE
    )
    assert elsewhere.headers["location"] == "/portal/profile?error=not_member"


async def test_forms_need_their_csrf_token(client: httpx.AsyncClient, edi: Edi) -> None:
    await _signed_in(client, edi, edi.paul)
    await client.get("/portal/profile")  # the CSRF cookie
    response = await client.post(
        "/portal/profile/administrator", data={"customer_code": CABINET, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    customer = await edi.ctx.store.customers.by_code(CABINET)
    assert customer is not None and customer.administrator_id is None


@pytest.mark.parametrize("path", ["/portal/admin", "/portal/admin/C0002087", "/portal/admin/X"])
async def test_administration_is_for_administrators_only(
    client: httpx.AsyncClient, edi: Edi, path: str
) -> None:
    await _signed_in(client, edi, edi.paul)
    page = await client.get(path)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>" in page.text and "portal-nav" not in page.text  # the error page


async def test_posting_to_administration_as_a_member_is_refused(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    await _signed_in(client, edi, edi.lea)
    [default] = [
        p for p in await edi.ctx.store.customers.profiles_of(CABINET) if p.name == "default"
    ]
    for action, fields in [
        ("members/profile", {"member_id": edi.paul, "profile_id": default.id}),
        ("members/remove", {"member_id": edi.paul}),
        ("profiles", {"name": "Tout", "permission": "view_tracking"}),
        ("assignments", {"email": "x@example.com", "profile_id": default.id}),
    ]:
        response = await _post(
            client, "/portal/profile", f"/portal/admin/{CABINET}/{action}", **fields
        )
        assert response.status_code == 403, action
    assert len(await edi.ctx.store.members.members_of(CABINET)) == 2


@pytest.fixture
async def paul_administers(client: httpx.AsyncClient, edi: Edi) -> str:
    await edi.ctx.store.customers.become_administrator(CABINET, edi.paul, edi.ctx.clock.now())
    await _signed_in(client, edi, edi.paul)
    return f"/portal/admin/{CABINET}"


async def _profile_id(edi: Edi, name: str, code: str = CABINET) -> str:
    [profile] = [p for p in await edi.ctx.store.customers.profiles_of(code) if p.name == name]
    return profile.id


async def test_administration_lists_members_and_changes_a_profile(
    client: httpx.AsyncClient, edi: Edi, paul_administers: str
) -> None:
    admin = paul_administers
    index = await client.get("/portal/admin")
    assert index.status_code == 303 and index.headers["location"] == admin
    page = await client.get(admin)
    text = _text(page)
    assert "Léa Girard" in text and LEA in text and DECLARATIONS_ONLY in text
    assert f'id="member-{edi.lea}"' in page.text
    assert f'name="member_id" value="{edi.paul}"' not in page.text  # not his own

    default = await _profile_id(edi, "default")
    response = await _post(
        client, admin, f"{admin}/members/profile", member_id=edi.lea, profile_id=default
    )
    assert response.headers["location"] == f"{admin}?done=profile_changed"
    members = {m.user_id: m for m in await edi.ctx.store.members.members_of(CABINET)}
    assert members[edi.lea].profile == "default"

    own = await _post(
        client, admin, f"{admin}/members/profile", member_id=edi.paul, profile_id=default
    )
    assert own.headers["location"] == f"{admin}?error=own_membership"
    foreign = await _profile_id(edi, "default", BOULANGERIE)
    wrong = await _post(
        client, admin, f"{admin}/members/profile", member_id=edi.lea, profile_id=foreign
    )
    assert wrong.headers["location"] == f"{admin}?error=no_such_profile"
    stranger = await _post(
        client, admin, f"{admin}/members/profile", member_id=edi.marie, profile_id=default
    )
    assert stranger.headers["location"] == f"{admin}?error=no_such_member"


async def test_removing_a_member_keeps_them_out(
    client: httpx.AsyncClient, edi: Edi, paul_administers: str
) -> None:
    admin = paul_administers
    async with edi.ctx.store.db.write() as c:  # Léa's address notified the Cabinet's returns
        await c.execute(
            notification_emails.insert().values(
                address=LEA, customer_code=CABINET, first_seen=0.0, last_seen=0.0
            )
        )
    response = await _post(client, admin, f"{admin}/members/remove", member_id=edi.lea)
    assert response.headers["location"] == f"{admin}?done=member_removed"
    async with edi.ctx.store.db.read() as c:
        left = (await c.execute(memberships.select().where(memberships.c.user_id == edi.lea))).all()
        notified = (
            await c.execute(
                notification_emails.select().where(notification_emails.c.address == LEA)
            )
        ).all()
    assert left == [] and notified == []
    again = await _post(client, admin, f"{admin}/members/remove", member_id=edi.lea)
    assert again.headers["location"] == f"{admin}?error=no_such_member"
    himself = await _post(client, admin, f"{admin}/members/remove", member_id=edi.paul)
    assert himself.headers["location"] == f"{admin}?error=own_membership"


async def test_defining_profiles_and_assigning_them_in_advance(
    client: httpx.AsyncClient, edi: Edi, paul_administers: str
) -> None:
    admin = paul_administers
    created = await _post(
        client,
        admin,
        f"{admin}/profiles",
        name="  Banque   seulement ",
        permission=["banking_exchanges", "view_tracking"],
    )
    assert created.headers["location"] == f"{admin}?done=profile_added"
    [banking] = [
        p
        for p in await edi.ctx.store.customers.profiles_of(CABINET)
        if p.name == "Banque seulement"
    ]
    assert banking.permissions == ("banking_exchanges", "view_tracking")
    twice = await _post(client, admin, f"{admin}/profiles", name="Banque seulement")
    assert twice.headers["location"] == f"{admin}?error=profile_exists"
    bad = await _post(client, admin, f"{admin}/profiles", name="X", permission="delete_all")
    assert bad.headers["location"] == f"{admin}?error=profile_invalid"

    assigned = await _post(
        client, admin, f"{admin}/assignments", email="Nouvelle@Example.com", profile_id=banking.id
    )
    assert assigned.headers["location"] == f"{admin}?done=assigned"
    [assignment] = await edi.ctx.store.members.assignments_of(CABINET)
    assert (assignment.email, assignment.profile) == ("nouvelle@example.com", "Banque seulement")
    page = _text(await client.get(admin))
    assert "nouvelle@example.com : <strong>Banque seulement</strong>" in page  # French spacing
    invalid = await _post(
        client, admin, f"{admin}/assignments", email="nouvelle", profile_id=banking.id
    )
    assert invalid.headers["location"] == f"{admin}?error=email_invalid"


async def test_removing_a_member_ends_their_sign_ins(
    client: httpx.AsyncClient, edi: Edi, paul_administers: str
) -> None:
    """Issue 15: their tokens name the customer account, so every grant and browser session
    of theirs ends (and clients with a back-channel logout URI are told)."""
    from idp.store.records import GrantRecord
    from idp.store.tables import browser_sessions, grants

    now = edi.ctx.clock.now()
    grant = GrantRecord(
        id=str(uuid.uuid4()),
        user_id=edi.lea,
        client_id="desktop-test",
        scope="openid offline_access referencing",
        auth_time=now,
        expires_at=now + 3600,
        revoked_at=None,
    )
    await edi.ctx.store.grants.create(grant, refresh_token_hash=None, now=now)
    await edi.ctx.store.sessions.create(edi.lea, now=now, lifetime=3600)
    admin = paul_administers
    response = await _post(client, admin, f"{admin}/members/remove", member_id=edi.lea)
    assert response.headers["location"] == f"{admin}?done=member_removed"
    async with edi.ctx.store.db.read() as c:
        revoked = (await c.execute(grants.select().where(grants.c.id == grant.id))).one()
        live = (
            await c.execute(
                browser_sessions.select().where(
                    browser_sessions.c.user_id == edi.lea, browser_sessions.c.ended_at.is_(None)
                )
            )
        ).all()
    assert revoked.revoked_at is not None
    assert live == []
