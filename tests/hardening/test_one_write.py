"""Each response goes out in one write (`idp.web.protocol.CoalescingTransport`): what one turn
of the event loop writes is sent together at its end, at once past the limit, before a close;
through the real server, a response is one write to the socket and 100-continue and
`Connection: close` still behave."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from idp.web.protocol import COALESCE_LIMIT, CoalescingTransport


class Recorder:
    """A transport that records what is done to it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return f"extra {name}"


def coalescing() -> tuple[CoalescingTransport, Recorder]:
    recorder = Recorder()
    transport: Any = recorder
    return CoalescingTransport(transport, asyncio.get_running_loop()), recorder


async def test_writes_of_one_turn_go_out_together_at_its_end() -> None:
    transport, recorder = coalescing()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    transport.write(b"")
    assert recorder.calls == []
    await asyncio.sleep(0)
    assert recorder.calls == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")]


async def test_writes_of_two_turns_are_two_writes() -> None:
    transport, recorder = coalescing()
    transport.write(b"one")
    await asyncio.sleep(0)
    transport.writelines([b"tw", bytearray(b"o")])
    await asyncio.sleep(0)
    assert recorder.calls == [("write", b"one"), ("write", b"two")]


async def test_past_the_limit_pending_bytes_go_out_at_once() -> None:
    transport, recorder = coalescing()
    transport.write(b"head")
    transport.write(b"x" * COALESCE_LIMIT)
    assert recorder.calls == [("write", b"head" + b"x" * COALESCE_LIMIT)]
    transport.write(b"tail")
    await asyncio.sleep(0)
    assert recorder.calls[1:] == [("write", b"tail")]


async def test_closing_sends_what_is_pending_first() -> None:
    transport, recorder = coalescing()
    transport.write(b"last words")
    transport.close()
    assert recorder.calls == [("write", b"last words"), ("close", b"")]
    await asyncio.sleep(0)
    assert len(recorder.calls) == 2  # nothing written twice, nothing after the close


async def test_a_connection_closed_under_it_gets_no_write() -> None:
    transport, recorder = coalescing()
    transport.write(b"too late")
    recorder.closing = True  # the peer went away during the turn
    await asyncio.sleep(0)
    assert recorder.calls == []


async def test_the_rest_is_the_transports_own() -> None:
    transport, _ = coalescing()
    assert transport.get_extra_info("peername") == "extra peername"
    assert transport.is_closing() is False


class Spy:
    """Wraps the server's real socket transport, recording each write that reaches it."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport, self._writes = transport, writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    seen: list[bytes] = []
    wrap = CoalescingTransport.__init__

    def spied(self: CoalescingTransport, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        spy: Any = Spy(transport, seen)
        wrap(self, spy, loop)

    monkeypatch.setattr(CoalescingTransport, "__init__", spied)
    return seen


def read_response(stream: socket.socket, buffered: bytes = b"") -> tuple[bytes, bytes]:
    """One HTTP response read off the socket (sized by Content-Length): it, and what follows."""
    while b"\r\n\r\n" not in buffered:
        chunk = stream.recv(65536)
        assert chunk, f"closed before the headers ended: {buffered!r}"
        buffered += chunk
    head, _, rest = buffered.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")[1:]
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        chunk = stream.recv(65536)
        assert chunk, "closed before the body ended"
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def test_a_response_is_one_write_to_the_socket(
    served: tuple[str, int], writes: list[bytes]
) -> None:
    host, port = served
    request = f"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
    with socket.create_connection(served, timeout=5) as stream:
        for count in (1, 2):
            stream.sendall(request.encode())
            response, rest = read_response(stream)
            assert response.startswith(b"HTTP/1.1 200 ") and rest == b""
            assert b'"issuer"' in response
            assert len(writes) == count and writes[-1] == response


def test_100_continue_is_still_answered_before_the_body(
    served: tuple[str, int], writes: list[bytes]
) -> None:
    host, port = served
    body = b"grant_type=client_credentials&client_id=nobody&client_secret=wrong"
    head = (
        f"POST /token HTTP/1.1\r\nHost: {host}:{port}\r\nExpect: 100-continue\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(served, timeout=5) as stream:
        stream.sendall(head.encode())
        interim = stream.recv(65536)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        stream.sendall(body)
        response, _ = read_response(stream)
    assert response.startswith(b"HTTP/1.1 400 ") and b'"invalid_client"' in response
    assert writes == [interim, response]


def test_connection_close_gets_the_whole_response_then_the_end(
    served: tuple[str, int], writes: list[bytes]
) -> None:
    host, port = served
    request = f"GET /jwks.json HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(served, timeout=5) as stream:
        stream.sendall(request.encode())
        response, rest = read_response(stream)
        assert rest == b"" and stream.recv(10) == b""  # then the server closes
    assert response.startswith(b"HTTP/1.1 200 ") and b'"keys"' in response
    assert writes == [response]
