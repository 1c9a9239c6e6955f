"""Who requires a second factor (issue 17): a client registered `--require-mfa`, `acr_values`
naming the MFA level, a customer's administrator; the device flow's browser part too."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.domain.referencing import Method, NewMembership
from idp.domain.second_factor import ACR_MFA, ACR_VALUES
from idp.store.records import UserRecord
from shared.scopes import DEVICE_CODE_GRANT
from tests.referencing.helpers import (
    BOULANGERIE,
    PHARMACIE,
    browser_signed_in,
    import_customers,
)
from tests.second_factor.helpers import (
    code_at,
    enrol_app,
    give_second_factor,
    id_claims,
    recovery_codes_on_page,
    redeem,
    secret_on_page,
)
from tests.support import (
    NATIVE_REDIRECT,
    Seeded,
    authorize_params,
    csrf_of,
    pkce_authorize_params,
    pkce_pair,
    query_of,
    sign_in,
)

MFA_CLIENT = "desktop-mfa"
PASSWORD = "Pharmacie-Marche-2026"


@pytest.fixture
async def mfa_client(ctx: AppContext, seeded: Seeded) -> str:
    await ctx.store.clients.add(
        client_id=MFA_CLIENT,
        name="Banking app",
        public=True,
        redirect_uris=[NATIVE_REDIRECT],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
        scope="openid profile email offline_access",
        first_party=True,
        now=ctx.clock.now(),
        require_mfa=True,
    )
    await ctx.store.client_cache.refresh()
    return MFA_CLIENT


def _next_of(location: str) -> str:
    return unquote(query_of(location)["next"])


async def _enrol_when_asked(
    client: httpx.AsyncClient, location: str, clock: FrozenClock
) -> httpx.Response:
    """The enrolment step of the journey: scan, confirm, save the codes, continue."""
    assert urlsplit(location).path == "/account/security/app", location
    assert query_of(location)["required"] == "1"
    page = await client.get(location)
    assert "exige la double authentification" in page.text
    token = page.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    done = await client.post(
        "/account/security/app",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token,
            "code": code_at(secret_on_page(page.text), clock.now()),
            "next": query_of(location)["next"],
            "required": "1",
        },
    )
    assert done.status_code == 200 and len(recovery_codes_on_page(done.text)) == 10
    following = done.text.split('class="button" href="', 1)[1].split('"', 1)[0]
    return await client.get(following.replace("&amp;", "&"))


async def test_a_client_requiring_mfa_asks_an_enrolled_user_for_the_code(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, mfa_client: str
) -> None:
    secret = await enrol_app(ctx, seeded.user_id)
    verifier, params = pkce_authorize_params(client_id=mfa_client)
    start = await client.get("/authorize", params=params)
    following = _next_of(start.headers["location"])
    password = await sign_in(client, following=following)
    assert password.headers["location"].startswith("/signin/second-factor")
    done = await give_second_factor(client, following, code_at(secret, ctx.clock.now()))
    final = await client.get(done.headers["location"])
    assert final.status_code == 302 and "code=" in final.headers["location"]
    body = await redeem(client, final.headers["location"], verifier, client_id=mfa_client)
    claims = await id_claims(client, body["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == ACR_MFA


async def test_a_client_requiring_mfa_sends_a_user_without_a_factor_to_enrol(
    client: httpx.AsyncClient,
    ctx: AppContext,
    seeded: Seeded,
    mfa_client: str,
    clock: FrozenClock,
) -> None:
    verifier, params = pkce_authorize_params(client_id=mfa_client)
    start = await client.get("/authorize", params=params)
    password = await sign_in(client, following=_next_of(start.headers["location"]))
    resumed = await client.get(password.headers["location"])
    assert resumed.status_code == 303
    final = await _enrol_when_asked(client, resumed.headers["location"], clock)
    assert final.status_code == 302 and "code=" in final.headers["location"]
    body = await redeem(client, final.headers["location"], verifier, client_id=mfa_client)
    claims = await id_claims(client, body["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == ACR_MFA
    # prompt=none cannot ask for it: a fresh password-only browser gets interaction_required.
    client.cookies.clear()
    await ctx.store.factors.remove_all(seeded.user_id)
    await sign_in(client)
    silent = await client.get("/authorize", params={**params, "prompt": "none"})
    assert query_of(silent.headers["location"])["error"] == "interaction_required"


async def test_acr_values_naming_the_mfa_level_step_up_a_password_session(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await sign_in(client)  # password only: no factor yet
    secret = await enrol_app(ctx, seeded.user_id)
    verifier, challenge = pkce_pair()
    plain = await client.get("/authorize", params=authorize_params(challenge=challenge))
    assert plain.status_code == 302  # the password session is enough for this request
    params = authorize_params(challenge=challenge, acr_values=ACR_MFA)
    asked = await client.get("/authorize", params=params)
    assert asked.headers["location"].startswith("/signin/second-factor")
    stepped = await give_second_factor(
        client, _next_of(asked.headers["location"]), code_at(secret, ctx.clock.now())
    )
    final = await client.get(stepped.headers["location"])
    body = await redeem(client, final.headers["location"], verifier)
    claims = await id_claims(client, body["id_token"])
    assert claims["acr"] == ACR_MFA and "mfa" in claims["amr"]


async def test_discovery_names_the_levels(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert metadata["acr_values_supported"] == list(ACR_VALUES)
    assert {"acr", "amr"} <= set(metadata["claims_supported"])


async def _member(ctx: AppContext, email: str, customer: str) -> UserRecord:
    now = ctx.clock.now()
    user = await ctx.store.users.add(
        email=email,
        name="Membre",
        password_hash=await ctx.passwords.hash(PASSWORD),
        email_verified=True,
        now=now,
    )
    default = next(p for p in await ctx.store.customers.profiles_of(customer) if p.is_default)
    await ctx.store.customers.reference(
        user.id, [NewMembership(customer, default.id, Method.ADMIN)], now
    )
    return user


async def test_the_administrators_requirement_applies_to_members_at_next_sign_in(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    admin = await _member(ctx, "admin.pharmacie@example.com", PHARMACIE)
    await ctx.store.customers.become_administrator(PHARMACIE, admin.id, ctx.clock.now())
    member = await _member(ctx, "member.pharmacie@example.com", PHARMACIE)
    other = await _member(ctx, "member.boulangerie@example.com", BOULANGERIE)

    await sign_in(client, admin.email, PASSWORD, "/portal")
    page = await client.get(f"/portal/admin/{PHARMACIE}")
    assert "Exiger une double authentification" in page.text
    ticked = await client.post(
        f"/portal/admin/{PHARMACIE}/security",
        data={"csrf_token": csrf_of(page.text), "require_mfa": "on"},
    )
    assert ticked.headers["location"].endswith("?done=mfa_required")
    assert await ctx.store.factors.customer_requires(PHARMACIE)
    assert not await ctx.store.factors.customer_requires(BOULANGERIE)
    # The administrator too, before the administration pages again.
    admin_again = await client.get(f"/portal/admin/{PHARMACIE}")
    assert urlsplit(admin_again.headers["location"]).path == "/account/security/app"

    client.cookies.clear()
    to_enrol = await sign_in(client, member.email, PASSWORD, "/portal")
    assert urlsplit(to_enrol.headers["location"]).path == "/account/security/app"
    arrived = await _enrol_when_asked(client, to_enrol.headers["location"], clock)
    assert arrived.status_code == 200  # the portal, reached once enrolled
    assert (await ctx.store.factors.of_user(member.id)).enrolled

    client.cookies.clear()
    untouched = await sign_in(client, other.email, PASSWORD, "/portal")
    assert untouched.headers["location"] == "/portal"
    assert (await client.get("/portal")).status_code == 200


async def test_the_portal_asks_a_password_only_session_of_a_requiring_customer(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await import_customers(ctx.store, ctx.clock.now())
    member = await _member(ctx, "member.pharmacie@example.com", PHARMACIE)
    await browser_signed_in(client, ctx.store, member.id, ctx.clock.now())
    assert (await client.get("/portal")).status_code == 200
    await ctx.store.factors.set_customer_requirement(PHARMACIE, True)
    sent = await client.get("/portal")
    assert sent.status_code == 303
    assert urlsplit(sent.headers["location"]).path == "/account/security/app"


async def test_the_device_flows_browser_part_asks_for_the_second_factor(
    client: httpx.AsyncClient,
    ctx: AppContext,
    seeded: Seeded,
    mfa_client: str,
    clock: FrozenClock,
) -> None:
    started = await client.post(
        "/device_authorization", data={"client_id": mfa_client, "scope": "openid"}
    )
    device = started.json()
    await sign_in(client)  # password only
    secret = await enrol_app(ctx, seeded.user_id)
    confirm = f"/device/confirm?user_code={device['user_code']}"
    asked = await client.get(confirm)
    assert asked.headers["location"].startswith("/signin/second-factor")
    stepped = await give_second_factor(
        client, _next_of(asked.headers["location"]), code_at(secret, ctx.clock.now())
    )
    page = await client.get(stepped.headers["location"])
    assert page.status_code == 200
    approved = await client.post(
        "/device/confirm",
        data={
            "csrf_token": csrf_of(page.text),
            "user_code": device["user_code"],
            "decision": "approve",
        },
    )
    assert approved.status_code == 200
    clock.advance(10)
    tokens = await client.post(
        "/token",
        data={
            "grant_type": DEVICE_CODE_GRANT,
            "device_code": device["device_code"],
            "client_id": mfa_client,
        },
    )
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set((await client.get("/jwks.json")).json())
    claims = jwt.decode(tokens.json()["id_token"], keys).claims
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == ACR_MFA
