"""Helpers for the OpenID Connect corners (issue 15)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import csrf_of

ISSUER = "http://127.0.0.1:8000"


def assert_error_page(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def hidden_fields(html: str) -> list[tuple[str, str]]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return [(name, value.replace("&amp;", "&").replace("&#34;", '"')) for name, value in found]


async def consent(http: httpx.AsyncClient, page: httpx.Response) -> httpx.Response:
    form = dict(hidden_fields(page.text))
    form.update(csrf_token=csrf_of(page.text), decision="allow")
    return await http.post("/authorize", data=form)


async def published_keys(http: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await http.get("/jwks.json")).json())


async def verified_claims(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    decoded = jwt.decode(token, await published_keys(http))
    return dict(decoded.claims)
