"""The FAPI 2.0 client profile (issue 16): a `fapi2` client is refused each shortcut this
provider checks — a front-channel request (no PAR), a client secret, a token request without
a DPoP proof, a code older than 60 s even where codes live longer — and gets no refresh
token."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from idp.app import create_app
from idp.cli import main
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.oauth.profiles import requires_dpop
from idp.settings import Settings
from tests.client_auth.helpers import assertion, assertion_form, new_key, public_set
from tests.dpop_keys import DPoPKey
from tests.oidc.helpers import consent
from tests.support import (
    PARTNER_ID,
    PARTNER_REDIRECT,
    PARTNER_SECRET,
    assert_oauth_error,
    cli_with_settings,
    pkce_authorize_params,
    query_of,
    redeem_form,
    seed,
    sign_in,
    stored_client,
)

FAPI_ID = "bank-fapi"
FAPI_REDIRECT = "https://bank.example/callback"
KEY = new_key("bank-1")


async def add_fapi_client(ctx: AppContext, *, secret: str | None = None) -> None:
    await ctx.store.clients.add(
        client_id=FAPI_ID,
        name="Bank",
        public=False,
        secret=secret,
        redirect_uris=[FAPI_REDIRECT],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code", "refresh_token"],
        scope="openid profile offline_access",
        first_party=True,
        now=ctx.clock.now(),
        auth_method="client_secret_basic" if secret else "private_key_jwt",
        jwks=None if secret else public_set(KEY),
        profile="fapi2",
        require_pushed_authorization_requests=True,
    )
    await ctx.store.client_cache.refresh()


def fapi_params() -> tuple[str, dict[str, str]]:
    return pkce_authorize_params(
        client_id=FAPI_ID, redirect_uri=FAPI_REDIRECT, scope="openid profile offline_access"
    )


async def fapi_code(http: httpx.AsyncClient, now: float) -> tuple[str, str]:
    verifier, params = fapi_params()
    pushed = await http.post(
        "/par", data={**params, **assertion_form(assertion(KEY, now, client_id=FAPI_ID))}
    )
    assert pushed.status_code == 201, pushed.text
    front = {"client_id": FAPI_ID, "request_uri": pushed.json()["request_uri"]}
    answer = await http.get("/authorize", params=front)
    assert answer.status_code == 302, answer.text
    got = query_of(answer.headers["location"])
    assert got["iss"] == "http://127.0.0.1:8000"
    return got["code"], verifier


def fapi_redeem_form(code: str, verifier: str, now: float) -> dict[str, str]:
    """The bank's token request: its client assertion instead of a client_id."""
    signed = assertion(KEY, now, client_id=FAPI_ID)
    return redeem_form(
        code, verifier, client_id=None, redirect_uri=FAPI_REDIRECT, **assertion_form(signed)
    )


@pytest.fixture
async def fapi(ctx: AppContext, client: httpx.AsyncClient) -> None:
    await seed(ctx)
    await add_fapi_client(ctx)
    assert (await sign_in(client)).status_code == 303


async def test_a_fapi2_client_signs_in_with_par_and_private_key_jwt(
    client: httpx.AsyncClient, fapi: None, clock: FrozenClock
) -> None:
    code, verifier = await fapi_code(client, clock.now())
    key = DPoPKey()
    proof = {"DPoP": key.proof("POST", "http://127.0.0.1:8000/token")}
    token = await client.post(
        "/token", data=fapi_redeem_form(code, verifier, clock.now()), headers=proof
    )
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "DPoP"  # sender-constrained
    assert "refresh_token" not in token.json()  # FAPI 2.0 §5.3.2.1 allows none


async def test_no_dpop_proof_is_refused(
    client: httpx.AsyncClient, fapi: None, clock: FrozenClock
) -> None:
    code, verifier = await fapi_code(client, clock.now())
    refused = await client.post("/token", data=fapi_redeem_form(code, verifier, clock.now()))
    assert_oauth_error(refused, 400, "invalid_dpop_proof")


async def test_no_par_is_refused(client: httpx.AsyncClient, fapi: None) -> None:
    _, params = fapi_params()
    refused = await client.get("/authorize", params=params)
    assert refused.status_code == 302
    got = query_of(refused.headers["location"])
    assert got["error"] == "invalid_request" and "code" not in got


async def test_a_client_secret_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await seed(ctx)
    await add_fapi_client(ctx, secret="bank-secret")  # a profile set on a secret client
    _, params = fapi_params()
    pushed = await client.post("/par", data=params, auth=(FAPI_ID, "bank-secret"))
    assert_oauth_error(pushed, 401, "invalid_client")
    posted = await client.post("/par", data={**params, "client_secret": "bank-secret"})
    assert posted.json()["error"] == "invalid_client"


async def test_requires_dpop_names_fapi2_clients(ctx: AppContext, fapi: None) -> None:
    fapi_client = ctx.store.client_cache.get(FAPI_ID)
    partner = ctx.store.client_cache.get(PARTNER_ID)
    assert fapi_client is not None and partner is not None
    assert requires_dpop(fapi_client) and not requires_dpop(partner)


@pytest.fixture
async def long_codes_client(
    settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[AppContext, httpx.AsyncClient]]:
    lifetimes = dataclasses.replace(settings.lifetimes, authorization_code=600)
    app = create_app(dataclasses.replace(settings, lifetimes=lifetimes), clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
            yield app.state.ctx, http


async def test_code_lifetime_is_capped_for_fapi2_only(
    long_codes_client: tuple[AppContext, httpx.AsyncClient], clock: FrozenClock
) -> None:
    ctx, http = long_codes_client
    await seed(ctx)
    await add_fapi_client(ctx)
    assert (await sign_in(http)).status_code == 303
    code, verifier = await fapi_code(http, clock.now())

    partner_verifier, params = pkce_authorize_params(
        client_id=PARTNER_ID, redirect_uri=PARTNER_REDIRECT, scope="openid"
    )
    page = await http.get("/authorize", params=params)
    partner_code = query_of((await consent(http, page)).headers["location"])["code"]

    clock.advance(61)
    proof = DPoPKey().proof("POST", "http://127.0.0.1:8000/token", iat=clock.now())
    late = await http.post(
        "/token", data=fapi_redeem_form(code, verifier, clock.now()), headers={"DPoP": proof}
    )
    assert_oauth_error(late, 400, "invalid_grant")
    partner = await http.post(
        "/token",
        data=redeem_form(
            partner_code, partner_verifier, client_id=None, redirect_uri=PARTNER_REDIRECT
        ),
        auth=(PARTNER_ID, PARTNER_SECRET),
    )
    assert partner.status_code == 200, partner.text  # ordinary clients keep the 600 s


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return cli_with_settings(monkeypatch, settings)


def test_clients_add_profile_fapi2(cli_env: Settings, tmp_path: Path) -> None:
    base = ["clients", "add", "--name", "Bank", "--confidential", "--redirect-uri", FAPI_REDIRECT]
    refused = CliRunner().invoke(main, [*base, "--profile", "fapi2"])
    assert refused.exit_code == 2 and "private_key_jwt" in refused.output
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(public_set(KEY)))
    added = CliRunner().invoke(
        main, [*base, "--profile", "fapi2", "--jwks", str(keys), "--client-id", "bank"]
    )
    assert added.exit_code == 0, added.output
    assert "client_secret" not in added.output

    record = stored_client(cli_env, "bank")
    assert (record.profile, record.require_pushed_authorization_requests) == ("fapi2", True)
