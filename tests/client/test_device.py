"""Device flow: response model, polling schedule and loop, with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from client import (
    AuthorizationDenied,
    DeviceAuthorization,
    DeviceCodeExpired,
    OAuthError,
    ProviderError,
    poll_device_token,
    start_device_authorization,
)

from .helpers import CLIENT_ID, ISSUER, START, FrozenClock

TOKEN_ENDPOINT = f"{ISSUER}/token"
DEVICE_ENDPOINT = f"{ISSUER}/device_authorization"
SUCCESS = {"access_token": "at", "token_type": "Bearer", "expires_in": 600}


def authorization(expires_in: int = 600, interval: int = 5) -> DeviceAuthorization:
    data = {
        "device_code": "dc-1",
        "user_code": "WDJB-MJHT",
        "verification_uri": f"{ISSUER}/device",
        "verification_uri_complete": f"{ISSUER}/device?user_code=WDJB-MJHT",
        "expires_in": expires_in,
        "interval": interval,
    }
    return DeviceAuthorization.from_json(data, now=START)


def test_device_authorization_response() -> None:
    parsed = authorization()
    assert parsed.expires_at == START + 600
    assert parsed.interval == 5
    assert "dc-1" not in repr(parsed)


def test_interval_defaults_to_five_seconds() -> None:
    data = {"device_code": "d", "user_code": "u", "verification_uri": "v", "expires_in": 600}
    parsed = DeviceAuthorization.from_json(data, now=START)
    assert (parsed.interval, parsed.verification_uri_complete) == (5, None)


@pytest.mark.parametrize("missing", ["device_code", "user_code", "verification_uri", "expires_in"])
def test_incomplete_device_authorization_is_refused(missing: str) -> None:
    data: dict[str, Any] = {
        "device_code": "d",
        "user_code": "u",
        "verification_uri": "v",
        "expires_in": 600,
    }
    del data[missing]
    with pytest.raises(ProviderError):
        DeviceAuthorization.from_json(data, now=START)


def test_start_posts_client_and_scope() -> None:
    forms: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        forms.append(parse_qs(request.content.decode()))
        return httpx.Response(
            200,
            json={"device_code": "d", "user_code": "u", "verification_uri": "v", "expires_in": 600},
        )

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        parsed = start_device_authorization(http, DEVICE_ENDPOINT, CLIENT_ID, now=START)
    assert parsed.user_code == "u"
    assert forms == [
        {"client_id": [CLIENT_ID], "scope": ["openid profile email offline_access referencing edi"]}
    ]


class ScriptedTokenEndpoint:
    """Answers polls from a script, recording the clock at each poll."""

    def __init__(self, clock: FrozenClock, answers: list[dict[str, Any] | str]) -> None:
        self.clock = clock
        self.answers: Iterator[dict[str, Any] | str] = iter(answers)
        self.polled_at: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert parse_qs(request.content.decode())["device_code"] == ["dc-1"]
        self.polled_at.append(self.clock.now() - START)
        answer = next(self.answers, "authorization_pending")
        if isinstance(answer, str):
            return httpx.Response(400, json={"error": answer})
        return httpx.Response(200, json=answer)


def poll(clock: FrozenClock, endpoint: ScriptedTokenEndpoint, auth: DeviceAuthorization) -> Any:
    with httpx.Client(transport=httpx.MockTransport(endpoint)) as http:
        return poll_device_token(
            http, TOKEN_ENDPOINT, CLIENT_ID, auth, clock=clock, sleep=clock.sleep
        )


def test_polls_at_the_interval_and_slows_down(clock: FrozenClock) -> None:
    endpoint = ScriptedTokenEndpoint(
        clock, ["authorization_pending", "slow_down", "authorization_pending", SUCCESS]
    )
    response = poll(clock, endpoint, authorization())
    assert response.access_token == "at"
    # 5 s, 5 s, then +5 s after slow_down: 10 s, 10 s.
    assert endpoint.polled_at == [5, 10, 20, 30]


def test_slow_down_accumulates(clock: FrozenClock) -> None:
    endpoint = ScriptedTokenEndpoint(clock, ["slow_down", "slow_down", SUCCESS])
    poll(clock, endpoint, authorization(interval=7))
    assert endpoint.polled_at == [7, 19, 36]


def test_stops_at_expires_in(clock: FrozenClock) -> None:
    endpoint = ScriptedTokenEndpoint(clock, [])  # pending forever
    with pytest.raises(DeviceCodeExpired):
        poll(clock, endpoint, authorization(expires_in=22))
    assert endpoint.polled_at == [5, 10, 15, 20]
    assert clock.now() - START == 25  # no poll after expiry


@pytest.mark.parametrize(
    ("error", "exception"),
    [("access_denied", AuthorizationDenied), ("expired_token", DeviceCodeExpired)],
)
def test_terminal_errors(clock: FrozenClock, error: str, exception: type[Exception]) -> None:
    endpoint = ScriptedTokenEndpoint(clock, ["authorization_pending", error])
    with pytest.raises(exception):
        poll(clock, endpoint, authorization())


def test_unexpected_oauth_error_is_raised(clock: FrozenClock) -> None:
    endpoint = ScriptedTokenEndpoint(clock, ["invalid_client"])
    with pytest.raises(OAuthError) as caught:
        poll(clock, endpoint, authorization())
    assert caught.value.error == "invalid_client"


def test_network_failure_backs_off(clock: FrozenClock) -> None:
    polled_at: list[float] = []
    failures = iter([True, True, False])

    def handler(request: httpx.Request) -> httpx.Response:
        polled_at.append(clock.now() - START)
        if next(failures):
            raise httpx.ConnectError("down")
        return httpx.Response(200, json=SUCCESS)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        poll_device_token(
            http, TOKEN_ENDPOINT, CLIENT_ID, authorization(), clock=clock, sleep=clock.sleep
        )
    assert polled_at == [5, 15, 35]


def test_on_wait_reports_the_time_left(clock: FrozenClock) -> None:
    left: list[float] = []
    endpoint = ScriptedTokenEndpoint(clock, ["authorization_pending", SUCCESS])
    with httpx.Client(transport=httpx.MockTransport(endpoint)) as http:
        poll_device_token(
            http,
            TOKEN_ENDPOINT,
            CLIENT_ID,
            authorization(),
            clock=clock,
            sleep=clock.sleep,
            on_wait=left.append,
        )
    assert left == [600, 595]
