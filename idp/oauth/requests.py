"""Authlib's request objects, built from an already-parsed Starlette request.

The body is read on the event loop; Authlib then runs in a worker thread on plain data.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

Items = Sequence[tuple[str, str]]


def duplicated(items: Items) -> list[str]:
    """Parameters given more than once: RFC 6749 §3.1 forbids them, and a dict would silently
    keep one."""
    seen: set[str] = set()
    repeated = []
    for key, _ in items:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


class ParsedPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: Items) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ParsedOAuth2Request(OAuth2Request):  # type: ignore[misc]
    # Authlib checks the transport (RFC 6749 §3.1, §3.2: TLS) of every request's URI with URL
    # and IP address parsing (its cost: bench/README.md), though ours are our own fixed endpoint
    # URLs. A URI that passed on its own merits (https, or a loopback issuer) is checked once per
    # process; the state Authlib's __init__ left is kept to start the next request from. Nothing
    # is kept while AUTHLIB_INSECURE_TRANSPORT lets every URI pass, so that override stays per
    # request.
    _checked_uris: ClassVar[dict[str, dict[str, Any]]] = {}
    _MAX_CHECKED_URIS: ClassVar[int] = 32

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: Items = (),
        form: Items = (),
    ) -> None:
        fresh = self._checked_uris.get(uri)
        if fresh is None:
            super().__init__(method, uri, headers=headers)
            self._remember_checked(uri)
        else:
            self.__dict__.update(fresh)
            self.method = method
            self.headers = headers or {}
        self.payload = ParsedPayload([*query, *form])
        self._args = dict(query)
        self._form = dict(form)
        # Filled by our grants for the token generator (see idp.oauth.tokens.TokenSubject).
        self.subject: Any = None
        # Set by the refresh grant when a rotated token came back (counted in the metrics).
        self.reuse_detected = False

    def _remember_checked(self, uri: str) -> None:
        if os.getenv("AUTHLIB_INSECURE_TRANSPORT"):
            return
        if len(self._checked_uris) < self._MAX_CHECKED_URIS:
            # Without this request's own method and headers (the latter hold its credentials).
            fresh = {k: v for k, v in vars(self).items() if k not in ("method", "headers")}
            self._checked_uris[uri] = fresh

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form
