"""Session: fresh tokens, refresh under the lock, sign-in over on invalid_grant, retries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from client import (
    REFRESH_TOKEN_LIFETIME,
    Backoff,
    IdTokenError,
    OAuthError,
    ProviderError,
    ProviderUnreachable,
    Session,
    SignInRequired,
    TokenCache,
    TokenResponse,
    http_refresher,
    http_revoker,
)

from .helpers import CLIENT_ID, ISSUER, FrozenClock, make_entry

TOKEN_ENDPOINT = f"{ISSUER}/token"


class RotatingTokenEndpoint:
    """A token endpoint that rotates refresh tokens and refuses reuse."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.current = "rt-0-secret-refresh"
        self.rotations = 0
        self.forms: list[dict[str, str]] = []
        self.failures: list[Exception] = []
        self.error: str | None = None
        self.extra: dict[str, Any] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.failures:
            raise self.failures.pop(0)
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.forms.append(form)
        if self.error is not None:
            return httpx.Response(400, json={"error": self.error})
        if form["refresh_token"] != self.current:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.rotations += 1
        self.current = f"rt-{self.rotations}"
        body = {
            "access_token": f"at-{self.rotations}",
            "token_type": "Bearer",
            "expires_in": 600,
            "refresh_token": self.current,
            **self.extra,
        }
        return httpx.Response(200, json=body)


@pytest.fixture
def endpoint(clock: FrozenClock) -> RotatingTokenEndpoint:
    return RotatingTokenEndpoint(clock)


@pytest.fixture
def http(endpoint: RotatingTokenEndpoint) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(endpoint)) as client:
        yield client


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def session(
    cache: TokenCache, clock: FrozenClock, http: httpx.Client, sleeps: list[float]
) -> Session:
    cache.store(make_entry(clock.now()))
    refresh = http_refresher(http, TOKEN_ENDPOINT, CLIENT_ID, clock=clock)
    return Session(cache, ISSUER, CLIENT_ID, refresh, sleep=sleeps.append)


def test_fresh_token_is_returned_without_refreshing(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock
) -> None:
    clock.advance(600 - 61)
    assert session.get_access_token() == "at-0-secret-access"
    assert endpoint.forms == []


def test_refreshes_when_less_than_60_seconds_remain(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock, cache: TokenCache
) -> None:
    clock.advance(600 - 59)
    assert session.get_access_token() == "at-1"
    assert endpoint.forms == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "rt-0-secret-refresh",
            "client_id": CLIENT_ID,
        }
    ]
    stored = cache.find(ISSUER, CLIENT_ID)
    assert (stored.refresh_token, stored.access_token_expires_at) == ("rt-1", clock.now() + 600)
    assert stored.auth_time == clock.now() - (600 - 59)  # the 30 days still count from sign-in
    assert session.get_access_token() == "at-1"
    assert endpoint.rotations == 1


def test_response_without_a_new_refresh_token_keeps_the_old_one(
    cache: TokenCache, clock: FrozenClock, sleeps: list[float]
) -> None:
    cache.store(make_entry(clock.now(), expires_in=0))

    def refresh(token: str) -> TokenResponse:
        return TokenResponse(
            access_token="at-new", token_type="Bearer", expires_at=clock.now() + 600
        )

    assert Session(cache, ISSUER, CLIENT_ID, refresh).get_access_token() == "at-new"
    assert cache.find(ISSUER, CLIENT_ID).refresh_token == "rt-0-secret-refresh"


def test_invalid_grant_signs_the_account_out(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock, cache: TokenCache
) -> None:
    endpoint.current = "rt-rotated-elsewhere"
    clock.advance(600)
    with pytest.raises(SignInRequired, match="sign in again"):
        session.get_access_token()
    assert cache.entries() == []
    assert b"rt-0" not in cache.path.read_bytes()


def test_other_oauth_errors_keep_the_sign_in(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock, cache: TokenCache
) -> None:
    endpoint.error = "invalid_client"
    clock.advance(600)
    with pytest.raises(OAuthError) as caught:
        session.get_access_token()
    assert not isinstance(caught.value, SignInRequired)
    assert cache.find(ISSUER, CLIENT_ID).refresh_token == "rt-0-secret-refresh"


def test_refresh_token_past_30_days_is_not_spent(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock
) -> None:
    clock.advance(REFRESH_TOKEN_LIFETIME)
    with pytest.raises(SignInRequired):
        session.get_access_token()
    assert endpoint.forms == []


def test_connection_failures_are_retried_with_bounded_backoff(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock, sleeps: list[float]
) -> None:
    endpoint.failures = [httpx.ConnectError("down"), httpx.ConnectTimeout("slow")]
    clock.advance(600)
    assert session.get_access_token() == "at-1"
    assert sleeps == [0.5, 1.0]


def test_retries_give_up(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock, sleeps: list[float]
) -> None:
    endpoint.failures = [httpx.ConnectError("down")] * 5
    clock.advance(600)
    with pytest.raises(ProviderUnreachable):
        session.get_access_token()
    assert sleeps == [0.5, 1.0]
    assert len(endpoint.failures) == 2  # three attempts in all


def test_backoff_is_capped() -> None:
    assert Backoff(attempts=6, initial=1, factor=3, maximum=10).delays() == [1, 3, 9, 10, 10]


def test_a_refresh_that_may_have_arrived_is_not_replayed(
    session: Session, endpoint: RotatingTokenEndpoint, clock: FrozenClock, sleeps: list[float]
) -> None:
    # After a read timeout the provider may have rotated the token: replaying it would look
    # like reuse and revoke the whole grant.
    endpoint.failures = [httpx.ReadTimeout("lost answer"), httpx.ReadTimeout("again")]
    clock.advance(600)
    with pytest.raises(ProviderUnreachable):
        session.get_access_token()
    assert sleeps == []
    assert len(endpoint.failures) == 1


def test_rejected_token_is_replaced_even_if_not_expired(
    session: Session, endpoint: RotatingTokenEndpoint
) -> None:
    assert session.refresh_access_token(rejected="at-0-secret-access") == "at-1"
    # A token rejected earlier, already replaced by someone else: no second refresh.
    assert session.refresh_access_token(rejected="at-0-secret-access") == "at-1"
    assert endpoint.rotations == 1


def test_refreshed_id_token_must_name_the_same_account(
    endpoint: RotatingTokenEndpoint, http: httpx.Client, clock: FrozenClock, cache: TokenCache
) -> None:
    endpoint.extra = {"id_token": "new-id-token"}
    cache.store(make_entry(clock.now()))
    refresh = http_refresher(http, TOKEN_ENDPOINT, CLIENT_ID, clock=clock)
    seen: list[tuple[str, str]] = []

    def session_seeing(claims: dict[str, Any]) -> Session:
        def validate(id_token: str, access_token: str) -> dict[str, Any]:
            seen.append((id_token, access_token))
            return claims

        return Session(cache, ISSUER, CLIENT_ID, refresh, validate_refreshed_id_token=validate)

    clock.advance(600)
    session_seeing({"sub": "user-1", "name": "Marie M."}).get_access_token()
    assert seen == [("new-id-token", "at-1")]
    assert cache.find(ISSUER, CLIENT_ID).claims == {"sub": "user-1", "name": "Marie M."}

    clock.advance(600)
    with pytest.raises(IdTokenError) as caught:
        session_seeing({"sub": "someone-else"}).get_access_token()
    assert caught.value.check == "sub"


def test_session_pins_the_account(cache: TokenCache, clock: FrozenClock, session: Session) -> None:
    assert session.entry().subject == "user-1"
    cache.store(make_entry(clock.now(), subject="user-2"))
    assert session.get_access_token() == "at-0-secret-access"


def test_sign_out_deletes_then_revokes(session: Session, cache: TokenCache) -> None:
    revoked: list[str] = []
    removed = session.sign_out(revoked.append)
    assert removed is not None and removed.id_token == "id-0-secret-idtoken"
    assert revoked == ["rt-0-secret-refresh"]
    assert cache.entries() == []
    assert session.sign_out(revoked.append) is None


def test_sign_out_survives_a_failed_revocation(
    session: Session, cache: TokenCache, caplog: pytest.LogCaptureFixture
) -> None:
    def revoke(token: str) -> None:
        raise ProviderUnreachable("offline", request_sent=False)

    with caplog.at_level(logging.WARNING, "sageid.client"):
        session.sign_out(revoke)
    assert cache.entries() == []
    assert "Could not revoke" in caplog.text


def test_http_revoker_posts_rfc7009_form() -> None:
    forms: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        forms.append(parse_qs(request.content.decode()))
        return httpx.Response(200 if len(forms) == 1 else 503)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        revoke = http_revoker(http, f"{ISSUER}/revoke", CLIENT_ID)
        revoke("rt-1")
        with pytest.raises(ProviderError):
            revoke("rt-2")
    assert forms[0] == {
        "token": ["rt-1"],
        "token_type_hint": ["refresh_token"],
        "client_id": [CLIENT_ID],
    }
