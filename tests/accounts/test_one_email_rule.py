"""One email rule (`idp.domain.email_address`): the same table of addresses through the four
ways an address comes in — sign-up, the portal (a profile given in advance), the customer
import and the submissions API — and each accepts exactly what the rule accepts."""

from __future__ import annotations

import httpx
import pytest

from idp.context import AppContext
from idp.customer_data import import_customer_file
from idp.domain.email_address import is_plausible_email, normalise_email
from tests.accounts.helpers import signup
from tests.edi.helpers import mint, new_grant, reference, upload
from tests.journeys.helpers import administrator_of_pharmacie, post_form
from tests.referencing.helpers import BOULANGERIE, PHARMACIE, browser_signed_in, import_customers
from tests.support import Seeded

ADDRESSES = {
    "jean.dupont@example.fr": True,
    " Jean.Dupont@Example.FR ": True,  # compared trimmed and case-folded
    "o'brien+paie@cabinet-durand.co.uk": True,
    "a<b>@example.com": False,  # sign-up refused it, the other three accepted it (issue 20)
    "a@b@example.com": False,
    "jean(paie)@example.fr": False,
    "jean;paul@example.fr": False,
    "jean dupont@example.fr": False,
    "jean@example": False,
    "jean@exa..mple.fr": False,
    "jean@": False,
    "@example.fr": False,
    "jean": False,
}


@pytest.mark.parametrize(("address", "plausible"), ADDRESSES.items())
async def test_every_entry_point_accepts_what_the_rule_accepts(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, address: str, plausible: bool
) -> None:
    assert is_plausible_email(normalise_email(address)) is plausible
    now = ctx.clock.now()

    signed_up = await signup(client, email=address)
    assert signed_up.status_code == (200 if plausible else 400), signed_up.text
    assert ('action="/verify"' in signed_up.text) is plausible
    client.cookies.clear()

    csv = f"customer_code,kind,value\nC0009,customer,Essai\nC0009,notification_email,{address}\n"
    _, import_errors = await import_customer_file(ctx.store, csv, now)
    assert (import_errors == []) is plausible, import_errors

    await import_customers(ctx.store, now)
    sophie = await administrator_of_pharmacie(ctx)
    await browser_signed_in(client, ctx.store, sophie.id, now)
    admin = f"/portal/admin/{PHARMACIE}"
    default = next(p for p in await ctx.store.customers.profiles_of(PHARMACIE) if p.is_default)
    assigned = await post_form(
        client, admin, f"{admin}/assignments", email=address, profile_id=default.id
    )
    assert assigned.headers["location"].endswith("done=assigned") is plausible

    await reference(ctx.store, seeded.user_id, BOULANGERIE, "default", now)
    grant_id = await new_grant(ctx.store, seeded.user_id, now)
    token = mint(ctx.settings, ctx.keys, seeded.user_id, grant_id, scope="openid edi")
    sent = await upload(client, token, email=address)
    assert (sent.status_code == 201) is plausible, sent.text
