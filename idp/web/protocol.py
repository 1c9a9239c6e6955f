"""The HTTP protocol `sageid-idp serve` gives uvicorn: uvicorn's httptools one, with requests
bounded in time and each response written in one system call.

**Slow clients.** A request must arrive whole, headers and body, within `read_timeout` seconds.
uvicorn bounds only the idle time between requests on a keep-alive connection
(`timeout_keep_alive`): a client that opens a connection and sends its headers or its body a
byte at a time holds a connection (and, while its body is awaited, a request) as long as it
likes. Here a timer closes the connection when the request being read is not complete in time.
It is armed when a request's first bytes arrive (or the connection opens) and cancelled once
its last byte is parsed, so a request that came whole costs one `call_later` and one `cancel`.

**One write per response.** uvicorn writes a response's status line and headers, then its
body, each straight to the socket: two `send()` calls, and on a keep-alive connection two
wake-ups of the client, for the typical small JSON answer. The transport is wrapped so that
what is written during one turn of the event loop goes out together at the end of that turn
(`loop.call_soon`), in one call; past `COALESCE_LIMIT` bytes pending it goes out at once, so a
large or streamed body is never held back, and closing the connection sends what is pending
first. Measured with `make bench`, CPU per request, the same build with and without it: client
credentials ~285 -> ~190 µs, userinfo ~160 -> ~125, introspection ~205 -> ~160, the bare
Starlette ceiling 53 -> 36 (bench/README.md, "One write per response").

`sageid-idp serve` passes the class to uvicorn; the worker's `idp.asgi.app_factory` sets the
timeout from the settings (the class is imported by name in each worker process).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("sageid.slow_clients")

# Bytes held for the end of the loop turn at most: beyond, they are written at once.
COALESCE_LIMIT = 64 * 1024


class CoalescingTransport:
    """A transport whose writes of one event-loop turn reach the socket in one `write`.

    Everything but `write`, `writelines` and `close` is the wrapped transport's own.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))
        self._size += len(data)
        if self._size > COALESCE_LIMIT:
            self._flush()

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def _flush(self) -> None:
        if not self._pending:
            return  # already written (over the limit, or on close) before this callback ran
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class ServingProtocol(HttpToolsProtocol):
    read_timeout: float = 10.0
    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)
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
