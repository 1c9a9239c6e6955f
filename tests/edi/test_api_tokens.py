"""Who may call the submissions API: RFC 9068 access tokens checked locally (signature,
audience, scope, expiry) and their grant checked in the store (revocation)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from joserfc.jwk import ECKey

from idp.clock import FrozenClock
from idp.store.tables import submissions
from tests.edi.conftest import Edi
from tests.edi.helpers import API, assert_problem, bearer, count, mint, new_grant, upload
from tests.lifecycle.helpers import sign_in_tokens

Minter = Callable[[Edi], Awaitable[str]]


async def _live(edi: Edi) -> str:
    return await edi.token(edi.marie)


async def _with(
    edi: Edi, *, audience: str | None = None, expires_in: int = 600, key: ECKey | None = None
) -> str:
    grant_id = await new_grant(edi.ctx.store, edi.marie, edi.ctx.clock.now())
    settings, keys = edi.ctx.settings, edi.ctx.keys
    return mint(
        settings, keys, edi.marie, grant_id, audience=audience, expires_in=expires_in, key=key
    )


async def _userinfo_audience(edi: Edi) -> str:
    return await _with(edi, audience=edi.ctx.settings.url("/userinfo"))


async def _expired(edi: Edi) -> str:
    return await _with(edi, expires_in=-120)


async def _foreign_key(edi: Edi) -> str:
    impostor = ECKey.generate_key("P-256", parameters={"kid": "not-ours"})
    return await _with(edi, key=impostor)


async def _no_grant(edi: Edi) -> str:
    """What a client-credentials token looks like: no user behind it."""
    return mint(edi.ctx.settings, edi.ctx.keys, "service-test", None)


async def _revoked_grant(edi: Edi) -> str:
    grant_id = await new_grant(edi.ctx.store, edi.marie, edi.ctx.clock.now())
    await edi.ctx.store.grants.revoke(grant_id, edi.ctx.clock.now())
    return mint(edi.ctx.settings, edi.ctx.keys, edi.marie, grant_id)


async def _revoked_jti(edi: Edi) -> str:
    """RFC 7009 revocation of this one access token (the deny-list)."""
    grant_id = await new_grant(edi.ctx.store, edi.marie, edi.ctx.clock.now())
    token = mint(edi.ctx.settings, edi.ctx.keys, edi.marie, grant_id, jti="revoked-jti")
    now = edi.ctx.clock.now()
    await edi.ctx.store.grants.deny_access_token("revoked-jti", now + 600, now)
    return token


REFUSED: list[tuple[str, Minter]] = [
    ("wrong-audience", _userinfo_audience),
    ("expired", _expired),
    ("foreign-signature", _foreign_key),
    ("no-grant", _no_grant),
    ("revoked-grant", _revoked_grant),
    ("revoked-jti", _revoked_jti),
]


async def test_a_live_token_is_accepted(client: httpx.AsyncClient, edi: Edi) -> None:
    response = await upload(client, await _live(edi))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("case", "minter"), REFUSED, ids=[case for case, _ in REFUSED])
async def test_refused_tokens_store_nothing(
    client: httpx.AsyncClient, edi: Edi, case: str, minter: Minter
) -> None:
    token = await minter(edi)
    response = await upload(client, token)
    assert_problem(response, 401, "invalid-token")
    assert response.headers["www-authenticate"].startswith('Bearer realm="sage-edi-online"')
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert await count(edi.ctx.store, submissions) == 0
    assert_problem(await client.get(API, headers=bearer(token)), 401, "invalid-token")


async def test_a_token_without_the_edi_scope_is_refused(
    client: httpx.AsyncClient, edi: Edi
) -> None:
    token = await edi.token(edi.marie, scope="openid profile")
    response = await upload(client, token)
    assert_problem(response, 403, "insufficient-scope")
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="edi"' in challenge
    assert await count(edi.ctx.store, submissions) == 0


@pytest.mark.parametrize("header", [None, "Basic bWFyaWU6c2VjcmV0", "Bearer ", "Bearer abc.def"])
async def test_missing_or_malformed_credentials(
    client: httpx.AsyncClient, edi: Edi, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.get(API, headers=headers)
    assert_problem(response, 401, "invalid-token")
    assert response.headers["www-authenticate"].startswith("Bearer ")


async def test_the_sign_in_ending_ends_the_token(
    client: httpx.AsyncClient, edi: Edi, clock: FrozenClock
) -> None:
    """The grant is 30 days from the sign-in (DESIGN §3); the injected clock moves past it
    while the JWT itself is still unexpired."""
    token = await _live(edi)
    assert (await client.get(API, headers=bearer(token))).status_code == 200
    clock.advance(31 * 86400)
    assert_problem(await client.get(API, headers=bearer(token)), 401, "invalid-token")


async def test_tokens_from_the_code_flow(client: httpx.AsyncClient, edi: Edi) -> None:
    """The real token endpoint: with `edi` the token is for the API; without, it is not
    (its audience is userinfo only)."""
    with_edi = await sign_in_tokens(client, scope="openid profile email offline_access edi")
    response = await upload(client, with_edi["access_token"])
    assert response.status_code == 201, response.text
    assert response.json()["client_id"] == "desktop-test"

    without = await sign_in_tokens(client, scope="openid profile email")
    assert_problem(await upload(client, without["access_token"]), 401, "invalid-token")
    assert await count(edi.ctx.store, submissions) == 1
