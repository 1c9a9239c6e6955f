"""Slow clients: a request must arrive whole, headers and body, within `read_timeout` seconds.

uvicorn bounds only the idle time between requests on a keep-alive connection
(`timeout_keep_alive`): a client that opens a connection and sends its headers or its body a
byte at a time holds a connection (and, while its body is awaited, a request) as long as it
likes. This protocol, uvicorn's httptools one plus a timer, closes the connection when the
request being read is not complete in time. The timer is armed when a request's first bytes
arrive (or the connection opens) and cancelled once its last byte is parsed, so a request that
came whole costs one `call_later` and one `cancel`.

`sageid-idp serve` passes it to uvicorn; the worker's `idp.asgi.app_factory` sets the timeout
from the settings (the class is imported by name in each worker process).
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("sageid.slow_clients")


class ReadTimeoutProtocol(HttpToolsProtocol):
    read_timeout: float = 10.0
    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._read_timer is None:
            self._arm()
        super().data_received(data)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._read_timer = self.loop.call_later(self.read_timeout, self._expired)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _expired(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            log.info(
                "closed a connection whose request took over %g s to arrive", self.read_timeout
            )
            self.transport.close()
