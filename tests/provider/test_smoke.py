from __future__ import annotations

import httpx

from tests.support import (
    Seeded,
    authorization_code,
    pkce_authorize_params,
    query_of,
    redeem_code,
)


async def test_code_flow(client: httpx.AsyncClient, seeded: Seeded) -> None:
    verifier, params = pkce_authorize_params()
    response = await authorization_code(client, params)
    assert response.status_code == 302, response.text
    got = query_of(response.headers["location"])
    assert got["state"] == params["state"]
    body = await redeem_code(client, got["code"], verifier)
    print(body)
    info = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    print(info.status_code, info.text)
    assert info.status_code == 200
