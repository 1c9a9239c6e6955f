"""/authorize (issue 15): request objects refused, response modes, prompt values,
`id_token_hint`, each redirected to the client only once its redirect URI is known."""

from __future__ import annotations

import html
import time

import httpx
import pytest
from joserfc import jwt

from idp.context import AppContext
from tests.lifecycle.helpers import sign_in_tokens
from tests.oidc.helpers import assert_error_page, hidden_fields
from tests.support import (
    NATIVE_REDIRECT,
    Seeded,
    authorization_code,
    pkce_authorize_params,
    query_of,
    sign_in,
)

ISSUER = "http://127.0.0.1:8000"


def params(**extra: str) -> dict[str, str]:
    return pkce_authorize_params(**extra)[1]


async def signed_in(client: httpx.AsyncClient) -> None:
    assert (await sign_in(client)).status_code == 303


def error_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(NATIVE_REDIRECT), location
    return query_of(location)


# -- request objects (OIDC Core §6) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")],
)
async def test_request_objects_are_refused_to_the_client(
    client: httpx.AsyncClient, seeded: Seeded, name: str, error: str
) -> None:
    await signed_in(client)
    sent = params(**{name: "eyJhbGciOiJub25lIn0.e30."})
    got = error_of(await client.get("/authorize", params=sent))
    assert got["error"] == error
    assert got["state"] == sent["state"]
    assert got["iss"] == ISSUER
    assert "code" not in got


@pytest.mark.parametrize("name", ["request", "request_uri"])
async def test_request_object_with_an_unregistered_redirect_never_redirects(
    client: httpx.AsyncClient, seeded: Seeded, name: str
) -> None:
    await signed_in(client)
    sent = params(**{name: "x"}, redirect_uri="https://evil.example/callback")
    assert_error_page(await client.get("/authorize", params=sent))


async def test_request_objects_refused_before_sign_in(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    got = error_of(await client.get("/authorize", params=params(request="x")))
    assert got["error"] == "request_not_supported"


# -- response_mode -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fragment", "query.jwt", "form_post.jwt", "bogus", ""])
async def test_unsupported_response_modes_are_refused(
    client: httpx.AsyncClient, seeded: Seeded, mode: str
) -> None:
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(response_mode=mode)))
    assert got["error"] == "invalid_request"
    assert "response_mode" in got["error_description"]


async def test_query_response_mode_is_the_default(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(response_mode="query")))
    assert "code" in got


async def test_form_post_posts_the_code_to_the_client(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await signed_in(client)
    sent = params(response_mode="form_post")
    response = await client.get("/authorize", params=sent)
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    page = response.text
    assert f'<form method="post" action="{NATIVE_REDIRECT}"' in page
    fields = dict(hidden_fields(page))
    assert set(fields) == {"code", "state", "iss"}
    assert fields["state"] == sent["state"]
    # Scripts on: an external script submits it (the CSP forbids inline scripts); off: a button.
    assert '<script src="/static/form_post.js"></script>' in page
    assert "<script>" not in page
    assert '<button type="submit">' in page
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "http:" in csp.split("form-action")[1].split(";")[0]
    script = await client.get("/static/form_post.js")
    assert script.status_code == 200
    assert "submit()" in script.text


async def test_form_post_carries_errors_too(client: httpx.AsyncClient, seeded: Seeded) -> None:
    await signed_in(client)
    response = await client.get(
        "/authorize", params=params(response_mode="form_post", prompt="bogus")
    )
    assert response.status_code == 200
    fields = dict(hidden_fields(response.text))
    assert fields["error"] == "invalid_request"
    assert "code" not in fields


async def test_form_post_is_not_for_a_private_use_scheme(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    await ctx.store.clients.add(
        client_id="mobile",
        name="Mobile",
        public=True,
        redirect_uris=["com.example.app:/callback"],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code"],
        scope="openid",
        first_party=True,
        now=ctx.clock.now(),
    )
    await ctx.store.client_cache.refresh()
    await signed_in(client)
    sent = params(
        response_mode="form_post", client_id="mobile", redirect_uri="com.example.app:/callback"
    )
    response = await client.get("/authorize", params=sent)
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "invalid_request"


# -- prompt ------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["select_account", "bogus", "login bogus", "none login"])
async def test_unknown_or_conflicting_prompts_are_refused(
    client: httpx.AsyncClient, seeded: Seeded, prompt: str
) -> None:
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(prompt=prompt)))
    assert got["error"] == "invalid_request"


async def test_prompt_consent_shows_consent_to_a_first_party_client(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await signed_in(client)
    plain = await client.get("/authorize", params=params())
    assert plain.status_code == 302  # first-party: no consent page by default
    response = await client.get("/authorize", params=params(prompt="consent"))
    assert response.status_code == 200
    assert 'name="decision"' in response.text


async def test_prompt_consent_with_none_is_refused(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(prompt="consent none")))
    assert got["error"] == "invalid_request"


# -- id_token_hint (OIDC Core §3.1.2.1) ---------------------------------------------------------


async def other_user_hint(ctx: AppContext) -> tuple[str, str]:
    """An ID token we signed for another user, and that user's email."""
    user = await ctx.store.users.add(
        email="paul.durand@example.com",
        name="Paul Durand",
        password_hash="x",
        email_verified=True,
        now=ctx.clock.now(),
    )
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": user.id, "aud": "desktop-test", "iat": now, "exp": now + 60}
    key = ctx.keys.key_for("RS256")
    token = jwt.encode({"alg": "RS256", "kid": ctx.keys.kid_for("RS256")}, claims, key)
    return token, user.email


async def test_hint_for_the_signed_in_user_gives_a_code(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    tokens = await sign_in_tokens(client)
    got = error_of(
        await client.get(
            "/authorize", params=params(id_token_hint=tokens["id_token"], prompt="none")
        )
    )
    assert "code" in got


async def test_expired_hint_is_accepted(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": seeded.user_id,
        "aud": "x",
        "iat": now - 7200,
        "exp": now - 3600,
    }
    hint = jwt.encode(
        {"alg": "ES256", "kid": ctx.keys.kid_for("ES256")}, claims, ctx.keys.key_for("ES256")
    )
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(id_token_hint=hint)))
    assert "code" in got


async def test_hint_for_another_user_with_prompt_none_is_login_required(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    hint, _ = await other_user_hint(ctx)
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(id_token_hint=hint, prompt="none")))
    assert got["error"] == "login_required"
    assert "code" not in got


async def test_hint_for_another_user_prefills_the_sign_in_page(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    hint, email = await other_user_hint(ctx)
    await signed_in(client)
    response = await client.get("/authorize", params=params(id_token_hint=hint))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?")
    page = await client.get(response.headers["location"])
    assert f'value="{email}"' in page.text
    # The request resumes without the hint: whoever signs in now gets the code.
    following = html.unescape(query_of(response.headers["location"])["next"])
    assert "id_token_hint" not in following


async def test_hint_without_session_prefills_too(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    hint, email = await other_user_hint(ctx)
    response = await client.get("/authorize", params=params(id_token_hint=hint))
    page = await client.get(response.headers["location"])
    assert f'value="{email}"' in page.text


@pytest.mark.parametrize(
    "hint", ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."], ids=str
)
async def test_unverifiable_hints_are_invalid_requests(
    client: httpx.AsyncClient, seeded: Seeded, hint: str
) -> None:
    await signed_in(client)
    got = error_of(await client.get("/authorize", params=params(id_token_hint=hint)))
    assert got["error"] == "invalid_request"


async def test_hints_signed_by_others_or_for_another_issuer_are_refused(
    client: httpx.AsyncClient, seeded: Seeded, ctx: AppContext
) -> None:
    from joserfc.jwk import ECKey

    now = int(time.time())
    claims = {"iss": ISSUER, "sub": seeded.user_id, "aud": "x", "iat": now, "exp": now + 60}
    stranger = ECKey.generate_key("P-256")
    foreign_key = jwt.encode({"alg": "ES256"}, claims, stranger)
    other_issuer = jwt.encode(
        {"alg": "ES256", "kid": ctx.keys.kid_for("ES256")},
        {**claims, "iss": "https://evil.example"},
        ctx.keys.key_for("ES256"),
    )
    await signed_in(client)
    tokens = await sign_in_tokens(client)
    for hint in (foreign_key, other_issuer, tokens["access_token"]):
        got = error_of(await client.get("/authorize", params=params(id_token_hint=hint)))
        assert got["error"] == "invalid_request"


async def test_hint_with_an_unregistered_redirect_shows_a_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    sent = params(id_token_hint="not-a-jwt", redirect_uri="https://evil.example/cb")
    assert_error_page(await client.get("/authorize", params=sent))


async def test_code_flow_still_reaches_the_client(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    response = await authorization_code(client, params())
    assert "code" in error_of(response)
