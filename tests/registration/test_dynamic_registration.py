"""Dynamic client registration (RFC 7591, RFC 7592, issue 16): initial access tokens (none,
expired, used up), the policy (redirect URIs, scopes, client_credentials, never first-party),
read/update/delete with the registration access token, every change audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from idp.clock import FrozenClock
from idp.context import AppContext
from tests.client_auth.helpers import assertion, assertion_form, new_key, public_set
from tests.oidc.helpers import consent
from tests.support import (
    Seeded,
    assert_oauth_error,
    pkce_authorize_params,
    sign_in,
)

ISSUER = "http://127.0.0.1:8000"
APP = {
    "client_name": "Paie Partenaire",
    "redirect_uris": ["https://payroll.example/callback"],
    "grant_types": ["authorization_code", "refresh_token"],
    "scope": "openid profile email offline_access",
}


async def initial_token(
    ctx: AppContext, value: str = "initial", ttl: float = 3600, **options: Any
) -> str:
    now = ctx.clock.now()
    await ctx.store.initial_access_tokens.create(
        value,
        now=now,
        expires_at=now + ttl,
        max_uses=options.get("max_uses"),
        allowed_scope=options.get("allowed_scope", ""),
        profile=options.get("profile"),
    )
    return value


async def register(
    http: httpx.AsyncClient, metadata: dict[str, Any], token: str | None = "initial"
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/register", json=metadata, headers=headers)


async def test_a_registered_client_signs_users_in_after_consent(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await initial_token(ctx)
    response = await register(client, APP)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_name"] == "Paie Partenaire"
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_secret"] and body["registration_access_token"]
    assert body["registration_client_uri"] == f"{ISSUER}/register/{body['client_id']}"
    stored = await ctx.store.clients.get(body["client_id"])
    assert stored is not None and not stored.first_party
    assert stored.registration_token_hash != body["registration_access_token"]  # hashed

    _, params = pkce_authorize_params(
        client_id=body["client_id"], redirect_uri=APP["redirect_uris"][0], scope="openid profile"
    )
    assert (await sign_in(client)).status_code == 303
    page = await client.get("/authorize", params=params)
    assert page.status_code == 200 and "Paie Partenaire" in page.text  # consent is asked
    answer = await consent(client, page)
    assert answer.status_code == 302 and "code=" in answer.headers["location"]


async def test_registration_is_audited(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await initial_token(ctx)
    body = (await register(client, APP)).json()
    auth = {"Authorization": f"Bearer {body['registration_access_token']}"}
    update = {k: v for k, v in body.items() if k in APP or k == "client_id"}
    update["client_name"] = "Paie Partenaire 2"
    assert (
        await client.put(body["registration_client_uri"], json=update, headers=auth)
    ).status_code == 200
    assert (await client.delete(body["registration_client_uri"], headers=auth)).status_code == 204
    events = await ctx.store.audit.list(
        kinds=("client_registered", "client_registration_updated", "client_registration_deleted")
    )
    assert [e.kind for e in events] == [
        "client_registration_deleted",
        "client_registration_updated",
        "client_registered",
    ]
    assert {e.client_id for e in events} == {body["client_id"]}


# -- the initial access token ----------------------------------------------------------------


async def test_no_initial_token_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await initial_token(ctx)
    assert_oauth_error(await register(client, APP, token=None), 401, "invalid_token")
    assert_oauth_error(await register(client, APP, token="not-the-token"), 401, "invalid_token")


async def test_an_expired_initial_token_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await initial_token(ctx, ttl=60)
    clock.advance(61)
    assert_oauth_error(await register(client, APP), 401, "invalid_token")


async def test_a_used_up_initial_token_is_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await initial_token(ctx, max_uses=2)
    assert (await register(client, APP)).status_code == 201
    refused = await register(client, {**APP, "redirect_uris": ["ftp://x"]})
    assert_oauth_error(refused, 400, "invalid_redirect_uri")  # a refused registration spends no use
    assert (await register(client, APP)).status_code == 201
    assert_oauth_error(await register(client, APP), 401, "invalid_token")


# -- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://payroll.example/callback",
        "https://payroll.example/callback#fragment",
        "com.example.app:/callback",
        "javascript:alert(1)",
    ],
)
async def test_forbidden_redirect_uris(
    client: httpx.AsyncClient, ctx: AppContext, uri: str
) -> None:
    await initial_token(ctx)
    assert_oauth_error(
        await register(client, {**APP, "redirect_uris": [uri]}), 400, "invalid_redirect_uri"
    )


async def test_loopback_redirect_uris_are_allowed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await initial_token(ctx)
    native = {
        **APP,
        "redirect_uris": ["http://127.0.0.1/callback"],
        "token_endpoint_auth_method": "none",
    }
    response = await register(client, native)
    assert response.status_code == 201, response.text
    assert "client_secret" not in response.json()


@pytest.mark.parametrize(
    "changes",
    [
        {"scope": "openid edi"},
        {"scope": "openid made-up"},
        {"grant_types": ["client_credentials"], "redirect_uris": []},
        {"grant_types": ["password"]},
        {"response_types": ["token"]},
        {"token_endpoint_auth_method": "client_secret_jwt"},
        {"client_name": ""},
        {"token_endpoint_auth_method": "private_key_jwt"},  # without keys
        {"jwks": public_set(new_key("k"))},  # keys without private_key_jwt
    ],
)
async def test_forbidden_metadata(
    client: httpx.AsyncClient, ctx: AppContext, changes: dict[str, Any]
) -> None:
    await initial_token(ctx)
    assert_oauth_error(await register(client, {**APP, **changes}), 400, "invalid_client_metadata")


async def test_edi_needs_an_initial_token_that_allows_it(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await initial_token(ctx, "edi-token", allowed_scope="edi")
    key = new_key("svc")
    service = {
        "client_name": "EDI gateway",
        "grant_types": ["client_credentials"],
        "scope": "edi",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": public_set(key),
    }
    response = await register(client, service, token="edi-token")
    assert response.status_code == 201, response.text
    client_id = response.json()["client_id"]
    assert "client_secret" not in response.json()
    form = {"grant_type": "client_credentials", "scope": "edi"}
    form.update(assertion_form(assertion(key, clock.now(), client_id=client_id)))
    token = await client.post("/token", data=form)
    assert token.status_code == 200, token.text


async def test_a_private_key_is_not_registered(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await initial_token(ctx)
    keys = {"keys": [new_key("k").as_dict(private=True)]}
    metadata = {**APP, "token_endpoint_auth_method": "private_key_jwt", "jwks": keys}
    assert_oauth_error(await register(client, metadata), 400, "invalid_client_metadata")


async def test_a_body_that_is_not_json_is_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await initial_token(ctx)
    response = await client.post(
        "/register", content=b"[1, 2", headers={"Authorization": "Bearer initial"}
    )
    assert_oauth_error(response, 400, "invalid_client_metadata")


# -- RFC 7592: read, update, delete ------------------------------------------------------------


async def registered(
    client: httpx.AsyncClient, ctx: AppContext
) -> tuple[dict[str, Any], dict[str, str]]:
    await initial_token(ctx)
    body = (await register(client, APP)).json()
    return body, {"Authorization": f"Bearer {body['registration_access_token']}"}


async def test_read(client: httpx.AsyncClient, ctx: AppContext) -> None:
    body, auth = await registered(client, ctx)
    read = await client.get(body["registration_client_uri"], headers=auth)
    assert read.status_code == 200, read.text
    got = read.json()
    assert got["client_id"] == body["client_id"]
    assert got["redirect_uris"] == APP["redirect_uris"]
    assert "client_secret" not in got


async def test_update_replaces_the_metadata_within_the_policy(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    body, auth = await registered(client, ctx)
    update = {
        **APP,
        "client_id": body["client_id"],
        "redirect_uris": ["https://payroll.example/v2"],
    }
    changed = await client.put(body["registration_client_uri"], json=update, headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["redirect_uris"] == ["https://payroll.example/v2"]
    cached = ctx.store.client_cache.get(body["client_id"])
    assert cached is not None and cached.redirect_uris == ("https://payroll.example/v2",)
    escalate = {**update, "scope": "openid edi"}
    assert_oauth_error(
        await client.put(body["registration_client_uri"], json=escalate, headers=auth),
        400,
        "invalid_client_metadata",
    )
    no_id = {k: v for k, v in update.items() if k != "client_id"}
    assert_oauth_error(
        await client.put(body["registration_client_uri"], json=no_id, headers=auth),
        400,
        "invalid_request",
    )


async def test_delete(client: httpx.AsyncClient, ctx: AppContext) -> None:
    body, auth = await registered(client, ctx)
    deleted = await client.delete(body["registration_client_uri"], headers=auth)
    assert deleted.status_code == 204
    assert await ctx.store.clients.get(body["client_id"]) is None
    assert ctx.store.client_cache.get(body["client_id"]) is None
    gone = await client.get(body["registration_client_uri"], headers=auth)
    assert_oauth_error(gone, 401, "invalid_token")


async def test_another_token_cannot_manage_the_client(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    body, auth = await registered(client, ctx)
    uri = body["registration_client_uri"]
    for headers in ({}, {"Authorization": "Bearer initial"}, {"Authorization": "Bearer x"}):
        assert_oauth_error(await client.get(uri, headers=headers), 401, "invalid_token")
        assert_oauth_error(await client.delete(uri, headers=headers), 401, "invalid_token")
    # A client registered by an administrator has no registration access token at all.
    assert_oauth_error(
        await client.get(f"{ISSUER}/register/partner-test", headers=auth), 401, "invalid_token"
    )
    assert await ctx.store.clients.get(body["client_id"]) is not None


async def test_discovery_advertises_the_registration_endpoint(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert metadata["registration_endpoint"] == f"{ISSUER}/register"


async def test_the_fapi2_profile_at_registration(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await initial_token(ctx)
    assert_oauth_error(
        await register(client, {**APP, "profile": "fapi2"}), 400, "invalid_client_metadata"
    )
    assert_oauth_error(
        await register(client, {**APP, "profile": "fapi9"}), 400, "invalid_client_metadata"
    )
    keyed = {
        **APP,
        "profile": "fapi2",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": public_set(new_key("k")),
    }
    response = await register(client, keyed)
    assert response.status_code == 201, response.text
    assert response.json()["require_pushed_authorization_requests"] is True
    stored = await ctx.store.clients.get(response.json()["client_id"])
    assert stored is not None and stored.profile == "fapi2"
    assert stored.require_pushed_authorization_requests


async def test_an_initial_token_can_impose_the_fapi2_profile(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await initial_token(ctx, "bank-token", profile="fapi2")
    assert_oauth_error(
        await register(client, APP, token="bank-token"), 400, "invalid_client_metadata"
    )
    keyed = {
        **APP,
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": public_set(new_key("k")),
    }
    response = await register(client, keyed, token="bank-token")
    assert response.status_code == 201, response.text
    assert response.json()["profile"] == "fapi2"
    stored = await ctx.store.clients.get(response.json()["client_id"])
    assert stored is not None and stored.profile == "fapi2"
