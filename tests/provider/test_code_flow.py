"""The authorization code flow through the ASGI app: sign-in, consent, prompts, tokens."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.clock import FrozenClock
from tests.support import (
    NATIVE_ID,
    PARTNER_ID,
    PARTNER_REDIRECT,
    PARTNER_SECRET,
    Seeded,
    assert_oauth_error,
    authorization_code,
    authorize_params,
    csrf_of,
    issued_code,
    pkce_authorize_params,
    pkce_pair,
    query_of,
    redeem_form,
    sign_in,
)

ISSUER = "http://127.0.0.1:8000"


async def redeem(
    client: httpx.AsyncClient, code: str, verifier: str, **extra: str
) -> httpx.Response:
    return await client.post("/token", data=redeem_form(code, verifier, **extra))


async def jwks(client: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await client.get("/jwks.json")).json())


def half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def test_native_app_signs_in_and_gets_verified_tokens(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    verifier, params = pkce_authorize_params(redirect_uri="http://127.0.0.1:53117/callback")
    response = await authorization_code(client, params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://127.0.0.1:53117/callback?")
    got = query_of(location)
    assert got["state"] == params["state"]
    assert got["iss"] == ISSUER  # RFC 9207

    token = await redeem(client, got["code"], verifier, redirect_uri=params["redirect_uri"])
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["refresh_token"]  # native clients always get one (30-day sign-in)

    keys = await jwks(client)
    id_token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    assert id_token.header["kid"] in {k.kid for k in keys}
    claims: dict[str, Any] = id_token.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == NATIVE_ID
    assert claims["sub"] == seeded.user_id
    assert claims["nonce"] == params["nonce"]
    assert claims["at_hash"] == half_hash(body["access_token"])
    assert claims["exp"] - claims["iat"] == 600
    assert claims["auth_time"] <= claims["iat"]
    assert claims["email"] == seeded.email and claims["email_verified"] is True

    access = jwt.decode(body["access_token"], keys, algorithms=["ES256"])
    assert access.header["typ"] == "at+jwt"  # RFC 9068 §2.1
    assert access.claims["client_id"] == NATIVE_ID
    assert access.claims["sub"] == seeded.user_id
    assert access.claims["aud"] == [ISSUER + "/userinfo"]
    assert access.claims["jti"]

    for method in ("GET", "POST"):
        info = await client.request(
            method, "/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert info.status_code == 200
        assert info.json() == {
            "sub": seeded.user_id,
            "name": "Marie Martin",
            "email": seeded.email,
            "email_verified": True,
        }


async def test_userinfo_releases_claims_by_scope(client: httpx.AsyncClient, seeded: Seeded) -> None:
    code, verifier = await issued_code(client, scope="openid")
    body = (await redeem(client, code, verifier)).json()
    info = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.json() == {"sub": seeded.user_id}


async def test_userinfo_refuses_bad_tokens(client: httpx.AsyncClient, seeded: Seeded) -> None:
    for header in ["Bearer not-a-jwt", "Bearer a.b.c"]:
        response = await client.get("/userinfo", headers={"Authorization": header})
        assert_oauth_error(response, 401, "invalid_token", challenge="Bearer")


async def test_userinfo_without_a_token_gets_a_bare_challenge(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    """RFC 6750 §3.1: no token at all, no error code."""
    for header in [None, "Basic abc", "Bearer"]:
        headers = {"Authorization": header} if header else {}
        response = await client.get("/userinfo", headers=headers)
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == 'Bearer realm="userinfo"'
        assert "error" not in response.headers["www-authenticate"]
        assert response.content == b""


async def test_login_hint_of_an_unknown_email_opens_the_create_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    _, params = pkce_authorize_params(login_hint="jean@example.fr")
    response = await client.get("/authorize", params=params)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    # One email entry (issue 18): the email the application asked is not asked again.
    assert 'value="jean@example.fr"' in page.text
    assert 'action="/signup"' in page.text and 'autocomplete="new-password"' in page.text


async def test_prompt_none_without_session_answers_login_required(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    _, params = pkce_authorize_params(prompt="none")
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302
    got = query_of(response.headers["location"])
    assert got["error"] == "login_required"
    assert got["state"] == params["state"]
    assert got["iss"] == ISSUER


async def test_prompt_none_with_session_issues_a_code(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await sign_in(client)
    _, params = pkce_authorize_params(prompt="none")
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302
    assert "code" in query_of(response.headers["location"])


async def test_prompt_login_and_max_age_force_a_new_sign_in(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock
) -> None:
    await sign_in(client)
    _, challenge = pkce_pair()
    forced = await client.get(
        "/authorize", params=authorize_params(challenge=challenge, prompt="login")
    )
    assert forced.status_code == 303 and forced.headers["location"].startswith("/signin")
    assert "prompt%3Dlogin" not in forced.headers["location"]  # no loop after sign-in

    fresh = await client.get(
        "/authorize", params=authorize_params(challenge=challenge, max_age="60")
    )
    assert fresh.status_code == 302
    clock.advance(61)
    stale = await client.get(
        "/authorize", params=authorize_params(challenge=challenge, max_age="60")
    )
    assert stale.status_code == 303 and stale.headers["location"].startswith("/signin")

    bad = await client.get(
        "/authorize", params=authorize_params(challenge=challenge, max_age="soon")
    )
    assert query_of(bad.headers["location"])["error"] == "invalid_request"


async def test_wrong_password_keeps_the_user_on_the_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await sign_in(client, password="not the password")
    assert response.status_code == 400
    assert 'value="marie.martin@example.com"' in response.text
    assert "sageid_session" not in response.headers.get("set-cookie", "")


async def test_session_id_rotates_at_sign_in(client: httpx.AsyncClient, seeded: Seeded) -> None:
    await sign_in(client)
    first = client.cookies.get("sageid_session")
    await sign_in(client)
    second = client.cookies.get("sageid_session")
    assert first and second and first != second
    set_cookie = (await sign_in(client)).headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie


async def consent_page(
    client: httpx.AsyncClient, **extra: str
) -> tuple[httpx.Response, dict[str, str]]:
    _, params = pkce_authorize_params(client_id=PARTNER_ID, redirect_uri=PARTNER_REDIRECT, **extra)
    return await authorization_code(client, params), params


async def decide(
    client: httpx.AsyncClient, page: httpx.Response, params: dict[str, str], decision: str
) -> httpx.Response:
    form = {**params, "csrf_token": csrf_of(page.text), "decision": decision}
    return await client.post("/authorize", data=form)


async def test_third_party_client_asks_for_consent_once(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page, params = await consent_page(client)
    assert page.status_code == 200
    assert "Partner Payroll" in page.text
    assert "adresse email" in page.text  # French by default
    allowed = await decide(client, page, params, "allow")
    assert allowed.status_code == 302
    got = query_of(allowed.headers["location"])
    assert got["code"] and got["iss"] == ISSUER and got["state"] == params["state"]

    token = await client.post(
        "/token",
        auth=(PARTNER_ID, PARTNER_SECRET),
        data=redeem_form(got["code"], "x" * 43, client_id=None, redirect_uri=PARTNER_REDIRECT),
    )
    # A wrong verifier, even for a confidential client.
    assert_oauth_error(token, 400, "invalid_grant")

    again, _ = await consent_page(client)
    assert again.status_code == 302  # remembered
    forced, forced_params = await consent_page(client, prompt="consent")
    assert forced.status_code == 200
    assert (await decide(client, forced, forced_params, "allow")).status_code == 302


async def test_consent_denied_returns_access_denied(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page, params = await consent_page(client)
    denied = await decide(client, page, params, "deny")
    got = query_of(denied.headers["location"])
    assert denied.headers["location"].startswith(PARTNER_REDIRECT)
    assert got["error"] == "access_denied" and got["state"] == params["state"]
    assert got["iss"] == ISSUER


async def test_consent_needs_the_csrf_token(client: httpx.AsyncClient, seeded: Seeded) -> None:
    _, params = await consent_page(client)
    response = await client.post("/authorize", data={**params, "decision": "allow"})
    assert response.status_code == 403
    assert "location" not in response.headers


async def test_prompt_none_when_consent_is_needed(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await sign_in(client)
    response, _ = await consent_page(client, prompt="none")
    assert query_of(response.headers["location"])["error"] == "consent_required"


async def test_english_pages(client: httpx.AsyncClient, seeded: Seeded) -> None:
    page, _ = await consent_page(client, ui_locales="en")
    assert "email address" in page.text and 'lang="en"' in page.text
    signin = await client.get("/signin", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Sign in" in signin.text
    french = await client.get("/signin")
    assert 'lang="fr"' in french.text and "Se connecter" in french.text


async def test_a_consent_posted_after_max_age_signs_in_again(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock
) -> None:
    await sign_in(client)
    page, params = await consent_page(client, max_age="60")
    assert page.status_code == 200
    clock.advance(61)
    late = await decide(client, page, params, "allow")
    assert late.status_code == 303 and late.headers["location"].startswith("/signin")
