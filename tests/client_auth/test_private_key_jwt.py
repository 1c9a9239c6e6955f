"""`private_key_jwt` (RFC 7523 §2.2, OIDC Core §9, issue 16) at /token, /par, /introspect and
/revoke: the registered key, `aud`, a short `exp`, a `jti` used once; keys from a `jwks_uri`
fetched again on an unknown `kid`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from idp.clock import FrozenClock
from idp.context import AppContext
from tests.client_auth.helpers import (
    ISSUER,
    KEYED_ID,
    add_keyed_client,
    assertion,
    assertion_form,
    jwks_server,
    new_key,
    public_set,
)
from tests.support import Seeded, authorize_params, pkce_pair

KEY = new_key("key-1")


def token_form(signed: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "scope": "edi", **assertion_form(signed)}


def assert_invalid_client(response: httpx.Response) -> None:
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] == "invalid_client"


@pytest.fixture
async def keyed(ctx: AppContext, seeded: Seeded) -> None:
    await add_keyed_client(ctx, jwks=public_set(KEY))


async def test_the_registered_key_authenticates_at_the_token_endpoint(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    response = await client.post("/token", data=token_form(assertion(KEY, clock.now())))
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize("aud", [ISSUER, ISSUER + "/token", [ISSUER, "https://other.example"]])
async def test_aud_is_the_issuer_or_the_token_endpoint(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock, aud: Any
) -> None:
    response = await client.post("/token", data=token_form(assertion(KEY, clock.now(), aud=aud)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "https://other.example/token"},
        {"aud": ISSUER + "/introspect"},
        {"aud": None},
        {"exp": None},
        {"jti": None},
        {"iss": "someone-else"},
    ],
    ids=["other-aud", "endpoint-aud", "no-aud", "no-exp", "no-jti", "iss-not-sub"],
)
async def test_a_wrong_claim_is_refused(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock, changes: dict[str, Any]
) -> None:
    signed = assertion(KEY, clock.now(), **changes)
    assert_invalid_client(await client.post("/token", data=token_form(signed)))


async def test_an_expired_assertion_is_refused(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    signed = assertion(KEY, clock.now())
    clock.advance(60 + 31)  # past exp and the 30 s leeway
    assert_invalid_client(await client.post("/token", data=token_form(signed)))


async def test_a_long_lived_assertion_is_refused(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    signed = assertion(KEY, clock.now(), exp=int(clock.now()) + 3600)
    assert_invalid_client(await client.post("/token", data=token_form(signed)))


async def test_another_key_is_refused(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    impostor = new_key("key-1")  # same kid, another key
    assert_invalid_client(
        await client.post("/token", data=token_form(assertion(impostor, clock.now())))
    )


async def test_a_replayed_jti_is_refused(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    signed = assertion(KEY, clock.now())
    assert (await client.post("/token", data=token_form(signed))).status_code == 200
    assert_invalid_client(await client.post("/token", data=token_form(signed)))
    same_jti = assertion(KEY, clock.now(), jti="fixed")
    assert (await client.post("/token", data=token_form(same_jti))).status_code == 200
    again = assertion(KEY, clock.now() + 1, jti="fixed")  # a new assertion, the same jti
    assert_invalid_client(await client.post("/token", data=token_form(again)))


async def test_a_secret_does_not_authenticate_a_keyed_client(
    client: httpx.AsyncClient, keyed: None
) -> None:
    form = {"grant_type": "client_credentials", "scope": "edi"}
    assert_invalid_client(await client.post("/token", data=form, auth=(KEYED_ID, "guess")))
    posted = {**form, "client_id": KEYED_ID}
    assert_invalid_client(await client.post("/token", data=posted))


async def test_a_secret_client_cannot_use_an_assertion(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    signed = assertion(KEY, clock.now(), client_id="service-test")
    assert_invalid_client(await client.post("/token", data=token_form(signed)))


async def test_private_key_jwt_at_par_introspect_and_revoke(
    client: httpx.AsyncClient, keyed: None, clock: FrozenClock
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(
        client_id=KEYED_ID,
        redirect_uri="https://service.example/callback",
        scope="openid",
        challenge=challenge,
    )
    pushed = await client.post(
        "/par", data={**params, **assertion_form(assertion(KEY, clock.now()))}
    )
    assert pushed.status_code == 201, pushed.text
    token = (await client.post("/token", data=token_form(assertion(KEY, clock.now())))).json()
    form = {"token": token["access_token"], **assertion_form(assertion(KEY, clock.now()))}
    introspected = await client.post("/introspect", data=form)
    assert introspected.status_code == 200 and introspected.json()["active"] is True
    form = {"token": token["access_token"], **assertion_form(assertion(KEY, clock.now()))}
    assert (await client.post("/revoke", data=form)).status_code == 200
    unsigned = {"token": token["access_token"], "client_id": KEYED_ID}
    assert_invalid_client(await client.post("/introspect", data=unsigned))


async def test_discovery_advertises_private_key_jwt(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert "ES256" in metadata["token_endpoint_auth_signing_alg_values_supported"]
    assert "HS256" not in metadata["token_endpoint_auth_signing_alg_values_supported"]


async def test_jwks_uri_is_cached_and_fetched_again_for_an_unknown_kid(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, clock: FrozenClock
) -> None:
    first, second = new_key("first"), new_key("second")
    with jwks_server(public_set(first)) as keys:
        await add_keyed_client(ctx, jwks_uri=keys.url)
        ok = await client.post("/token", data=token_form(assertion(first, clock.now())))
        assert ok.status_code == 200, ok.text
        ok = await client.post("/token", data=token_form(assertion(first, clock.now())))
        assert ok.status_code == 200 and keys.fetches == 1  # cached

        keys.document = public_set(first, second)  # the client rotates its keys
        clock.advance(11)
        rotated = await client.post("/token", data=token_form(assertion(second, clock.now())))
        assert rotated.status_code == 200, rotated.text
        assert keys.fetches == 2  # the unknown kid fetched the set again

        unknown = new_key("third")
        refused = await client.post("/token", data=token_form(assertion(unknown, clock.now())))
        assert_invalid_client(refused)
        assert keys.fetches == 2  # not again so soon: an unknown kid cannot make us a proxy
