"""/userinfo per RFC 6750 (form body, bare challenge, insufficient_scope) and /token client
authentication per RFC 6749 §2.3 (one method, a `realm`, plain words)."""

from __future__ import annotations

import httpx
import pytest

from tests.lifecycle.helpers import PARTNER_AUTH, SERVICE_AUTH, sign_in_tokens
from tests.support import PARTNER_ID, PARTNER_REDIRECT, PARTNER_SECRET, Seeded, assert_oauth_error


async def test_userinfo_takes_the_token_from_a_form_body(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    response = await client.post("/userinfo", data={"access_token": tokens["access_token"]})
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == seeded.user_id


async def test_userinfo_refuses_a_token_sent_two_ways(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    token = tokens["access_token"]
    both = await client.post(
        "/userinfo", data={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert_oauth_error(both, 400, "invalid_request")
    twice = await client.post(
        "/userinfo",
        content=f"access_token={token}&access_token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(twice, 400, "invalid_request")


async def test_userinfo_form_body_with_a_bad_token(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await client.post("/userinfo", data={"access_token": "a.b.c"})
    assert_oauth_error(response, 401, "invalid_token")


async def test_userinfo_without_a_token_has_no_error_code(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    for response in (
        await client.get("/userinfo"),
        await client.post("/userinfo", data={"other": "x"}),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="userinfo"'


async def test_a_token_not_for_userinfo_is_insufficient_scope(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    service = await client.post(
        "/token", data={"grant_type": "client_credentials", "scope": "edi"}, headers=SERVICE_AUTH
    )
    token = service.json()["access_token"]
    response = await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert_oauth_error(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_token_refuses_two_authentication_methods(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": PARTNER_ID,
            "client_secret": PARTNER_SECRET,
        },
        headers=PARTNER_AUTH,
    )
    assert_oauth_error(response, 400, "invalid_request")
    assert "one method" in response.json()["error_description"]


@pytest.mark.parametrize("secret", [PARTNER_SECRET, "wrong"])
async def test_one_method_still_works_or_fails_plainly(
    client: httpx.AsyncClient, seeded: Seeded, secret: str
) -> None:
    response = await client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "redirect_uri": PARTNER_REDIRECT,
            "client_id": PARTNER_ID,
            "client_secret": secret,
        },
    )
    error = "invalid_grant" if secret == PARTNER_SECRET else "invalid_client"
    assert response.json()["error"] == error


async def test_basic_challenge_has_a_realm_and_plain_words(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    import base64

    wrong = base64.b64encode(f"{PARTNER_ID}:wrong".encode()).decode()
    response = await client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": PARTNER_REDIRECT},
        headers={"Authorization": f"Basic {wrong}"},
    )
    assert_oauth_error(response, 401, "invalid_client")
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Basic realm="sageid", error="invalid_client"'), challenge
    description = response.json()["error_description"]
    assert "[" not in description and "'" not in description, description
    assert "[" not in challenge
