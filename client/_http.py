"""The thin I/O edge: an injected `httpx.Client`, JSON in and out, bounded retries.

Everything above this module is pure; tests swap the network for `httpx.MockTransport`.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import truststore

from ._exceptions import ProviderError, ProviderUnreachable

T = TypeVar("T")

# Errors raised before any byte of the request left this machine: retrying them cannot
# replay a request the provider has already acted on.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def default_http_client(*, timeout: float = 10.0) -> httpx.Client:
    """Return an `httpx.Client` using the OS trust store and proxies from the environment."""
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return httpx.Client(
        verify=context,
        trust_env=True,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": "sageid-client", "Accept": "application/json"},
    )


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff: `attempts` tries, delays `initial * factor**n` ≤ `maximum`."""

    attempts: int = 3
    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 5.0

    def delays(self) -> list[float]:
        """Return the delays slept between attempts (one fewer than `attempts`)."""
        return [min(self.initial * self.factor**n, self.maximum) for n in range(self.attempts - 1)]


def retry_unsent(
    call: Callable[[], T],
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`, retrying a `ProviderUnreachable` whose request was never sent."""
    for delay in backoff.delays():
        try:
            return call()
        except ProviderUnreachable as error:
            if error.request_sent:
                raise
        sleep(delay)
    return call()


def _send(
    http: httpx.Client, request: httpx.Request, auth: httpx.Auth | None = None
) -> httpx.Response:
    try:
        return http.send(request) if auth is None else http.send(request, auth=auth)
    except httpx.TransportError as error:
        sent = not isinstance(error, _NOT_SENT)
        raise ProviderUnreachable(
            f"cannot reach {request.url.copy_with(query=None)}: {error!r}", request_sent=sent
        ) from error


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError as error:
        raise ProviderError(
            f"{response.request.url} answered {response.status_code} with a non-JSON body"
        ) from error
    if not isinstance(data, dict):
        raise ProviderError(f"{response.request.url} answered JSON that is not an object")
    return data


def get_json(http: httpx.Client, url: str) -> dict[str, Any]:
    """GET `url` and return its JSON object; a non-2xx status is a `ProviderError`."""
    response = _send(http, http.build_request("GET", url))
    if not response.is_success:
        raise ProviderError(f"GET {url} answered {response.status_code}")
    return _json_object(response)


def post_form(
    http: httpx.Client, url: str, form: Mapping[str, str], *, auth: httpx.Auth | None = None
) -> tuple[int, dict[str, Any]]:
    """POST `form` urlencoded to `url` (with `auth`, e.g. a DPoP proof); return the status
    and the JSON object answered."""
    response = _send(http, http.build_request("POST", url, data=dict(form)), auth)
    return response.status_code, _json_object(response)


def post_form_status(http: httpx.Client, url: str, form: Mapping[str, str]) -> int:
    """POST `form` urlencoded to `url` and return only the status (the body may be empty)."""
    return _send(http, http.build_request("POST", url, data=dict(form))).status_code
