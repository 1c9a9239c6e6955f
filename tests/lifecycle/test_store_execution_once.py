"""One execution per request, in the mode of its backend (`idp.execution`): every grant and
endpoint of Authlib, and its client authentication, runs exactly once — on the event loop on
SQLite, in a greenlet on the loop's thread on PostgreSQL — whatever the store had to do."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.util.concurrency import in_greenlet

from idp.context import AppContext
from idp.execution import ExecutionMode
from idp.oauth.authorization_code import AuthorizationCodeGrant
from idp.oauth.client_credentials import ClientCredentialsGrant
from idp.oauth.introspection import IntrospectionEndpoint
from idp.oauth.refresh import RefreshTokenGrant
from idp.oauth.revocation import RevocationEndpoint
from idp.oauth.server import SageAuthorizationServer
from tests.lifecycle.helpers import SERVICE_AUTH, introspect, refresh, sign_in_tokens
from tests.support import NATIVE_ID, Seeded

COUNTED = (
    (AuthorizationCodeGrant, "create_token_response"),
    (RefreshTokenGrant, "create_token_response"),
    (ClientCredentialsGrant, "create_token_response"),
    (IntrospectionEndpoint, "create_endpoint_response"),
    (RevocationEndpoint, "create_endpoint_response"),
    (SageAuthorizationServer, "authenticate_client"),
)


class Executions:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.threads: set[int] = set()
        self.in_greenlet: set[bool] = set()

    def counting(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            self.threads.add(threading.get_ident())
            self.in_greenlet.add(in_greenlet())
            return method(*args, **kwargs)

        return counted

    def take(self) -> dict[str, int]:
        taken = dict(self.calls)
        self.calls.clear()
        return taken


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> Executions:
    counter = Executions()
    for cls, method in COUNTED:
        name = f"{cls.__name__}.{method}"
        monkeypatch.setattr(cls, method, counter.counting(name, getattr(cls, method)))
    return counter


async def test_every_request_executes_its_grant_once(
    client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded, executions: Executions
) -> None:
    tokens = await sign_in_tokens(client)
    assert executions.take() == {
        "AuthorizationCodeGrant.create_token_response": 1,
        "SageAuthorizationServer.authenticate_client": 1,
    }

    response = await refresh(client, tokens["refresh_token"])  # a write transaction
    assert response.status_code == 200, response.text
    refreshed = response.json()
    assert executions.take() == {
        "RefreshTokenGrant.create_token_response": 1,
        "SageAuthorizationServer.authenticate_client": 1,
    }

    response = await client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=SERVICE_AUTH
    )
    assert response.status_code == 200, response.text
    assert executions.take() == {
        "ClientCredentialsGrant.create_token_response": 1,
        "SageAuthorizationServer.authenticate_client": 1,
    }

    assert (await introspect(client, refreshed["access_token"]))["active"] is True
    assert executions.take() == {
        "IntrospectionEndpoint.create_endpoint_response": 1,
        "SageAuthorizationServer.authenticate_client": 1,
    }

    for token in (refreshed["access_token"], refreshed["refresh_token"]):  # both write
        response = await client.post("/revoke", data={"token": token, "client_id": NATIVE_ID})
        assert response.status_code == 200, response.text
        assert executions.take() == {
            "RevocationEndpoint.create_endpoint_response": 1,
            "SageAuthorizationServer.authenticate_client": 1,
        }
    assert (await introspect(client, refreshed["access_token"]))["active"] is False

    assert executions.threads == {threading.get_ident()}  # the event loop's
    if ctx.store.db.is_sqlite:
        assert ctx.bridge.mode is ExecutionMode.EMBEDDED
        assert executions.in_greenlet == {False}
    else:
        assert ctx.bridge.mode is ExecutionMode.SCALE_OUT
        assert executions.in_greenlet == {True}
