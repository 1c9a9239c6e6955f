"""Device authorization grant (RFC 8628) through the ASGI app, with an injected clock."""

from __future__ import annotations

import re

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.clock import FrozenClock
from shared.scopes import DEVICE_CODE_GRANT
from tests.support import (
    NATIVE_ID,
    PARTNER_ID,
    PARTNER_SECRET,
    Seeded,
    assert_oauth_error,
    csrf_of,
    query_of,
    sign_in,
)

ISSUER = "http://127.0.0.1:8000"
SCOPE = "openid profile email offline_access"


async def start(client: httpx.AsyncClient, **data: str) -> dict[str, object]:
    response = await client.post(
        "/device_authorization", data={"client_id": NATIVE_ID, "scope": SCOPE, **data}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, object] = response.json()
    return body


async def poll(client: httpx.AsyncClient, device_code: object) -> httpx.Response:
    return await client.post(
        "/token",
        data={
            "grant_type": DEVICE_CODE_GRANT,
            "device_code": str(device_code),
            "client_id": NATIVE_ID,
        },
    )


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error: str = response.json()["error"]
    return error


async def enter_code(client: httpx.AsyncClient, user_code: str) -> httpx.Response:
    page = await client.get("/device")
    return await client.post(
        "/device", data={"csrf_token": csrf_of(page.text), "user_code": user_code}
    )


async def approve(
    client: httpx.AsyncClient, user_code: str, decision: str = "approve"
) -> httpx.Response:
    entered = await enter_code(client, user_code)
    assert entered.status_code == 303, entered.text
    confirm_url = entered.headers["location"]
    page = await client.get(confirm_url)
    if page.status_code == 303:  # not signed in yet: the journey comes back here
        signed = await sign_in(client, following=query_of(page.headers["location"])["next"])
        assert signed.status_code == 303
        page = await client.get(signed.headers["location"])
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_of(page.text), "user_code": user_code, "decision": decision}
    return await client.post("/device/confirm", data=form)


async def test_device_authorization_response(client: httpx.AsyncClient, seeded: Seeded) -> None:
    body = await start(client)
    assert re.fullmatch(
        r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", str(body["user_code"])
    )
    assert len(str(body["device_code"])) >= 43  # 256 bits
    assert body["verification_uri"] == ISSUER + "/device"
    assert body["verification_uri_complete"] == f"{ISSUER}/device?user_code={body['user_code']}"
    assert body["expires_in"] == 600 and body["interval"] == 5


async def test_full_device_flow(
    client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock
) -> None:
    body = await start(client)
    assert error_of(await poll(client, body["device_code"])) == "authorization_pending"
    assert error_of(await poll(client, body["device_code"])) == "slow_down"  # too fast
    clock.advance(5)
    # The interval is now 10 s: 5 s is too fast again, and each slow_down adds 5 s more.
    assert error_of(await poll(client, body["device_code"])) == "slow_down"
    clock.advance(15)
    assert error_of(await poll(client, body["device_code"])) == "authorization_pending"

    done = await approve(client, str(body["user_code"]).lower().replace("-", " "))
    assert done.status_code == 200
    assert "connectée" in done.text or "connecté" in done.text or "connected" in done.text

    clock.advance(15)
    tokens = await poll(client, body["device_code"])
    assert tokens.status_code == 200, tokens.text
    issued = tokens.json()
    assert issued["refresh_token"] and issued["scope"] == SCOPE
    keys = KeySet.import_key_set((await client.get("/jwks.json")).json())
    claims = jwt.decode(issued["id_token"], keys).claims
    assert claims["aud"] == NATIVE_ID and claims["sub"] == seeded.user_id
    assert claims["auth_time"] <= claims["iat"] and "nonce" not in claims
    info = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert info.json()["email"] == seeded.email

    clock.advance(15)
    assert error_of(await poll(client, body["device_code"])) == "invalid_grant"  # once only


async def test_denied(client: httpx.AsyncClient, seeded: Seeded) -> None:
    body = await start(client)
    denied = await approve(client, str(body["user_code"]), decision="deny")
    assert denied.status_code == 200
    assert error_of(await poll(client, body["device_code"])) == "access_denied"


async def test_expired(client: httpx.AsyncClient, seeded: Seeded, clock: FrozenClock) -> None:
    body = await start(client)
    clock.advance(601)
    assert error_of(await poll(client, body["device_code"])) == "expired_token"
    entered = await enter_code(client, str(body["user_code"]))
    assert entered.status_code == 400  # can no longer be approved


async def test_verification_uri_complete_prefills_but_asks(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    body = await start(client)
    page = await client.get("/device", params={"user_code": str(body["user_code"])})
    assert page.status_code == 200
    assert f'value="{body["user_code"]}"' in page.text
    assert 'autocomplete="one-time-code"' in page.text


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"client_id": PARTNER_ID}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 400, "invalid_client"),
        ({"scope": "openid root"}, 400, "invalid_scope"),
    ],
    ids=["confidential-without-secret", "unknown", "scope"],
)
async def test_device_authorization_errors(
    client: httpx.AsyncClient, seeded: Seeded, data: dict[str, str], status: int, error: str
) -> None:
    response = await client.post(
        "/device_authorization", data={"client_id": NATIVE_ID, "scope": SCOPE, **data}
    )
    assert_oauth_error(response, status, error)


async def test_client_without_the_device_grant(client: httpx.AsyncClient, seeded: Seeded) -> None:
    response = await client.post(
        "/device_authorization", data={"scope": "openid"}, auth=(PARTNER_ID, PARTNER_SECRET)
    )
    assert_oauth_error(response, 400, "unauthorized_client")


async def test_device_code_is_bound_to_its_client(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    body = await start(client)
    response = await client.post(
        "/token",
        data={"grant_type": DEVICE_CODE_GRANT, "device_code": str(body["device_code"])},
        auth=(PARTNER_ID, PARTNER_SECRET),
    )
    assert response.json()["error"] in ("unauthorized_client", "invalid_grant")
    assert response.status_code in (400, 401)


async def test_wrong_user_codes_are_counted_and_throttled(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    await start(client)
    for attempt in range(5):
        response = await enter_code(client, f"BCDF-GHJ{'KLMNP'[attempt]}")
        assert response.status_code == 400
    throttled = await enter_code(client, "BCDF-GHJK")
    assert throttled.status_code == 429
    malformed = await client.post("/device", data={"user_code": "x"})
    assert malformed.status_code == 403  # no CSRF token


async def test_discovery_advertises_the_device_flow(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/openid-configuration")).json()
    assert metadata["device_authorization_endpoint"] == ISSUER + "/device_authorization"
    assert DEVICE_CODE_GRANT in metadata["grant_types_supported"]


async def test_every_code_lookup_is_throttled(client: httpx.AsyncClient, seeded: Seeded) -> None:
    """The confirmation page and the decision look codes up too: no free guessing there."""
    await sign_in(client)
    for attempt in range(5):
        wrong = f"BCDF-GHJ{'KLMNP'[attempt]}"
        assert (await client.get("/device/confirm", params={"user_code": wrong})).status_code == 400
    assert (
        await client.get("/device/confirm", params={"user_code": "BCDF-GHJQ"})
    ).status_code == 429
    page = await client.get("/device")
    decided = await client.post(
        "/device/confirm",
        data={"csrf_token": csrf_of(page.text), "user_code": "BCDF-GHJR", "decision": "approve"},
    )
    assert decided.status_code == 429


async def test_approving_directly_still_requires_referencing(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    """A POST straight to the decision can't skip the referencing step of a `referencing`
    request: the unreferenced user is sent to reference first and the device stays pending."""
    body = await start(client, scope="openid referencing")
    await sign_in(client)
    page = await client.get("/device")
    form = {"csrf_token": csrf_of(page.text), "user_code": body["user_code"], "decision": "approve"}
    response = await client.post("/device/confirm", data={k: str(v) for k, v in form.items()})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/reference?")
    assert error_of(await poll(client, body["device_code"])) == "authorization_pending"
