"""The `referencing` claim (DESIGN §4) in the ID token and at userinfo, by scope."""

from __future__ import annotations

from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.context import AppContext
from idp.domain.referencing import (
    ADMINISTRATOR_PROFILE,
    TERMS_VERSION,
    Method,
    NewMembership,
    ProofAttempt,
)
from idp.oauth.claims import user_claims
from idp.store.customers import AdminOutcome
from idp.store.records import UserRecord
from tests.referencing.helpers import BOULANGERIE, browser_signed_in, import_customers
from tests.support import (
    Seeded,
    pkce_authorize_params,
    query_of,
    redeem_code,
)


async def tokens(client: httpx.AsyncClient, scope: str) -> dict[str, Any]:
    """The code flow of the desktop client (first party: no consent) for a signed-in browser."""
    verifier, params = pkce_authorize_params(scope=scope)
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302, response.text
    return await redeem_code(client, query_of(response.headers["location"])["code"], verifier)


async def id_token_claims(client: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set((await client.get("/jwks.json")).json())
    claims: dict[str, Any] = jwt.decode(id_token, keys, algorithms=["RS256"]).claims
    return claims


async def userinfo(client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
    response = await client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def marie_administers_the_boulangerie(ctx: AppContext, user_id: str) -> None:
    now = ctx.clock.now()
    await import_customers(ctx.store, now)
    target = await ctx.store.customers.proof_target(ProofAttempt(BOULANGERIE, "X"))
    assert target is not None
    membership = NewMembership(BOULANGERIE, target.default_profile_id, Method.PROOF, TERMS_VERSION)
    await ctx.store.customers.reference(user_id, [membership], now)
    assert await ctx.store.customers.become_administrator(BOULANGERIE, user_id, now) is (
        AdminOutcome.APPOINTED
    )


async def test_the_claim_is_in_the_id_token_and_at_userinfo(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await marie_administers_the_boulangerie(ctx, seeded.user_id)
    await browser_signed_in(client, ctx.store, seeded.user_id, ctx.clock.now())
    expected = {
        "status": "referenced",
        "accounts": [
            {
                "customer_code": BOULANGERIE,
                "customer_name": "Boulangerie Martin",
                "profile": ADMINISTRATOR_PROFILE,
                "is_admin": True,
                "method": "proof",
                "referenced_at": int(ctx.clock.now()),
            }
        ],
    }
    body = await tokens(client, "openid profile email referencing")
    assert (await id_token_claims(client, body["id_token"]))["referencing"] == expected
    assert (await userinfo(client, body["access_token"]))["referencing"] == expected


async def test_without_the_scope_there_is_no_claim(
    ctx: AppContext, client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await marie_administers_the_boulangerie(ctx, seeded.user_id)
    await browser_signed_in(client, ctx.store, seeded.user_id, ctx.clock.now())
    body = await tokens(client, "openid profile email")
    assert "referencing" not in await id_token_claims(client, body["id_token"])
    info = await userinfo(client, body["access_token"])
    assert "referencing" not in info and info["email"] == seeded.email


async def test_a_user_referenced_to_nothing_is_pending() -> None:
    user = UserRecord("u1", "a@example.com", "A", True, None, password_hash="")
    assert user_claims(user, {"openid", "referencing"}, [])["referencing"] == {
        "status": "pending",
        "accounts": [],
    }
    assert "referencing" not in user_claims(user, {"openid"}, [])
