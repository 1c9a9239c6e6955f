"""The device flow (RFC 8628): the device authorization response, the polling schedule
(`interval`, +5 s per `slow_down`, stop at `expires_in`) and the polling loop, whose
clock and sleep are injected so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from ._authorization import DEFAULT_SCOPE, _space_joined
from ._clock import Clock, SystemClock
from ._exceptions import (
    AuthorizationDenied,
    DeviceCodeExpired,
    OAuthError,
    ProviderError,
    ProviderUnreachable,
)
from ._http import post_form
from ._tokens import TokenResponse, device_code_grant, raise_for_oauth_error, request_token

DEFAULT_INTERVAL: Final = 5  # RFC 8628 §3.2: 5 s when the provider names none.
SLOW_DOWN_STEP: Final = 5  # RFC 8628 §3.5: "increase the interval by 5 seconds".
MAX_NETWORK_INTERVAL: Final = 60.0


def _positive_int(data: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ProviderError(f"device authorization response: {name!r} is not a positive integer")
    return value


def _string(data: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ProviderError(f"device authorization response: {name!r} is not a string")
    return value


@dataclass(frozen=True)
class DeviceAuthorization:
    """A device authorization response (RFC 8628 §3.2) with an absolute `expires_at`."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_at: float
    interval: int = DEFAULT_INTERVAL

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, now: float) -> DeviceAuthorization:
        """Parse the response to a device authorization request sent at `now`."""
        return cls(
            device_code=str(_string(data, "device_code")),
            user_code=str(_string(data, "user_code")),
            verification_uri=str(_string(data, "verification_uri")),
            verification_uri_complete=_string(data, "verification_uri_complete", required=False),
            expires_at=now + _positive_int(data, "expires_in"),
            interval=_positive_int(data, "interval", DEFAULT_INTERVAL),
        )


def start_device_authorization(
    http: httpx.Client,
    device_authorization_endpoint: str,
    client_id: str,
    *,
    now: float,
    scope: str | Sequence[str] = DEFAULT_SCOPE,
) -> DeviceAuthorization:
    """Ask the provider for a device code and user code (RFC 8628 §3.1)."""
    form = {"client_id": client_id, "scope": str(_space_joined(scope))}
    status_code, data = post_form(http, device_authorization_endpoint, form)
    raise_for_oauth_error(status_code, data)
    return DeviceAuthorization.from_json(data, now=now)


class DevicePollSchedule:
    """When to poll next: I/O-free bookkeeping of RFC 8628 §3.5."""

    def __init__(self, authorization: DeviceAuthorization) -> None:
        self.interval = float(authorization.interval)
        self.expires_at = authorization.expires_at

    def slow_down(self) -> None:
        """The provider answered `slow_down`: poll 5 s less often from now on."""
        self.interval += SLOW_DOWN_STEP

    def network_failure(self) -> None:
        """A poll did not get through: back off exponentially (RFC 8628 §3.5), bounded."""
        self.interval = min(self.interval * 2, MAX_NETWORK_INTERVAL)

    def expired(self, now: float) -> bool:
        """True once the device code has expired: stop polling."""
        return now >= self.expires_at


def poll_device_token(
    http: httpx.Client,
    token_endpoint: str,
    client_id: str,
    authorization: DeviceAuthorization,
    *,
    clock: Clock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[float], None] | None = None,
    auth: httpx.Auth | None = None,
) -> TokenResponse:
    """Poll the token endpoint until the user approves, refuses, or the code expires.

    `on_wait(seconds_left)` is called before each wait (for a countdown display); `auth`
    (a `DPoPAuth`) puts a proof on every poll, so the tokens come bound (RFC 9449).
    Raises `AuthorizationDenied` (`access_denied`) or `DeviceCodeExpired`.
    """
    clock = clock if clock is not None else SystemClock()
    schedule = DevicePollSchedule(authorization)
    body = device_code_grant(authorization.device_code, client_id=client_id)
    while True:
        if on_wait is not None:
            on_wait(max(0.0, schedule.expires_at - clock.now()))
        sleep(schedule.interval)
        now = clock.now()
        if schedule.expired(now):
            raise DeviceCodeExpired("the code expired before the sign-in was approved")
        try:
            return request_token(http, token_endpoint, body, now=now, auth=auth)
        except ProviderUnreachable:
            schedule.network_failure()
        except OAuthError as error:
            if error.error == "slow_down":
                schedule.slow_down()
            elif error.error == "access_denied":
                raise AuthorizationDenied(error.error, error.description, error.uri) from error
            elif error.error == "expired_token":
                raise DeviceCodeExpired(
                    "the code expired before the sign-in was approved"
                ) from error
            elif error.error != "authorization_pending":
                raise
