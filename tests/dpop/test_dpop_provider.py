"""DPoP (RFC 9449) at the provider: the token endpoint, userinfo and the submissions API.

A negative matrix at each endpoint (a proof missing, by another key, for another method or
URL, too old or from the future, replayed, unsigned, symmetric, with a wrong `ath`, or with
an `ath` at the token endpoint), the binding itself (`token_type: DPoP`, `cnf.jkt`, the
refresh token bound to the first proof's key), clients that require DPoP, and server nonces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from starlette.applications import Starlette

from idp.app import create_app
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.settings import Settings
from idp.store.tables import grants
from tests.dpop_keys import DPoPKey, symmetric_proof, unsigned_proof
from tests.lifecycle.helpers import basic, introspect, refresh, sign_in_tokens
from tests.support import NATIVE_ID, Seeded, assert_oauth_error, seed

SCOPE = "openid profile email offline_access edi"
ISSUER = "http://127.0.0.1:8000"
TOKEN = f"{ISSUER}/token"
USERINFO = f"{ISSUER}/userinfo"
API = f"{ISSUER}/api/v1/submissions"


def access_claims(ctx: AppContext, token: str) -> dict[str, Any]:
    keys = KeySet(list(ctx.keys.verifying.values()))
    return dict(jwt.decode(token, keys).claims)


async def bound_tokens(client: httpx.AsyncClient, key: DPoPKey) -> dict[str, Any]:
    return await sign_in_tokens(client, dpop=key, scope=SCOPE)


# -- the binding --------------------------------------------------------------------------------


async def test_a_proof_at_sign_in_binds_the_access_and_refresh_tokens(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    key = DPoPKey()
    tokens = await bound_tokens(client, key)
    assert tokens["token_type"] == "DPoP"
    assert access_claims(ctx, tokens["access_token"])["cnf"] == {"jkt": key.jkt}
    async with ctx.store.db.read() as c:
        assert (await c.execute(select(grants.c.dpop_jkt))).scalar_one() == key.jkt
    # RFC 9449 §6.2: introspection tells a resource server the key.
    introspected = await introspect(client, tokens["access_token"])
    assert introspected["token_type"] == "DPoP"
    assert introspected["cnf"] == {"jkt": key.jkt}
    refreshed = await refresh(client, tokens["refresh_token"], dpop=key)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["token_type"] == "DPoP"
    assert access_claims(ctx, refreshed.json()["access_token"])["cnf"] == {"jkt": key.jkt}


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "Ed25519", "RS256", "PS256"])
async def test_every_advertised_algorithm_is_accepted(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, alg: str
) -> None:
    key = DPoPKey(alg)
    tokens = await bound_tokens(client, key)
    assert access_claims(ctx, tokens["access_token"])["cnf"] == {"jkt": key.jkt}
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert alg in metadata["dpop_signing_alg_values_supported"]


async def test_without_a_proof_tokens_stay_bearer(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client, scope=SCOPE)
    assert tokens["token_type"] == "Bearer"
    assert "cnf" not in access_claims(ctx, tokens["access_token"])
    userinfo = await client.get("/userinfo", headers=auth("Bearer", tokens["access_token"]))
    assert userinfo.status_code == 200
    # A bearer token is not sent under the DPoP scheme.
    key = DPoPKey()
    headers = {
        **auth("DPoP", tokens["access_token"]),
        "DPoP": key.proof("GET", USERINFO, access_token=tokens["access_token"]),
    }
    refused = await client.get("/userinfo", headers=headers)
    assert_oauth_error(refused, 401, "invalid_token")


# -- the token endpoint's matrix ----------------------------------------------------------------

Broken = Callable[[DPoPKey, float], str]

TOKEN_MATRIX: dict[str, Broken] = {
    "wrong htm": lambda key, now: key.proof("GET", TOKEN),
    "wrong htu": lambda key, now: key.proof("POST", f"{ISSUER}/userinfo"),
    "htu of another host": lambda key, now: key.proof("POST", "https://evil.example/token"),
    "stale iat": lambda key, now: key.proof("POST", TOKEN, iat=now - 120),
    "future iat": lambda key, now: key.proof("POST", TOKEN, iat=now + 60),
    "alg none": lambda key, now: unsigned_proof("POST", TOKEN),
    "symmetric alg": lambda key, now: symmetric_proof("POST", TOKEN),
    "typ jwt": lambda key, now: key.proof("POST", TOKEN, header={"typ": "JWT"}),
    "private jwk": lambda key, now: key.proof(
        "POST", TOKEN, header={"jwk": key.key.as_dict(private=True)}
    ),
    "ath at the token endpoint": lambda key, now: key.proof("POST", TOKEN, access_token="x.y.z"),
    "no jti": lambda key, now: key.proof("POST", TOKEN, claims={"jti": ""}),
    "not a JWT": lambda key, now: "not-a-proof",
}


@pytest.mark.parametrize("case", sorted(TOKEN_MATRIX))
async def test_token_endpoint_refuses_a_bad_proof(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, seeded: Seeded, case: str
) -> None:
    key = DPoPKey()
    tokens = await bound_tokens(client, key)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    form["client_id"] = NATIVE_ID
    proof = TOKEN_MATRIX[case](key, clock.now())
    response = await client.post("/token", data=form, headers={"DPoP": proof})
    assert_oauth_error(response, 400, "invalid_dpop_proof")
    # Nothing was rotated: the right proof still refreshes.
    assert (await refresh(client, tokens["refresh_token"], dpop=key)).status_code == 200


async def test_token_endpoint_refuses_a_replayed_proof(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    key = DPoPKey()
    tokens = await bound_tokens(client, key)
    proof = key.proof("POST", TOKEN)
    form = {"grant_type": "refresh_token", "client_id": NATIVE_ID}
    first = await client.post(
        "/token", data={**form, "refresh_token": tokens["refresh_token"]}, headers={"DPoP": proof}
    )
    assert first.status_code == 200, first.text
    again = await client.post(
        "/token",
        data={**form, "refresh_token": first.json()["refresh_token"]},
        headers={"DPoP": proof},
    )
    assert_oauth_error(again, 400, "invalid_dpop_proof")


async def test_a_bound_refresh_token_needs_its_key(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    """RFC 9449 §5: without a proof, or with another key → `invalid_grant`; nothing rotates."""
    key = DPoPKey()
    tokens = await bound_tokens(client, key)
    no_proof = await refresh(client, tokens["refresh_token"])
    assert_oauth_error(no_proof, 400, "invalid_grant")
    other = await refresh(client, tokens["refresh_token"], dpop=DPoPKey())
    assert_oauth_error(other, 400, "invalid_grant")
    async with ctx.store.db.read() as c:
        assert (await c.execute(select(grants.c.revoked_at))).scalar_one() is None
    assert (await refresh(client, tokens["refresh_token"], dpop=key)).status_code == 200


async def test_two_dpop_headers_are_refused(client: httpx.AsyncClient, seeded: Seeded) -> None:
    key = DPoPKey()
    tokens = await bound_tokens(client, key)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": NATIVE_ID,
    }
    headers = [("DPoP", key.proof("POST", TOKEN)), ("DPoP", key.proof("POST", TOKEN))]
    response = await client.post("/token", data=form, headers=headers)
    assert_oauth_error(response, 400, "invalid_dpop_proof")


async def test_a_client_that_requires_dpop(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    """RFC 9449 §5.2 `dpop_bound_access_tokens` (`clients add --require-dpop`)."""
    await ctx.store.clients.add(
        client_id="dpop-service",
        name="DPoP service",
        public=False,
        secret="s3cret-s3cret-s3cret",
        redirect_uris=[],
        post_logout_redirect_uris=[],
        grant_types=["client_credentials"],
        scope="edi",
        first_party=False,
        now=ctx.clock.now(),
        require_dpop=True,
    )
    await ctx.store.client_cache.refresh()
    headers = basic("dpop-service", "s3cret-s3cret-s3cret")
    form = {"grant_type": "client_credentials"}
    bearer = await client.post("/token", data=form, headers=headers)
    assert_oauth_error(bearer, 400, "invalid_dpop_proof")
    key = DPoPKey()
    bound = await client.post(
        "/token", data=form, headers={**headers, "DPoP": key.proof("POST", TOKEN)}
    )
    assert bound.status_code == 200, bound.text
    assert bound.json()["token_type"] == "DPoP"
    assert access_claims(ctx, bound.json()["access_token"])["cnf"] == {"jkt": key.jkt}


# -- the resource servers' matrix ---------------------------------------------------------------


def auth(scheme: str, token: str) -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


ResourceCase = Callable[[DPoPKey, str, str, float], dict[str, str]]


def _dpop(proof: str, token: str) -> dict[str, str]:
    return {**auth("DPoP", token), "DPoP": proof}


RESOURCE_MATRIX: dict[str, tuple[ResourceCase, str]] = {
    "bearer use of a bound token": (lambda k, url, t, now: auth("Bearer", t), "invalid_token"),
    "no proof": (lambda k, url, t, now: auth("DPoP", t), "invalid_dpop_proof"),
    "another key": (
        lambda k, url, t, now: _dpop(DPoPKey().proof("GET", url, access_token=t), t),
        "invalid_dpop_proof",
    ),
    "wrong htm": (
        lambda k, url, t, now: _dpop(k.proof("POST", url, access_token=t), t),
        "invalid_dpop_proof",
    ),
    "wrong htu": (
        lambda k, url, t, now: _dpop(k.proof("GET", TOKEN, access_token=t), t),
        "invalid_dpop_proof",
    ),
    "stale iat": (
        lambda k, url, t, now: _dpop(k.proof("GET", url, access_token=t, iat=now - 120), t),
        "invalid_dpop_proof",
    ),
    "future iat": (
        lambda k, url, t, now: _dpop(k.proof("GET", url, access_token=t, iat=now + 60), t),
        "invalid_dpop_proof",
    ),
    "alg none": (lambda k, url, t, now: _dpop(unsigned_proof("GET", url), t), "invalid_dpop_proof"),
    "symmetric alg": (
        lambda k, url, t, now: _dpop(symmetric_proof("GET", url), t),
        "invalid_dpop_proof",
    ),
    "wrong ath": (
        lambda k, url, t, now: _dpop(k.proof("GET", url, access_token=t + "x"), t),
        "invalid_dpop_proof",
    ),
    "no ath": (lambda k, url, t, now: _dpop(k.proof("GET", url), t), "invalid_dpop_proof"),
}


@pytest.mark.parametrize("case", sorted(RESOURCE_MATRIX))
@pytest.mark.parametrize("resource", ["userinfo", "api"])
async def test_resource_refuses_a_bad_proof(
    client: httpx.AsyncClient,
    clock: FrozenClock,
    seeded: Seeded,
    case: str,
    resource: str,
) -> None:
    key = DPoPKey()
    token = (await bound_tokens(client, key))["access_token"]
    url = USERINFO if resource == "userinfo" else API
    make, error = RESOURCE_MATRIX[case]
    response = await client.get(url, headers=make(key, url, token, clock.now()))
    assert response.status_code == 401, response.text
    body = response.json()
    code = body.get("error") or str(body.get("type", "")).rsplit("/", 1)[-1].replace("-", "_")
    assert code == error, body
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("DPoP ") and f'error="{error}"' in challenge
    # The right proof still works (nothing was spent by the refusal but its own `jti`).
    good = await client.get(url, headers=_dpop(key.proof("GET", url, access_token=token), token))
    assert good.status_code == 200, good.text


@pytest.mark.parametrize("resource", ["userinfo", "api"])
async def test_resource_refuses_a_replayed_proof(
    client: httpx.AsyncClient, seeded: Seeded, resource: str
) -> None:
    key = DPoPKey()
    token = (await bound_tokens(client, key))["access_token"]
    url = USERINFO if resource == "userinfo" else API
    headers = _dpop(key.proof("GET", url, access_token=token), token)
    assert (await client.get(url, headers=headers)).status_code == 200
    replayed = await client.get(url, headers=headers)
    assert replayed.status_code == 401
    assert 'error="invalid_dpop_proof"' in replayed.headers["www-authenticate"]


async def test_userinfo_by_post_with_a_proof(client: httpx.AsyncClient, seeded: Seeded) -> None:
    key = DPoPKey()
    token = (await bound_tokens(client, key))["access_token"]
    response = await client.post(
        "/userinfo", headers=_dpop(key.proof("POST", USERINFO, access_token=token), token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "marie.martin@example.com"


# -- server nonces ------------------------------------------------------------------------------


@pytest.fixture
async def nonce_client(
    settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    application: Starlette = create_app(settings.replace(dpop_nonce=True), clock)
    async with application.router.lifespan_context(application):
        await seed(application.state.ctx)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
            yield http, application.state.ctx


async def test_nonce_challenge_and_retry(
    nonce_client: tuple[httpx.AsyncClient, AppContext],
) -> None:
    """RFC 9449 §8 and §9: `use_dpop_nonce` with a `DPoP-Nonce`, then the retry succeeds."""
    http, _ = nonce_client
    key = DPoPKey()
    # The code exchange: a proof without a nonce is challenged, the code is not spent.
    with pytest.raises(AssertionError, match="use_dpop_nonce"):
        await sign_in_tokens(http, dpop=key, scope=SCOPE)
    challenged = await http.post(
        "/token", data={"grant_type": "refresh_token"}, headers={"DPoP": key.proof("POST", TOKEN)}
    )
    key.nonce = challenged.headers["dpop-nonce"]
    tokens = await sign_in_tokens(http, dpop=key, scope=SCOPE)
    key.nonce = None
    assert tokens["token_type"] == "DPoP"
    # A refresh: challenged, then retried with the nonce.
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": NATIVE_ID,
    }
    challenged = await http.post("/token", data=form, headers={"DPoP": key.proof("POST", TOKEN)})
    assert_oauth_error(challenged, 400, "use_dpop_nonce")
    nonce = challenged.headers["dpop-nonce"]
    retried = await http.post(
        "/token", data=form, headers={"DPoP": key.proof("POST", TOKEN, nonce=nonce)}
    )
    assert retried.status_code == 200, retried.text
    # Userinfo: 401 with a `DPoP` challenge and the nonce, then the retry.
    token = retried.json()["access_token"]
    first = await http.get(
        "/userinfo", headers=_dpop(key.proof("GET", USERINFO, access_token=token), token)
    )
    assert first.status_code == 401
    assert 'error="use_dpop_nonce"' in first.headers["www-authenticate"]
    nonce = first.headers["dpop-nonce"]
    proof = key.proof("GET", USERINFO, access_token=token, nonce=nonce)
    assert (await http.get("/userinfo", headers=_dpop(proof, token))).status_code == 200
    # A made-up nonce is no nonce.
    forged = key.proof("GET", USERINFO, access_token=token, nonce=nonce + "x")
    assert (await http.get("/userinfo", headers=_dpop(forged, token))).status_code == 401
