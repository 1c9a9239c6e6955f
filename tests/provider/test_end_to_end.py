"""End to end against a real uvicorn server on a loopback port, with Authlib's own httpx OAuth
client as the relying party (an off-the-shelf OIDC client)."""

from __future__ import annotations

import secrets

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import LiveServer, free_port
from tests.support import EMAIL, NATIVE_ID, authorization_code

SCOPE = "openid profile email offline_access"


async def test_code_flow_with_authlib_client(live_server: LiveServer) -> None:
    issuer = live_server.url
    async with httpx.AsyncClient(base_url=issuer) as browser:
        metadata = (await browser.get("/.well-known/openid-configuration")).json()
        assert metadata["issuer"] == issuer

        redirect_uri = f"http://127.0.0.1:{free_port()}/callback"  # any port (RFC 8252 §7.3)
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(12)
        relying_party = AsyncOAuth2Client(
            client_id=NATIVE_ID,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        )
        async with relying_party:
            url, state = relying_party.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
            assert create_s256_code_challenge(verifier) in url

            # The user's browser: follow /authorize through the sign-in page.
            params = dict(httpx.URL(url).params)
            callback = await authorization_code(browser, params)
            location = callback.headers["location"]
            assert location.startswith(redirect_uri)
            assert httpx.URL(location).params["iss"] == issuer

            token = await relying_party.fetch_token(
                metadata["token_endpoint"],
                authorization_response=location,
                code_verifier=verifier,
                state=state,
            )
            assert token["token_type"].lower() == "bearer"

            keys = KeySet.import_key_set((await browser.get(metadata["jwks_uri"])).json())
            decoded = jwt.decode(token["id_token"], keys)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {"iss": {"value": issuer}, "aud": {"value": NATIVE_ID}, "nonce": {"value": nonce}},
                {"access_token": token["access_token"], "nonce": nonce},
            )
            claims.validate()  # iss, aud, exp, iat, nonce, at_hash

            info = await relying_party.get(metadata["userinfo_endpoint"])
            assert info.status_code == 200
            assert info.json()["email"] == EMAIL
            assert info.json()["sub"] == decoded.claims["sub"]


async def test_clients_added_by_another_process_are_seen(live_server: LiveServer) -> None:
    """The CLI writes to the database; the running server's client cache picks it up."""
    import anyio

    from idp.store import Store

    store = Store(live_server.settings.database_url)
    try:
        await store.clients.add(
            client_id="added-later",
            name="Added later",
            public=True,
            redirect_uris=["http://127.0.0.1/cb"],
            post_logout_redirect_uris=[],
            grant_types=["authorization_code"],
            scope="openid",
            first_party=True,
            now=0.0,
        )
    finally:
        await store.close()
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        params = {
            "response_type": "code",
            "client_id": "added-later",
            "redirect_uri": "http://127.0.0.1:5000/cb",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "scope": "openid",
        }
        for _ in range(50):
            response = await http.get("/authorize", params=params)
            if response.status_code == 303:
                break
            await anyio.sleep(0.1)
        assert response.status_code == 303  # to the sign-in page: the client is known
