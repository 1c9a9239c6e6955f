"""BearerAuth: the token goes in the header; one retry after a 401 with a fresh token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from client import BearerAuth, Session, TokenCache, TokenResponse

from .helpers import CLIENT_ID, ISSUER, FrozenClock, make_entry

API = "http://127.0.0.1:8000/api/v1/submissions"


class Refresher:
    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.calls = 0

    def __call__(self, refresh_token: str) -> TokenResponse:
        self.calls += 1
        return TokenResponse(
            access_token=f"at-{self.calls}",
            token_type="Bearer",
            expires_at=self.clock.now() + 600,
            refresh_token=f"rt-{self.calls}",
        )


@pytest.fixture
def refresher(clock: FrozenClock) -> Refresher:
    return Refresher(clock)


@pytest.fixture
def session(cache: TokenCache, clock: FrozenClock, refresher: Refresher) -> Session:
    cache.store(make_entry(clock.now()))
    return Session(cache, ISSUER, CLIENT_ID, refresher)


class Api:
    """A resource server that accepts only the tokens in `valid`."""

    def __init__(self, valid: set[str]) -> None:
        self.valid = valid
        self.seen: list[tuple[str, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.headers.get("authorization", ""), request.content))
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return httpx.Response(200 if token in self.valid else 401)


@pytest.fixture
def api() -> Api:
    return Api({"at-0-secret-access", "at-1"})


@pytest.fixture
def http(api: Api, session: Session) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(api), auth=BearerAuth(session)) as client:
        yield client


def test_sends_the_bearer_token(http: httpx.Client, api: Api, refresher: Refresher) -> None:
    assert http.get(API).status_code == 200
    assert api.seen == [("Bearer at-0-secret-access", b"")]
    assert refresher.calls == 0


def test_retries_once_with_a_refreshed_token_after_401(
    http: httpx.Client, api: Api, refresher: Refresher
) -> None:
    api.valid = {"at-1"}  # the provider revoked the cached token early
    response = http.post(API, content=b"<declaration/>")
    assert response.status_code == 200
    assert api.seen == [
        ("Bearer at-0-secret-access", b"<declaration/>"),
        ("Bearer at-1", b"<declaration/>"),
    ]
    assert refresher.calls == 1


def test_does_not_loop_on_401(http: httpx.Client, api: Api, refresher: Refresher) -> None:
    api.valid = set()
    assert http.get(API).status_code == 401
    assert len(api.seen) == 2
    assert refresher.calls == 1


def test_refreshes_before_sending_when_the_token_is_about_to_expire(
    http: httpx.Client, api: Api, refresher: Refresher, clock: FrozenClock
) -> None:
    clock.advance(570)
    assert http.get(API).status_code == 200
    assert api.seen == [("Bearer at-1", b"")]


async def test_async_client(api: Api, session: Session, refresher: Refresher) -> None:
    api.valid = {"at-1"}
    transport = httpx.MockTransport(api)
    async with httpx.AsyncClient(transport=transport, auth=BearerAuth(session)) as http:
        response = await http.get(API)
    assert response.status_code == 200
    assert [header for header, _ in api.seen] == ["Bearer at-0-secret-access", "Bearer at-1"]
    assert refresher.calls == 1
