"""Email first (seed, étape 2, 2°), the password step, its throttles, and `prompt=create`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.i18n import french_spacing
from tests.accounts.helpers import forms, submit
from tests.support import (
    EMAIL,
    PASSWORD,
    Seeded,
    authorize_params,
    pkce_pair,
    query_of,
)


async def _email_step(client: httpx.AsyncClient, email: str, **params: str) -> httpx.Response:
    page = await client.get("/signin", params=params)
    return await submit(client, page, "/signin", email=email)


async def _password(client: httpx.AsyncClient, password: str, email: str = EMAIL) -> httpx.Response:
    step = await _email_step(client, email)
    return await submit(client, step, "/signin/password", email=email, password=password)


@pytest.mark.parametrize("typed", [EMAIL, EMAIL.upper(), f"  {EMAIL.title()} "])
async def test_a_known_email_in_any_case_asks_for_the_password(
    client: httpx.AsyncClient, seeded: Seeded, typed: str
) -> None:
    page = await _email_step(client, typed)
    assert page.status_code == 200
    assert 'action="/signin/password"' in page.text
    assert f'value="{EMAIL}"' in page.text and "readonly" in page.text
    assert 'autocomplete="current-password"' in page.text
    assert french_spacing("Mot de passe oublié ?") in page.text


async def test_an_unknown_email_goes_on_to_create_a_sage_id(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await _email_step(client, "Nouveau@Example.fr")
    assert page.status_code == 200
    assert 'action="/signup"' in page.text
    assert 'value="nouveau@example.fr"' in page.text
    assert "Créer votre Sage ID" in page.text


@pytest.mark.parametrize("typed", ["", "marie", "marie@", "@example.com", "a b@example.com"])
async def test_an_implausible_email_is_refused(
    client: httpx.AsyncClient, seeded: Seeded, typed: str
) -> None:
    page = await _email_step(client, typed)
    assert page.status_code == 400 and "Renseignez une adresse email valide" in page.text


async def test_the_right_password_signs_in_and_goes_on(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    answer = await _password(client, PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    assert "sageid_session" in client.cookies


async def test_five_wrong_passwords_lock_the_account_for_15_minutes(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock
) -> None:
    for _ in range(5):
        wrong = await _password(client, "not the password at all")
        assert wrong.status_code == 400
        assert "Adresse email ou mot de passe incorrect." in wrong.text
    locked = await _password(client, PASSWORD)  # even the right one
    assert locked.status_code == 429
    assert "la connexion à ce Sage ID est bloquée pendant 15 min." in locked.text
    assert "sageid_session" not in client.cookies
    clock.advance(10 * 60)
    still = await _password(client, PASSWORD)
    assert still.status_code == 429 and "pendant 5 min." in still.text
    clock.advance(5 * 60)
    assert (await _password(client, PASSWORD)).status_code == 303


async def test_a_success_forgets_the_earlier_failures(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    for _ in range(4):
        await _password(client, "not the password at all")
    assert (await _password(client, PASSWORD)).status_code == 303
    for _ in range(4):
        await _password(client, "not the password at all")
    assert (await _password(client, PASSWORD)).status_code == 303


async def test_the_lock_message_is_in_english_too(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    for _ in range(6):
        page = await client.get("/signin", params={"ui_locales": "en"})
        step = await submit(client, page, "/signin", email=EMAIL)
        answer = await submit(client, step, "/signin/password", email=EMAIL, password="nope")
    assert answer.status_code == 429
    assert "sign-in to this Sage ID is locked for 15 min." in answer.text


async def test_the_ip_budget_stops_password_spraying_across_accounts(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await client.get("/signin")
    hidden = forms(page.text)["/signin"]
    for n in range(50):  # PASSWORD_PER_IP: 50 failures, whichever the account
        answer = await client.post(
            "/signin/password",
            data={**hidden, "email": f"user{n}@example.com", "password": "Summer2026!!"},
        )
        assert answer.status_code == 400
    blocked = await client.post(
        "/signin/password", data={**hidden, "email": EMAIL, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert "Trop de connexions échouées depuis votre réseau." in blocked.text


async def test_the_password_hash_is_checked_whether_or_not_the_account_exists(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    verify = ctx.passwords.verify

    async def spy(password_hash: str | None, password: str) -> Any:
        calls.append(password_hash)
        return await verify(password_hash, password)

    monkeypatch.setattr(ctx.passwords, "verify", spy)
    page = await client.get("/signin")
    hidden = forms(page.text)["/signin"]
    for email in (EMAIL, "nobody@example.com"):
        answer = await client.post(
            "/signin/password", data={**hidden, "email": email, "password": "wrong password!"}
        )
        assert answer.status_code == 400
        assert "Adresse email ou mot de passe incorrect." in answer.text
    assert len(calls) == 2 and calls[0] and calls[1] is None  # dummy hash for the unknown


async def test_prompt_create_starts_at_account_creation(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(
        challenge=challenge, prompt="create", login_hint="neuf@example.fr", ui_locales="en"
    )
    response = await client.get("/authorize", params=params)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/signup?")
    following = query_of(location)["next"]
    assert "prompt" not in query_of(following)  # no loop back to account creation
    page = await client.get(location)
    assert "Create your Sage ID" in page.text and 'value="neuf@example.fr"' in page.text


async def test_prompt_create_with_none_is_an_error(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    _, challenge = pkce_pair()
    response = await client.get(
        "/authorize", params=authorize_params(challenge=challenge, prompt="none create")
    )
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "invalid_request"


async def test_discovery_lists_prompt_create(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert "create" in metadata["prompt_values_supported"]


POSTS = [
    "/signin",
    "/signin/password",
    "/signup",
    "/verify",
    "/verify/resend",
    "/password/forgot",
    "/password/reset",
    "/password/reset/resend",
]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("token", ["missing", "forged"])
async def test_every_form_needs_its_csrf_token(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, path: str, token: str
) -> None:
    await client.get("/signin")  # the CSRF cookie
    data = {"email": EMAIL, "password": PASSWORD, "next": "/account"}
    if token == "forged":
        data["csrf_token"] = "0" * 64
    answer = await client.post(path, data=data)
    assert answer.status_code == 403
    assert "Session expirée" in answer.text
    assert "sageid_session" not in client.cookies
    assert await ctx.store.users.count() == 1


@pytest.mark.parametrize(
    ("params", "headers", "expected"),
    [
        ({}, {}, "fr"),
        ({}, {"Accept-Language": "en-GB,en;q=0.9"}, "en"),
        ({"ui_locales": "en"}, {"Accept-Language": "fr"}, "en"),
        ({"next": "/authorize?ui_locales=en"}, {}, "en"),
    ],
)
async def test_the_language_is_kept_through_the_steps(
    client: httpx.AsyncClient,
    seeded: Seeded,
    params: dict[str, str],
    headers: dict[str, str],
    expected: str,
) -> None:
    page = await client.get("/signin", params=params, headers=headers)
    assert f'<html lang="{expected}">' in page.text
    # The next steps are posted without Accept-Language: the form carries the language.
    step = await submit(client, page, "/signin", email="someone.new@example.fr")
    assert f'<html lang="{expected}">' in step.text
    created = await submit(
        client,
        step,
        "/signup",
        email="someone.new@example.fr",
        name="Someone",
        password="Fournil de la Place 1987",
        confirmation="Fournil de la Place 1987",
    )
    assert f'<html lang="{expected}">' in created.text
