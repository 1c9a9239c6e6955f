"""Access tokens stay exactly RFC 9068 as Authlib builds them: our generator's output, header
and claims, is byte for byte what Authlib's own `access_token_generator` makes."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.context import AppContext
from idp.oauth.tokens import AccessTokenGenerator, TokenSubject
from idp.store.records import ClientRecord, UserRecord
from tests.lifecycle.helpers import SERVICE_AUTH
from tests.support import SERVICE_ID, Seeded


def _segment(token: str, index: int) -> bytes:
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FixedJti(AccessTokenGenerator):
    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return "fixed-jti"


class AuthlibBuilt(FixedJti):
    """Authlib's own claims and `jwt.encode`, with our hooks (audiences, grant, auth_time)."""

    access_token_generator = JWTBearerTokenGenerator.access_token_generator

    def get_jwks(self) -> KeySet:
        return KeySet([self._keys.key_for("ES256")])


async def test_token_response_and_header(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded
) -> None:
    response = await client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=SERVICE_AUTH
    )
    assert response.status_code == 200, response.text
    # RFC 6749 §5.1: JSON, never cached.
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert int(response.headers["content-length"]) == len(response.content)
    access_token = response.json()["access_token"]
    kid = ctx.keys.kid_for("ES256")
    assert _segment(access_token, 0) == (
        b'{"typ":"at+jwt","alg":"ES256","kid":"' + kid.encode() + b'"}'
    )
    token = jwt.decode(access_token, KeySet(list(ctx.keys.verifying.values())))
    assert set(token.claims) == {"iss", "exp", "aud", "sub", "client_id", "iat", "jti", "scope"}
    assert token.claims["sub"] == SERVICE_ID


@pytest.mark.parametrize("subject", [False, True], ids=["client", "user-grant"])
async def test_same_token_as_authlib_builds(
    ctx: AppContext, seeded: Seeded, monkeypatch: pytest.MonkeyPatch, subject: bool
) -> None:
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)
    client = ctx.store.client_cache.get(SERVICE_ID)
    assert isinstance(client, ClientRecord)
    user = None
    if subject:
        person = UserRecord("user-1", "a@example.org", "A", True, None, "hash")
        user = TokenSubject(person, grant_id="grant-1", auth_time=1_699_999_000.0)
    tokens = [
        generator(ctx.settings, ctx.keys)("client_credentials", client, user, "edi", None, False)
        for generator in (FixedJti, AuthlibBuilt)
    ]
    ours, authlibs = (t["access_token"] for t in tokens)
    assert ours.split(".")[:2] == authlibs.split(".")[:2]  # header and claims, byte for byte
    claims = json.loads(_segment(ours, 1))
    assert ("grant_id" in claims) is subject
    assert ("auth_time" in claims) is subject
    jwt.decode(ours, KeySet(list(ctx.keys.verifying.values())))  # and the signature holds
