"""Every page of the journeys, the portal and the error paths, reached through the ASGI app as
a browser would (forms posted with their hidden fields): the tour the French pages test walks.

Each stop is a name and the page's answer. The anonymous part comes first, then Marie Martin
signs in and goes through consent, the device flow, referencing and the portal.
"""

from __future__ import annotations

from collections.abc import Awaitable
from urllib.parse import urlencode

import httpx

from idp.context import AppContext
from tests.accounts.helpers import NEW_EMAIL, NEW_NAME, NEW_PASSWORD, submit
from tests.referencing.helpers import BOULANGERIE, browser_signed_in, import_customers
from tests.support import (
    EMAIL,
    NATIVE_ID,
    PARTNER_ID,
    PARTNER_REDIRECT,
    Seeded,
    authorize_params,
    pkce_pair,
)

Stop = tuple[str, httpx.Response]


def authorize_url(**change: str) -> str:
    _, challenge = pkce_pair()
    return "/authorize?" + urlencode(authorize_params(challenge=challenge, **change))


async def anonymous_tour(http: httpx.AsyncClient) -> list[Stop]:
    stops: list[Stop] = []

    async def at(name: str, answer: Awaitable[httpx.Response]) -> httpx.Response:
        response = await answer
        stops.append((name, response))
        return response

    signin = await at("signin", http.get("/signin"))
    await at("signin-bad-email", submit(http, signin, "/signin", email="not-an-email"))
    password = await at("signin-password", submit(http, signin, "/signin", email=EMAIL))
    await at("signin-wrong-password", submit(http, password, "/signin/password", password="x"))
    signup = await at("signup", submit(http, signin, "/signin", email=NEW_EMAIL))
    await at(
        "signup-errors",
        submit(http, signup, "/signup", email="x", name="", password="court", confirmation="y"),
    )
    verify = await at(
        "verify",
        submit(
            http,
            signup,
            "/signup",
            email=NEW_EMAIL,
            name=NEW_NAME,
            password=NEW_PASSWORD,
            confirmation=NEW_PASSWORD,
        ),
    )
    await at("verify-wrong-code", submit(http, verify, "/verify", code="000000"))
    forgot = await at("password-forgot", http.get("/password/forgot"))
    await at(
        "password-forgot-unknown",
        submit(http, forgot, "/password/forgot", email="nobody@example.com"),
    )
    reset = await at("password-reset", submit(http, forgot, "/password/forgot", email=EMAIL))
    await at(
        "password-reset-errors",
        submit(http, reset, "/password/reset", code="000000", password="court", confirmation="y"),
    )
    await at(
        "password-reset-wrong-code",
        submit(
            http,
            reset,
            "/password/reset",
            code="000000",
            password=NEW_PASSWORD,
            confirmation=NEW_PASSWORD,
        ),
    )
    device = await at("device", http.get("/device"))
    await at("device-wrong-code", submit(http, device, "/device", user_code="BCDF-GHJK"))
    for page in ("terms", "privacy", "legal"):
        await at(page, http.get(f"/{page}"))
    await at("not-found", http.get("/no-such-page"))
    await at("method-not-allowed", http.post("/terms"))
    await at("csrf-refused", http.post("/signin", data={"email": EMAIL}))
    await at("bad-form", http.post("/signin", json={"email": EMAIL}))
    await at("authorize-unknown-client", http.get(authorize_url(client_id="no-such-client")))
    await at("authorize-no-client", http.get(authorize_url(client_id="")))
    await at(
        "authorize-bad-redirect",
        http.get(authorize_url(redirect_uri="https://evil.example/callback")),
    )
    await at("authorize-repeated", http.get(authorize_url() + "&state=again"))
    await at("logout-bad-hint", http.get("/logout", params={"id_token_hint": "not.a.jwt"}))
    await at("logout-repeated", http.get("/logout?client_id=a&client_id=b"))
    await at("logout-done", http.get("/logout"))
    return stops


async def signed_in_tour(http: httpx.AsyncClient, ctx: AppContext, seeded: Seeded) -> list[Stop]:
    """Marie, signed in, not referenced yet: consent, device, referencing, then the portal as
    the administrator of her customer account."""
    stops: list[Stop] = []

    async def at(name: str, answer: Awaitable[httpx.Response]) -> httpx.Response:
        response = await answer
        stops.append((name, response))
        return response

    now = ctx.clock.now()
    await import_customers(ctx.store, now)
    await browser_signed_in(http, ctx.store, seeded.user_id, now)
    await at("account", http.get("/account"))
    consent = authorize_url(
        client_id=PARTNER_ID, redirect_uri=PARTNER_REDIRECT, scope="openid profile email"
    )
    await at("consent", http.get(consent))
    await at("logout-confirm", http.get("/logout"))
    started = await http.post(
        "/device_authorization", data={"client_id": NATIVE_ID, "scope": "openid profile"}
    )
    user_code = str(started.json()["user_code"])
    confirm = await at(
        "device-confirm", http.get("/device/confirm", params={"user_code": user_code})
    )
    await at(
        "device-done",
        submit(http, confirm, "/device/confirm", user_code=user_code, decision="approve"),
    )
    await at("portal-unreferenced", http.get("/portal"))
    reference = await at("reference", http.get("/reference", params={"next": "/portal"}))
    await at(
        "reference-wrong-proof",
        submit(
            http,
            reference,
            "/reference",
            customer_code=BOULANGERIE,
            number="FA-0000-000000",
            accept_terms="yes",
        ),
    )
    referenced = await submit(
        http,
        reference,
        "/reference",
        customer_code=BOULANGERIE,
        number="FA-2025-004711",
        accept_terms="yes",
    )
    assert referenced.status_code == 303, referenced.text
    await at("referenced", http.get(referenced.headers["location"]))
    await at("portal-tracking", http.get("/portal"))
    profile = await at("portal-profile", http.get("/portal/profile"))
    became = await submit(http, profile, "/portal/profile/administrator", customer_code=BOULANGERIE)
    assert became.status_code == 303, became.text
    await at("portal-admin", http.get(f"/portal/admin/{BOULANGERIE}"))
    return stops
