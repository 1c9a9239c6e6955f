"""Creating a Sage ID (seed, étape 2, 3°-4°): the form, the policy, the code, the validation."""

from __future__ import annotations

import httpx
import pytest

from idp.context import AppContext
from tests.accounts.helpers import (
    NEW_EMAIL,
    NEW_NAME,
    NEW_PASSWORD,
    enter_code,
    last_code,
    mail_count,
    signup,
    submit,
)
from tests.support import EMAIL, Seeded


async def test_a_new_account_is_created_unverified_and_validated_by_the_mailed_code(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    page = await signup(client, email="  Jean.Dupont@Example.FR ")
    assert page.status_code == 200, page.text
    assert 'action="/verify"' in page.text
    assert "jean.dupont@example.fr" in page.text
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    user = await ctx.store.users.by_email(NEW_EMAIL)
    assert user is not None and not user.email_verified
    assert user.name == NEW_NAME and user.email == NEW_EMAIL  # normalised
    assert "sageid_session" not in client.cookies

    done = await enter_code(client, page, last_code(ctx.settings))
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert "sageid_session" in client.cookies
    user = await ctx.store.users.by_email(NEW_EMAIL)
    assert user is not None and user.email_verified
    account = await client.get("/account")
    assert NEW_EMAIL in account.text


async def test_the_signup_form_pre_fills_the_email_and_labels_every_field(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await client.get("/signup", params={"login_hint": NEW_EMAIL})
    text = page.text
    assert "Créer votre Sage ID" in text
    assert "Mémorisez bien votre mot de passe, il vous sera demandé régulièrement." in text
    assert f'value="{NEW_EMAIL}"' in text and "readonly" not in text  # editable
    for field, autocomplete in [
        ("email", "username"),
        ("name", "name"),
        ("password", "new-password"),
        ("confirmation", "new-password"),
    ]:
        assert f'<label for="{field}">' in text
        assert f'id="{field}" name="{field}"' in text
        assert f'autocomplete="{autocomplete}"' in text
    assert 'name="csrf_token"' in text
    assert "<script" not in text


POLICY_CASES = [
    pytest.param("court", None, "Utilisez au moins 12 caractères.", id="too-short"),
    pytest.param("x" * 129, None, "Utilisez au plus 128 caractères.", id="too-long"),
    pytest.param("password1234", None, "Ce mot de passe est trop courant.", id="common"),
    pytest.param(NEW_EMAIL, None, "N’utilisez pas votre adresse email", id="is-email"),
    pytest.param(
        NEW_PASSWORD,
        NEW_PASSWORD + "!",
        "Les deux mots de passe ne correspondent pas.",
        id="mismatch",
    ),
]


@pytest.mark.parametrize(("password", "confirmation", "message"), POLICY_CASES)
async def test_the_password_policy_refuses_with_a_message_per_rule(
    client: httpx.AsyncClient,
    ctx: AppContext,
    seeded: Seeded,
    password: str,
    confirmation: str | None,
    message: str,
) -> None:
    page = await signup(client, password=password, confirmation=confirmation)
    assert page.status_code == 400
    assert message in page.text
    assert 'aria-invalid="true"' in page.text
    assert password not in page.text.replace(NEW_EMAIL, "")  # never echoed back
    assert await ctx.store.users.by_email(NEW_EMAIL) is None
    assert mail_count(ctx.settings) == 0


@pytest.mark.parametrize(
    ("ui_locales", "message"),
    [("fr", "Utilisez au moins 12 caractères."), ("en", "Use at least 12 characters.")],
)
async def test_policy_messages_follow_the_language(
    client: httpx.AsyncClient, seeded: Seeded, ui_locales: str, message: str
) -> None:
    page = await signup(client, password="short", ui_locales=ui_locales)
    assert page.status_code == 400 and message in page.text
    assert f'<html lang="{ui_locales}">' in page.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Indiquez votre nom."),
        ({"name": "x" * 201}, "Utilisez au plus 200 caractères."),
        ({"email": "not-an-email"}, "Renseignez une adresse email valide"),
        ({"email": "jean@example"}, "Renseignez une adresse email valide"),
    ],
    ids=["no-name", "long-name", "no-at", "no-domain"],
)
async def test_name_and_email_are_checked(
    client: httpx.AsyncClient, seeded: Seeded, fields: dict[str, str], message: str
) -> None:
    page = await signup(client, **fields)
    assert page.status_code == 400 and message in page.text


@pytest.mark.parametrize("variant", [EMAIL.upper(), f"  {EMAIL.title()}  ", EMAIL])
async def test_an_email_already_used_in_any_case_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, variant: str
) -> None:
    page = await signup(client, email=variant)
    assert page.status_code == 409
    assert "Un Sage ID existe déjà pour cette adresse email." in page.text
    assert len(await ctx.store.users.list()) == 1
    assert mail_count(ctx.settings) == 0


async def test_an_unverified_account_signing_in_is_led_back_to_the_code_page(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: object
) -> None:
    await signup(client)
    first_code = last_code(ctx.settings)
    client.cookies.clear()  # another day, another browser

    page = await client.get("/signin")
    step = await submit(client, page, "/signin", email=NEW_EMAIL)
    assert 'action="/signin/password"' in step.text
    answer = await submit(client, step, "/signin/password", email=NEW_EMAIL, password=NEW_PASSWORD)
    assert answer.status_code == 200 and 'action="/verify"' in answer.text
    assert "sageid_session" not in client.cookies
    assert mail_count(ctx.settings) == 1  # the first code still works: no new mail

    done = await enter_code(client, answer, first_code)
    assert done.status_code == 303
    assert "sageid_session" in client.cookies


async def test_a_new_code_is_mailed_when_the_previous_one_expired(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: object
) -> None:
    await signup(client)
    clock.advance(16 * 60)  # type: ignore[attr-defined]
    client.cookies.clear()
    page = await client.get("/signin")
    step = await submit(client, page, "/signin", email=NEW_EMAIL)
    answer = await submit(client, step, "/signin/password", email=NEW_EMAIL, password=NEW_PASSWORD)
    assert 'action="/verify"' in answer.text
    assert mail_count(ctx.settings) == 2
    assert (await enter_code(client, answer, last_code(ctx.settings))).status_code == 303


async def test_the_code_page_needs_the_browser_that_started(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    page = await signup(client)
    code = last_code(ctx.settings)
    client.cookies.delete("sageid_pending")
    answer = await enter_code(client, page, code)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin?")
    user = await ctx.store.users.by_email(NEW_EMAIL)
    assert user is not None and not user.email_verified


async def test_a_forged_pending_cookie_is_ignored(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    await signup(client)
    genuine = client.cookies["sageid_pending"]
    purpose, _, expires, signature = genuine.split(".")
    client.cookies.set("sageid_pending", f"{purpose}.{seeded.user_id}.{expires}.{signature}")
    assert (await client.get("/verify")).status_code == 303
    client.cookies.set("sageid_pending", genuine)
    assert (await client.get("/verify")).status_code == 200
