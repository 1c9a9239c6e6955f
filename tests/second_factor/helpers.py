"""Shared steps of the second-factor tests (issue 17)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pyotp
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.accounts.second_factor import seal_secret
from idp.context import AppContext
from idp.domain.second_factor import new_totp_secret
from tests.support import NATIVE_ID, csrf_of, query_of, redeem_code, sign_in


async def enrol_app(ctx: AppContext, user_id: str) -> str:
    """An authenticator app enrolled straight in the store; returns its secret."""
    secret = new_totp_secret()
    sealed = seal_secret(ctx, user_id, secret)
    await ctx.store.factors.add_totp(
        user_id, name="Phone", sealed_secret=sealed, step=0, now=ctx.clock.now()
    )
    return secret


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret).at(when)


def secret_on_page(page: str) -> str:
    found = re.search(r'<code class="secret" id="secret">([A-Z2-7 ]+)</code>', page)
    assert found, "no secret on the enrolment page"
    return found.group(1).replace(" ", "")


def recovery_codes_on_page(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", page)


async def give_second_factor(
    http: httpx.AsyncClient, following: str, code: str, method: str = "otp"
) -> httpx.Response:
    page = await http.get("/signin/second-factor", params={"next": following})
    assert page.status_code == 200, page.text
    return await http.post(
        "/signin/second-factor",
        data={"csrf_token": csrf_of(page.text), "next": following, "code": code, "method": method},
    )


async def signed_in_with_app(
    http: httpx.AsyncClient, ctx: AppContext, secret: str, following: str = "/account"
) -> httpx.Response:
    """Password then app code; returns the answer to the code."""
    password = await sign_in(http, following=following)
    assert password.status_code == 303
    assert password.headers["location"].startswith("/signin/second-factor"), password.headers
    return await give_second_factor(http, following, code_at(secret, ctx.clock.now()))


async def redeem(
    http: httpx.AsyncClient, location: str, verifier: str, client_id: str = NATIVE_ID
) -> dict[str, Any]:
    return await redeem_code(http, query_of(location)["code"], verifier, client_id=client_id)


async def id_claims(http: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set((await http.get("/jwks.json")).json())
    claims: dict[str, Any] = jwt.decode(id_token, keys).claims
    return claims
