"""One email entry (issue 18): the email the desktop assistant asked for comes as
`login_hint`; the browser opens on the password page of a known Sage ID, or on the create
page with the email filled in, never on the email page again."""

from __future__ import annotations

import re

import httpx

from tests.accounts.helpers import submit
from tests.journeys.helpers import text_of
from tests.support import (
    EMAIL,
    NATIVE_REDIRECT,
    PASSWORD,
    Seeded,
    pkce_authorize_params,
    query_of,
)


async def _opened_by(client: httpx.AsyncClient, hint: str, **extra: str) -> httpx.Response:
    _, params = pkce_authorize_params(login_hint=hint, **extra)
    response = await client.get("/authorize", params=params)
    assert response.status_code == 303
    return await client.get(response.headers["location"])


async def test_a_known_email_opens_on_the_password_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await _opened_by(client, " Marie.Martin@Example.com ")
    assert 'action="/signin/password"' in page.text
    assert f'value="{EMAIL}"' in page.text
    assert "Ce n’est pas vous ? Changer d’adresse" in text_of(page)
    # Back to the email page, the journey kept.
    assert re.search(r'<a href="/signin\?next=[^"]+">Changer d’adresse</a>', page.text)

    signed = await submit(client, page, "/signin/password", email=EMAIL, password=PASSWORD)
    assert signed.status_code == 303
    answer = await client.get(signed.headers["location"])
    assert answer.headers["location"].startswith(NATIVE_REDIRECT)
    assert "code" in query_of(answer.headers["location"])


async def test_an_unknown_email_opens_on_the_create_page_filled_in(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await _opened_by(client, "claire.petit@example.com", ui_locales="en")
    assert 'action="/signup"' in page.text
    assert 'value="claire.petit@example.com"' in page.text
    assert "Create your Sage ID" in page.text  # the journey's language is kept


async def test_a_hint_that_is_not_an_email_shows_the_email_page(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await _opened_by(client, "not an email")
    assert 'action="/signin"' in page.text and 'type="password"' not in page.text
