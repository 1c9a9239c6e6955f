"""RP-initiated logout (issue 15): a third-party client's request is confirmed by the user
before anything happens, even with a valid `id_token_hint`; a first-party one may skip it."""

from __future__ import annotations

import httpx

from tests.lifecycle.helpers import sign_in_tokens
from tests.oidc.helpers import hidden_fields
from tests.support import EMAIL, NATIVE_ID, PARTNER_ID, Seeded, csrf_of

PARTNER_LOGGED_OUT = "https://partner.example.com/"


async def signed_in(http: httpx.AsyncClient) -> bool:
    return EMAIL in (await http.get("/account")).text


async def test_third_party_logout_asks_first(client: httpx.AsyncClient, seeded: Seeded) -> None:
    tokens = await sign_in_tokens(client, confidential=True)
    params = {
        "id_token_hint": tokens["id_token"],
        "client_id": PARTNER_ID,
        "post_logout_redirect_uri": PARTNER_LOGGED_OUT,
        "state": "s-1",
    }
    page = await client.get("/logout", params=params)
    assert page.status_code == 200
    assert "location" not in page.headers
    assert "Partner Payroll" in page.text
    assert await signed_in(client)  # nothing happened yet
    form = dict(hidden_fields(page.text))
    form.update(csrf_token=csrf_of(page.text), confirm="yes")
    done = await client.post("/logout", data=form)
    assert done.status_code == 302
    assert done.headers["location"] == f"{PARTNER_LOGGED_OUT}?state=s-1"
    assert not await signed_in(client)


async def test_third_party_confirmation_needs_its_csrf_token(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client, confidential=True)
    params = {"id_token_hint": tokens["id_token"], "client_id": PARTNER_ID, "confirm": "yes"}
    response = await client.post("/logout", data=params)
    assert response.status_code in (400, 403)
    assert await signed_in(client)


async def test_first_party_logout_with_a_valid_hint_skips_it(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "client_id": NATIVE_ID,
            "post_logout_redirect_uri": "http://127.0.0.1/signed-out",
        },
    )
    assert response.status_code == 302
    assert not await signed_in(client)
