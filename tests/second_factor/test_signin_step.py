"""The second factor in the sign-in (issue 17): enrolment on the account page, the code after
the password before any session, recovery codes, and `amr`/`acr` in ID tokens and refreshes."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from urllib.parse import unquote

import httpx
import pyotp

from idp.audit import Kind
from idp.clock import FrozenClock
from idp.context import AppContext
from idp.domain.second_factor import ACR_MFA, ACR_PASSWORD
from tests.accounts.helpers import OTHER_PASSWORD, last_code, submit
from tests.second_factor.helpers import (
    code_at,
    enrol_app,
    give_second_factor,
    id_claims,
    recovery_codes_on_page,
    redeem,
    secret_on_page,
    signed_in_with_app,
)
from tests.support import (
    Seeded,
    authorization_code,
    csrf_of,
    pkce_authorize_params,
    refresh_form,
    sign_in,
)


def _outbox_subjects(ctx: AppContext) -> list[str]:
    folder = ctx.settings.data_dir / "outbox"
    if not folder.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [str(parser.parsebytes(path.read_bytes())["Subject"]) for path in folder.glob("*.eml")]


async def _enrol_through_the_page(
    client: httpx.AsyncClient, clock: FrozenClock
) -> tuple[str, list[str]]:
    page = await client.get("/account/security/app")
    assert page.status_code == 200
    assert "<svg" in page.text and 'autocomplete="one-time-code"' in page.text
    secret = secret_on_page(page.text)
    token = page.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    wrong = await client.post(
        "/account/security/app",
        data={"csrf_token": csrf_of(page.text), "token": token, "code": "000000", "name": "A"},
    )
    if pyotp.TOTP(secret).verify("000000", for_time=clock.now(), valid_window=1):
        return secret, []  # astronomically unlikely; nothing meaningful to check then
    assert wrong.status_code == 400
    done = await client.post(
        "/account/security/app",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token,
            "code": code_at(secret, clock.now()),
            "name": "Téléphone de Marie",
        },
    )
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    return secret, recovery_codes_on_page(done.text)


async def test_enrol_then_sign_in_with_the_app_code(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    assert (await sign_in(client)).status_code == 303
    secret, codes = await _enrol_through_the_page(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    account = await client.get("/account")
    assert "Téléphone de Marie" in account.text and "Recovery codes left" not in account.text
    assert "Codes de secours restants\u00a0: 10." in account.text
    summary = await ctx.store.factors.of_user(seeded.user_id)
    assert summary.totp is not None and secret not in summary.totp.secret  # sealed at rest
    assert "Une application d’authentification a été ajoutée à votre Sage ID" in (
        _outbox_subjects(ctx)
    )
    kinds = [e.kind for e in await ctx.store.audit.list(subject=seeded.user_id)]
    assert Kind.SECOND_FACTOR_ADDED in kinds and Kind.RECOVERY_CODES_GENERATED in kinds

    # Sign out: the password alone no longer makes a session.
    await client.post("/signout", data={"csrf_token": csrf_of(account.text)})
    client.cookies.clear()
    password = await sign_in(client)
    assert password.headers["location"].startswith("/signin/second-factor")
    assert (await client.get("/account")).text.count("Vous n’êtes pas connecté") == 1
    clock.advance(30)
    wrong = await give_second_factor(client, "/account", "123456")
    if wrong.status_code != 303:
        assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    done = await give_second_factor(client, "/account", code_at(secret, clock.now()))
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert "Marie Martin" in (await client.get("/account")).text


async def test_tokens_carry_amr_and_acr_and_a_refresh_keeps_them(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    secret = await enrol_app(ctx, seeded.user_id)
    verifier, params = pkce_authorize_params()
    start = await client.get("/authorize", params=params)
    following = start.headers["location"].split("next=", 1)[1]
    following = unquote(following.split("&", 1)[0])
    done = await signed_in_with_app(client, ctx, secret, following)
    assert done.status_code == 303
    final = await client.get(done.headers["location"])
    assert final.status_code == 302, final.text
    body = await redeem(client, final.headers["location"], verifier)
    claims = await id_claims(client, body["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == ACR_MFA
    refreshed = await client.post("/token", data=refresh_form(body["refresh_token"]))
    assert refreshed.status_code == 200, refreshed.text
    again = await id_claims(client, refreshed.json()["id_token"])
    assert again["amr"] == ["pwd", "otp", "mfa"] and again["acr"] == ACR_MFA
    assert again["auth_time"] == claims["auth_time"]


async def test_a_password_only_sign_in_says_so(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    verifier, params = pkce_authorize_params()
    final = await authorization_code(client, params)
    body = await redeem(client, final.headers["location"], verifier)
    claims = await id_claims(client, body["id_token"])
    assert claims["amr"] == ["pwd"] and claims["acr"] == ACR_PASSWORD


async def test_recovery_codes_work_once_and_regeneration_invalidates_them(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    assert (await sign_in(client)).status_code == 303
    _, codes = await _enrol_through_the_page(client, clock)
    assert len(codes) == 10
    client.cookies.clear()
    assert (await sign_in(client)).status_code == 303
    used = await give_second_factor(client, "/account", codes[0].upper(), "recovery")
    assert used.status_code == 303
    client.cookies.clear()
    await sign_in(client)
    again = await give_second_factor(client, "/account", codes[0], "recovery")
    assert again.status_code == 400 and "déjà été utilisé" in again.text
    second = await give_second_factor(client, "/account", codes[1], "recovery")
    assert second.status_code == 303
    page = await client.get("/account")
    assert "Codes de secours restants\u00a0: 8." in page.text
    regenerated = await client.post(
        "/account/security/recovery", data={"csrf_token": csrf_of(page.text)}
    )
    assert regenerated.status_code == 200
    fresh = recovery_codes_on_page(regenerated.text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert "De nouveaux codes de secours ont été générés pour votre Sage ID" in (
        _outbox_subjects(ctx)
    )
    client.cookies.clear()
    await sign_in(client)
    old = await give_second_factor(client, "/account", codes[2], "recovery")
    assert old.status_code == 400
    new = await give_second_factor(client, "/account", fresh[0], "recovery")
    assert new.status_code == 303


async def test_removing_the_app_needs_a_recent_sign_in(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    secret = await enrol_app(ctx, seeded.user_id)
    await signed_in_with_app(client, ctx, secret)
    factor = (await ctx.store.factors.of_user(seeded.user_id)).totp
    assert factor is not None
    clock.advance(11 * 60)
    page = await client.get("/account")
    stale = await client.post(
        "/account/security/app/remove",
        data={"csrf_token": csrf_of(page.text), "factor_id": factor.id},
    )
    assert stale.status_code == 303 and stale.headers["location"].startswith("/signin?")
    assert (await ctx.store.factors.of_user(seeded.user_id)).enrolled
    client.cookies.clear()
    await signed_in_with_app(client, ctx, secret)
    page = await client.get("/account")
    removed = await client.post(
        "/account/security/app/remove",
        data={"csrf_token": csrf_of(page.text), "factor_id": factor.id},
    )
    assert removed.headers["location"] == "/account?done=app_removed"
    assert not (await ctx.store.factors.of_user(seeded.user_id)).enrolled
    assert "Une application d’authentification a été retirée de votre Sage ID" in (
        _outbox_subjects(ctx)
    )
    client.cookies.clear()
    assert (await sign_in(client)).headers["location"] == "/account"


async def test_the_second_factor_page_in_english_and_without_a_password(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    nobody = await client.get("/signin/second-factor", params={"next": "/account"})
    assert nobody.status_code == 303 and nobody.headers["location"].startswith("/signin")
    await enrol_app(ctx, seeded.user_id)
    await sign_in(client)
    page = await client.get(
        "/signin/second-factor", params={"next": "/account", "ui_locales": "en"}
    )
    assert "Two-step verification" in page.text
    assert '<label for="code">Code from the app</label>' in page.text
    fr = await client.get("/signin/second-factor", params={"next": "/account"})
    assert "Validation en deux étapes" in fr.text


async def test_a_password_reset_does_not_stand_in_for_the_second_factor(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    secret = await enrol_app(ctx, seeded.user_id)
    page = await client.get("/password/forgot", params={"next": "/account"})
    page = await submit(client, page, "/password/forgot", email=seeded.email)
    done = await submit(
        client,
        page,
        "/password/reset",
        code=last_code(ctx.settings, to=seeded.email),
        password=OTHER_PASSWORD,
        confirmation=OTHER_PASSWORD,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/signin/second-factor")
    assert "Vous n’êtes pas connecté" in (await client.get("/account")).text
    signed = await give_second_factor(client, "/account", code_at(secret, clock.now()))
    assert signed.headers["location"] == "/account"
