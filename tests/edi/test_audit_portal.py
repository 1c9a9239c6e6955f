"""Audit events of the portal: administrator gained, a member's profile changed, a member
removed (actor: the administrator; subject: the member); *Profil* lists the user's own recent
sign-ins, in French and in English."""

from __future__ import annotations

import httpx

from idp.audit import Kind
from idp.context import AppContext
from tests.audit.helpers import events
from tests.edi.conftest import Edi
from tests.referencing.helpers import CABINET, browser_signed_in
from tests.support import csrf_of, sign_in


async def _post(http: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of((await http.get(page)).text)
    return await http.post(action, data={"csrf_token": token, **fields})


async def test_administration_facts_are_recorded(client: httpx.AsyncClient, edi: Edi) -> None:
    ctx: AppContext = edi.ctx
    await browser_signed_in(client, ctx.store, edi.paul, ctx.clock.now())
    # Entering the portal references Paul by his notification email first (issue 18).
    assert (await client.get("/portal/profile")).status_code == 303
    await _post(client, "/portal/profile", "/portal/profile/administrator", customer_code=CABINET)
    [gained] = await events(ctx, Kind.ADMINISTRATOR_GAINED)
    assert (gained.subject, gained.detail) == (edi.paul, {"customer_code": CABINET})

    admin = f"/portal/admin/{CABINET}"
    [default] = [p for p in await ctx.store.customers.profiles_of(CABINET) if p.name == "default"]
    await _post(client, admin, f"{admin}/members/profile", member_id=edi.lea, profile_id=default.id)
    await _post(client, admin, f"{admin}/members/remove", member_id=edi.lea)
    await _post(client, admin, f"{admin}/members/remove", member_id=edi.lea)  # refused: none
    [changed] = await events(ctx, Kind.PROFILE_CHANGED)
    [removed] = await events(ctx, Kind.MEMBER_REMOVED)
    for event in (changed, removed):
        assert (event.subject, event.actor) == (edi.lea, f"user:{edi.paul}")
        assert event.detail["customer_code"] == CABINET
    assert changed.detail["profile_id"] == default.id


async def test_profile_shows_the_users_own_recent_sign_ins(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    await sign_in(client, password="not the password")
    await sign_in(client, following="/portal/profile")
    french = await client.get("/portal/profile")
    assert "Connexions récentes" in french.text
    assert "Connexion réussie" in french.text and "Mot de passe incorrect" in french.text
    assert french.text.count("127.0.0.1") == 2
    english = await client.get("/portal/profile", params={"ui_locales": "en"})
    assert "Recent sign-ins" in english.text and "Wrong password" in english.text
    # Only one's own: Paul's page shows none of Marie's sign-ins.
    other = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with other:
        await browser_signed_in(other, edi.ctx.store, edi.paul, edi.ctx.clock.now())
        await other.get("/portal/profile")  # referenced by his notification email on entry
        page = await other.get("/portal/profile", params={"ui_locales": "en"})
    assert "No sign-in recorded yet." in page.text
