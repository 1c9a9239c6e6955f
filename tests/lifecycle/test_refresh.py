"""Refresh tokens: rotation, reuse detection and its grace window, 30 days absolute from the
sign-in, scope narrowing, password change, and the ID token of a refresh (OIDC Core §12.2)."""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select, update

from idp.clock import FrozenClock
from idp.context import AppContext
from idp.settings import DAY
from idp.store.records import sha256_hex
from idp.store.tables import clients, grants, refresh_tokens, users
from tests.dpop_keys import DPoPKey
from tests.lifecycle.helpers import SERVICE_AUTH, introspect, is_active, refresh, sign_in_tokens
from tests.support import NATIVE_ID, SERVICE_ID, Seeded, assert_oauth_error

GRACE = 10  # Lifetimes.refresh_reuse_grace


def id_token_claims(ctx: AppContext, id_token: str) -> dict[str, object]:
    keys = KeySet(list(ctx.keys.verifying.values()))
    return dict(jwt.decode(id_token, keys).claims)


async def grant_rows(ctx: AppContext) -> list[tuple[str, float | None]]:
    async with ctx.store.db.read() as c:
        rows = (await c.execute(select(grants.c.id, grants.c.revoked_at))).all()
    return [(row.id, row.revoked_at) for row in rows]


async def refresh_token_count(ctx: AppContext) -> int:
    async with ctx.store.db.read() as c:
        count = await c.execute(select(func.count()).select_from(refresh_tokens))
        return int(count.scalar_one())


async def test_refresh_rotates_and_reissues_the_id_token(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    first = await sign_in_tokens(client)
    response = await refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert not await is_active(client, first["refresh_token"])
    assert await is_active(client, second["refresh_token"])

    original = id_token_claims(ctx, first["id_token"])
    renewed = id_token_claims(ctx, second["id_token"])
    for claim in ("iss", "sub", "aud", "auth_time"):
        assert renewed[claim] == original[claim], claim
    assert "nonce" in original and "nonce" not in renewed

    info = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert info.status_code == 200
    assert info.json()["sub"] == seeded.user_id


async def test_refresh_tokens_are_stored_hashed(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    first = await sign_in_tokens(client)
    second = (await refresh(client, first["refresh_token"])).json()
    async with ctx.store.db.read() as c:
        rows = (await c.execute(select(refresh_tokens))).all()
    stored = " ".join(str(value) for row in rows for value in row)
    for secret in (first["refresh_token"], second["refresh_token"], second["access_token"]):
        assert secret not in stored
    assert {row.token_hash for row in rows} == {
        sha256_hex(first["refresh_token"]),
        sha256_hex(second["refresh_token"]),
    }


async def test_thirty_days_from_sign_in_never_extended(
    client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    clock.advance(29 * DAY)
    at_day_29 = await refresh(client, tokens["refresh_token"])
    assert at_day_29.status_code == 200, at_day_29.text
    clock.advance(DAY + 1)
    at_day_30 = await refresh(client, at_day_29.json()["refresh_token"])
    assert_oauth_error(at_day_30, 400, "invalid_grant")


@pytest.mark.parametrize(
    ("delay", "same_pair"),
    [(0, True), (GRACE, True), (GRACE + 1, False)],
    ids=["at-once", "end-of-grace", "after-grace"],
)
async def test_reuse_of_a_rotated_token(
    client: httpx.AsyncClient,
    ctx: AppContext,
    clock: FrozenClock,
    seeded: Seeded,
    delay: int,
    same_pair: bool,
) -> None:
    # The grace window applies to a DPoP-bound token proven by its key (issue 16); an unbound
    # public client's reuse is refused at once (test_unbound_public_reuse_is_strict).
    key = DPoPKey()
    first = await sign_in_tokens(client, dpop=key)
    rotated = await refresh(client, first["refresh_token"], dpop=key)
    assert rotated.status_code == 200
    clock.advance(delay)

    again = await refresh(client, first["refresh_token"], dpop=key)
    assert await refresh_token_count(ctx) == 2  # one rotation, whatever happened next
    if same_pair:
        # A client that lost the response gets the very pair it missed, and no one is punished.
        assert again.status_code == 200, again.text
        for member in ("access_token", "refresh_token", "expires_in", "scope"):
            assert again.json()[member] == rotated.json()[member], member
        assert [revoked for _, revoked in await grant_rows(ctx)] == [None]
        assert await is_active(client, rotated.json()["access_token"])
        assert (await refresh(client, rotated.json()["refresh_token"], dpop=key)).status_code == 200
    else:
        # The token leaked: the whole grant goes, including what the rotation issued.
        assert_oauth_error(again, 400, "invalid_grant")
        assert [revoked for _, revoked in await grant_rows(ctx)] == [clock.now()]
        assert not await is_active(client, rotated.json()["access_token"])
        assert not await is_active(client, first["access_token"])
        assert_oauth_error(
            await refresh(client, rotated.json()["refresh_token"], dpop=key), 400, "invalid_grant"
        )


async def test_unbound_public_reuse_is_strict(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, seeded: Seeded
) -> None:
    """A public client's bearer refresh token: anyone holding it could replay it, so even at
    once a reuse revokes the grant (RFC 9700 §4.14.2; `public_refresh_reuse_grace` is 0)."""
    assert ctx.settings.lifetimes.public_refresh_reuse_grace == 0
    first = await sign_in_tokens(client)
    rotated = await refresh(client, first["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["token_type"] == "Bearer"
    again = await refresh(client, first["refresh_token"])
    assert_oauth_error(again, 400, "invalid_grant")
    assert [revoked for _, revoked in await grant_rows(ctx)] == [clock.now()]
    assert not await is_active(client, rotated.json()["access_token"])


async def test_confidential_client_keeps_the_grace(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    """A client that authenticates cannot have its token replayed by a thief without its
    secret: its retry inside the window gets the same pair."""
    first = await sign_in_tokens(client, confidential=True)
    rotated = await refresh(client, first["refresh_token"], confidential=True)
    again = await refresh(client, first["refresh_token"], confidential=True)
    assert again.status_code == 200, again.text
    assert again.json()["refresh_token"] == rotated.json()["refresh_token"]
    assert [revoked for _, revoked in await grant_rows(ctx)] == [None]


async def test_reuse_revokes_only_its_own_grant(
    client: httpx.AsyncClient, clock: FrozenClock, seeded: Seeded
) -> None:
    leaked = await sign_in_tokens(client)
    other = await sign_in_tokens(client)
    await refresh(client, leaked["refresh_token"])
    clock.advance(GRACE + 1)
    assert_oauth_error(await refresh(client, leaked["refresh_token"]), 400, "invalid_grant")
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_scope_can_be_narrowed_not_widened(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client, scope="openid profile offline_access")
    widened = await refresh(client, tokens["refresh_token"], scope="openid profile email")
    assert_oauth_error(widened, 400, "invalid_scope")
    assert await refresh_token_count(ctx) == 1  # refused before anything was written

    narrowed = await refresh(client, tokens["refresh_token"], scope="profile offline_access")
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["scope"] == "profile offline_access"
    assert "id_token" not in narrowed.json()  # no `openid`, no ID token
    claims = await introspect(client, narrowed.json()["access_token"])
    assert claims["scope"] == "profile offline_access"

    # The next refresh may ask again for anything originally granted.
    full = await refresh(client, narrowed.json()["refresh_token"])
    assert full.status_code == 200
    assert full.json()["scope"] == "openid profile offline_access"
    assert "id_token" in full.json()


async def test_password_change_ends_the_grant(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    clock.advance(60)
    async with ctx.store.db.write() as c:
        await c.execute(
            update(users)
            .where(users.c.id == seeded.user_id)
            .values(password_changed_at=clock.now())
        )
    assert_oauth_error(await refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    assert not await is_active(client, tokens["access_token"])
    # A new sign-in after the change works again (a fresh browser: ending the sessions that
    # predate a password change belongs to the password-change feature).
    client.cookies.clear()
    assert (
        await refresh(client, (await sign_in_tokens(client))["refresh_token"])
    ).status_code == 200


async def test_revoked_grant_refuses_refresh(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client)
    [(grant_id, _)] = await grant_rows(ctx)
    await ctx.store.grants.revoke(grant_id, clock.now())
    assert_oauth_error(await refresh(client, tokens["refresh_token"]), 400, "invalid_grant")


async def test_confidential_client_refreshes_with_its_secret(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    tokens = await sign_in_tokens(client, confidential=True)
    response = await refresh(client, tokens["refresh_token"], confidential=True)
    assert response.status_code == 200, response.text
    # Without its secret it is not authenticated (RFC 6749 §6: confidential clients MUST be).
    anonymous = await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": response.json()["refresh_token"],
            "client_id": "partner-test",
        },
    )
    assert_oauth_error(anonymous, 401, "invalid_client")


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": NATIVE_ID}, 400, "invalid_request"),
        ({"client_id": NATIVE_ID, "refresh_token": "not-a-token"}, 400, "invalid_grant"),
        ({"client_id": NATIVE_ID, "refresh_token": ""}, 400, "invalid_grant"),
        ({"client_id": "nobody", "refresh_token": "x"}, 400, "invalid_client"),
        ({"refresh_token": "x"}, 401, "invalid_client"),
        ({"client_id": SERVICE_ID, "refresh_token": "x"}, 401, "invalid_client"),
    ],
    ids=[
        "missing-token",
        "unknown-token",
        "empty-token",
        "unknown-client",
        "no-client",
        "confidential-without-secret",
    ],
)
async def test_bad_refresh_requests(
    client: httpx.AsyncClient, seeded: Seeded, form: dict[str, str], status: int, error: str
) -> None:
    response = await client.post("/token", data={"grant_type": "refresh_token", **form})
    assert_oauth_error(response, status, error)


async def test_another_clients_refresh_token_is_refused_and_left_alone(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    partners = await sign_in_tokens(client, confidential=True)
    stolen = await refresh(client, partners["refresh_token"])  # presented by the desktop app
    assert_oauth_error(stolen, 400, "invalid_grant")
    assert await is_active(client, partners["refresh_token"])


async def test_client_without_the_refresh_grant(client: httpx.AsyncClient, seeded: Seeded) -> None:
    response = await client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": "x"}, headers=SERVICE_AUTH
    )
    assert_oauth_error(response, 400, "unauthorized_client")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_id_tokens_are_signed_as_the_client_registered(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, alg: str
) -> None:
    """RS256 by default; ES256 for a client that registered it (`clients add --id-token-alg`),
    at sign-in and on every refresh."""
    async with ctx.store.db.write() as c:
        await c.execute(
            update(clients)
            .where(clients.c.client_id == NATIVE_ID)
            .values(id_token_signed_response_alg=alg, updated_at=ctx.clock.now() + 1)
        )
    await ctx.store.client_cache.refresh()
    first = await sign_in_tokens(client)
    renewed = (await refresh(client, first["refresh_token"])).json()
    keys = KeySet(list(ctx.keys.verifying.values()))
    for id_token in (first["id_token"], renewed["id_token"]):
        token = jwt.decode(id_token, keys, algorithms=[alg])
        assert token.header["kid"] == ctx.keys.kid_for(alg)
        assert token.claims["sub"] == seeded.user_id
