"""RP-initiated logout at /logout: registered redirects only, `state` carried back, a
confirmation page unless a valid `id_token_hint` names the signed-in user, and grants revoked
when the client asks (`revoke_grants=true`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette

from idp.context import AppContext
from tests.lifecycle.helpers import is_active, refresh, sign_in_tokens
from tests.support import (
    EMAIL,
    NATIVE_ID,
    PARTNER_ID,
    Seeded,
    assert_oauth_error,
    csrf_of,
    issued_code,
    redeem_code,
)

REGISTERED = "http://127.0.0.1/signed-out"  # desktop-test's post_logout_redirect_uri
ISSUER = "http://127.0.0.1:8000"


async def signed_in(http: httpx.AsyncClient) -> bool:
    return EMAIL in (await http.get("/account")).text


def logout_params(id_token: str | None, **extra: str) -> dict[str, str]:
    params = {"client_id": NATIVE_ID, "post_logout_redirect_uri": REGISTERED, "state": "s-42"}
    if id_token:
        params["id_token_hint"] = id_token
    params.update(extra)
    return {k: v for k, v in params.items() if v}


@pytest.fixture
async def other_browser(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        yield http


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_valid_hint_and_registered_redirect(
    client: httpx.AsyncClient, seeded: Seeded, method: str
) -> None:
    tokens = await sign_in_tokens(client)
    params = logout_params(tokens["id_token"])
    if method == "GET":
        response = await client.get("/logout", params=params)
    else:  # the RP may post the request as a form (RP-Initiated Logout §2)
        response = await client.post("/logout", data=params)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{REGISTERED}?state=s-42"
    assert not await signed_in(client)
    # Without `revoke_grants`, the app's own sign-in (its refresh token) is left alone.
    assert await is_active(client, tokens["refresh_token"])


@pytest.mark.parametrize(
    "redirect",
    ["https://evil.example/", f"{REGISTERED}/more", REGISTERED.upper(), f"{REGISTERED}?x=1"],
)
async def test_unregistered_redirect_shows_a_page(
    client: httpx.AsyncClient, seeded: Seeded, redirect: str
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.get(
        "/logout", params=logout_params(tokens["id_token"], post_logout_redirect_uri=redirect)
    )
    assert response.status_code == 200
    assert "location" not in response.headers
    assert redirect not in response.text
    assert not await signed_in(client)


async def test_without_redirect_shows_the_signed_out_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.get(
        "/logout", params={"id_token_hint": tokens["id_token"], "ui_locales": "en"}
    )
    assert response.status_code == 200
    assert "You are signed out" in response.text
    assert not await signed_in(client)


async def test_without_hint_the_user_confirms(client: httpx.AsyncClient, seeded: Seeded) -> None:
    await sign_in_tokens(client)
    page = await client.get("/logout", params=logout_params(None, ui_locales="en"))
    assert page.status_code == 200
    assert 'name="confirm"' in page.text and "Desktop test app" in page.text
    assert await signed_in(client)  # nothing happened yet

    forged = await client.post(
        "/logout", data={**logout_params(None), "confirm": "yes", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert await signed_in(client)

    confirmed = await client.post(
        "/logout",
        data={**logout_params(None), "confirm": "yes", "csrf_token": csrf_of(page.text)},
    )
    assert confirmed.status_code == 302
    assert confirmed.headers["location"] == f"{REGISTERED}?state=s-42"
    assert not await signed_in(client)


async def test_hint_for_another_user_asks_first(
    client: httpx.AsyncClient, other_browser: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await sign_in_tokens(client)
    password_hash = await ctx.passwords.hash("Cabinet-Durand-Paie-42")
    await ctx.store.users.add(
        email="paul@example.com",
        name="Paul",
        password_hash=password_hash,
        email_verified=True,
        now=ctx.clock.now(),
    )
    code, verifier = await issued_code(
        other_browser, email="paul@example.com", password="Cabinet-Durand-Paie-42"
    )
    pauls = await redeem_code(other_browser, code, verifier)
    response = await client.get("/logout", params=logout_params(pauls["id_token"]))
    assert response.status_code == 200 and 'name="confirm"' in response.text
    assert await signed_in(client)


async def test_expired_hint_is_accepted(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await sign_in_tokens(client)
    now = int(time.time())
    expired = jwt.encode(
        {"alg": "RS256", "kid": ctx.keys.kid_for("RS256")},
        {
            "iss": ISSUER,
            "sub": seeded.user_id,
            "aud": NATIVE_ID,
            "iat": now - 7200,
            "exp": now - 3600,
        },
        ctx.keys.key_for("RS256"),
    )
    response = await client.get("/logout", params=logout_params(expired))
    assert response.status_code == 302
    assert not await signed_in(client)


@pytest.mark.parametrize(
    "hint", ["garbage", "access_token", "foreign", "wrong_client", "other_issuer"]
)
async def test_invalid_hint_is_an_error_page(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, hint: str
) -> None:
    tokens = await sign_in_tokens(client)
    params = logout_params(tokens["id_token"])
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": seeded.user_id, "aud": NATIVE_ID, "iat": now, "exp": now + 60}
    if hint == "garbage":
        params["id_token_hint"] = "not.a.jwt"
    elif hint == "access_token":  # signed by our ES256 key, but an access token
        params["id_token_hint"] = tokens["access_token"]
    elif hint == "foreign":  # someone else's key
        params["id_token_hint"] = jwt.encode({"alg": "RS256"}, claims, RSAKey.generate_key(2048))
    elif hint == "wrong_client":  # client_id must be the hint's audience
        params["client_id"] = PARTNER_ID
    else:
        claims["iss"] = "https://other.example"
        params["id_token_hint"] = jwt.encode(
            {"alg": "RS256", "kid": ctx.keys.kid_for("RS256")}, claims, ctx.keys.key_for("RS256")
        )
    response = await client.get("/logout", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert await signed_in(client)


@pytest.mark.parametrize("revoke_grants", ["true", "", "yes"])
async def test_client_asks_to_revoke_its_grants(
    client: httpx.AsyncClient, seeded: Seeded, revoke_grants: str
) -> None:
    desktop = await sign_in_tokens(client)
    partner = await sign_in_tokens(client, confidential=True)
    params = logout_params(desktop["id_token"], revoke_grants=revoke_grants)
    response = await client.get("/logout", params=params)
    assert response.status_code == 302
    revoked = revoke_grants == "true"
    assert await is_active(client, desktop["refresh_token"]) is not revoked
    assert await is_active(client, desktop["access_token"]) is not revoked
    if revoked:
        assert_oauth_error(await refresh(client, desktop["refresh_token"]), 400, "invalid_grant")
    assert await is_active(client, partner["refresh_token"])  # another client's: untouched


async def test_confirmed_logout_revokes_the_signed_in_users_grants(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    desktop = await sign_in_tokens(client)
    page = await client.get("/logout", params=logout_params(None, revoke_grants="true"))
    response = await client.post(
        "/logout",
        data={
            **logout_params(None, revoke_grants="true"),
            "confirm": "yes",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 302
    assert not await is_active(client, desktop["refresh_token"])


async def test_without_session_or_hint_goes_straight_back(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await client.get("/logout", params=logout_params(None))
    assert response.status_code == 302
    assert response.headers["location"] == f"{REGISTERED}?state=s-42"


async def test_repeated_parameters_are_an_error_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await client.get(f"/logout?client_id={NATIVE_ID}&client_id={PARTNER_ID}")
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_an_id_token_alone_revokes_nothing(client: httpx.AsyncClient, seeded: Seeded) -> None:
    """Without the user's browser session, `revoke_grants` is ignored: ID tokens are accepted
    expired and pass through logs and back ends; holding one must not end a 30-day sign-in."""
    desktop = await sign_in_tokens(client)
    client.cookies.clear()
    response = await client.get(
        "/logout", params=logout_params(desktop["id_token"], revoke_grants="true")
    )
    assert response.status_code in (200, 302)
    assert await is_active(client, desktop["refresh_token"])
