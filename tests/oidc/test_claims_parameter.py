"""The `claims` request parameter (OIDC Core §5.5) and what discovery says of claims."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.oidc.helpers import verified_claims
from tests.support import (
    Seeded,
    authorize_params,
    issued_code,
    pkce_authorize_params,
    pkce_pair,
    query_of,
    redeem_code,
    refresh_form,
    sign_in,
)


async def tokens_with(
    client: httpx.AsyncClient, scope: str, claims: dict[str, Any] | None
) -> dict[str, Any]:
    extra = {"claims": json.dumps(claims)} if claims is not None else {}
    code, verifier = await issued_code(client, scope=scope, **extra)
    return await redeem_code(client, code, verifier)


async def userinfo(client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
    response = await client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_claims_asked_for_the_id_token_only(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await tokens_with(client, "openid", {"id_token": {"email": {"essential": True}}})
    id_token = await verified_claims(client, tokens["id_token"])
    assert id_token["email"] == "marie.martin@example.com"
    assert "email_verified" not in id_token  # only the claim asked for, not its whole scope
    assert "name" not in id_token
    assert "email" not in await userinfo(client, tokens["access_token"])


async def test_claims_asked_for_userinfo_only(client: httpx.AsyncClient, seeded: Seeded) -> None:
    tokens = await tokens_with(client, "openid", {"userinfo": {"name": None}})
    info = await userinfo(client, tokens["access_token"])
    assert info == {"sub": seeded.user_id, "name": "Marie Martin"}
    assert "name" not in await verified_claims(client, tokens["id_token"])


async def test_claims_survive_a_refresh(client: httpx.AsyncClient, seeded: Seeded) -> None:
    tokens = await tokens_with(
        client, "openid offline_access", {"userinfo": {"email": None}, "id_token": {"name": None}}
    )
    refreshed = await client.post("/token", data=refresh_form(tokens["refresh_token"]))
    body = refreshed.json()
    assert (await verified_claims(client, body["id_token"]))["name"] == "Marie Martin"
    assert (await userinfo(client, body["access_token"]))["email"] == "marie.martin@example.com"


async def test_unknown_claims_are_ignored_and_scopes_still_apply(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await tokens_with(
        client, "openid email", {"userinfo": {"shoe_size": None, "phone_number": None}}
    )
    info = await userinfo(client, tokens["access_token"])
    assert info["email"] == "marie.martin@example.com"
    assert "shoe_size" not in info


@pytest.mark.parametrize(
    "claims",
    [
        "{not json",
        "[]",
        '"userinfo"',
        '{"userinfo": ["name"]}',
        '{"id_token": {"email": true}}',
        '{"id_token": "email"}',
    ],
)
async def test_malformed_claims_are_invalid_requests(
    client: httpx.AsyncClient, seeded: Seeded, claims: str
) -> None:
    assert (await sign_in(client)).status_code == 303
    _, params = pkce_authorize_params(claims=claims)
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302
    got = query_of(response.headers["location"])
    assert got["error"] == "invalid_request"
    assert "claims" in got["error_description"]
    assert "code" not in got


async def test_discovery_lists_what_is_issued(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert metadata["claims_parameter_supported"] is True
    assert metadata["request_parameter_supported"] is False
    assert metadata["request_uri_parameter_supported"] is False
    assert metadata["response_modes_supported"] == ["query", "form_post"]
    assert metadata["prompt_values_supported"] == ["none", "login", "consent", "create"]
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True
    for claim in ("sid", "amr", "auth_time", "email", "referencing", "nonce"):
        assert claim in metadata["claims_supported"], claim


async def test_every_id_token_claim_is_advertised(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    tokens = await tokens_with(client, "openid profile email", None)
    issued = await verified_claims(client, tokens["id_token"])
    assert set(issued) <= set(metadata["claims_supported"]), set(issued) - set(
        metadata["claims_supported"]
    )


async def test_claims_asked_by_name_are_shown_on_the_consent_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    """A third party asking `email` by name, without the `email` scope, gets it only with the
    user's consent to what that scope releases."""
    from tests.support import PARTNER_ID, PARTNER_REDIRECT

    assert (await sign_in(client)).status_code == 303
    _, challenge = pkce_pair()
    params = authorize_params(
        client_id=PARTNER_ID,
        redirect_uri=PARTNER_REDIRECT,
        scope="openid",
        challenge=challenge,
        claims=json.dumps({"userinfo": {"email": None}}),
    )
    page = await client.get("/authorize", params=params)
    assert page.status_code == 200 and 'name="decision"' in page.text
    plain = await client.get(
        "/authorize",
        params=authorize_params(
            client_id=PARTNER_ID, redirect_uri=PARTNER_REDIRECT, scope="openid", challenge=challenge
        ),
    )
    email_line = "voir votre adresse email"  # the `email` scope, in French
    assert email_line in page.text, page.text
    assert email_line not in plain.text
