"""Slow clients: a request that does not arrive whole within the read timeout loses its
connection (headers or body dribbled a byte at a time); a prompt one is served as usual."""

from __future__ import annotations

import socket
import time

from tests.hardening.helpers import READ_TIMEOUT


def _closed_after(stream: socket.socket, dribble: bytes, start: float) -> float:
    """Send one byte every 0.1 s; the seconds from `start` (taken before connecting: the
    server's timer starts when it accepts) until the server closes the connection."""
    for byte in dribble:
        try:
            stream.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
        stream.settimeout(0.1)
        try:
            if stream.recv(4096) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - start
    raise AssertionError("the server kept the connection")


def test_headers_sent_a_byte_at_a_time_are_cut(served: tuple[str, int]) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 100
    start = time.monotonic()
    with socket.create_connection(served, timeout=5) as stream:
        elapsed = _closed_after(stream, request, start)
    assert READ_TIMEOUT <= elapsed < READ_TIMEOUT + 1.0


def test_a_body_sent_a_byte_at_a_time_is_cut(served: tuple[str, int]) -> None:
    host, port = served
    head = (
        f"POST /token HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 200\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    ).encode()
    start = time.monotonic()
    with socket.create_connection(served, timeout=5) as stream:
        stream.sendall(head)
        elapsed = _closed_after(stream, b"g" * 200, start)
    assert elapsed < READ_TIMEOUT + 1.0


def test_an_idle_new_connection_is_cut(served: tuple[str, int]) -> None:
    with socket.create_connection(served, timeout=5) as stream:
        start = time.monotonic()
        assert stream.recv(10) == b""
        assert time.monotonic() - start < READ_TIMEOUT + 1.0


def test_prompt_requests_on_one_connection_are_served(served: tuple[str, int]) -> None:
    host, port = served
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    with socket.create_connection(served, timeout=5) as stream:
        for _ in range(3):
            stream.sendall(request)
            answer = stream.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200"), answer
            # Idle between requests longer than the read timeout: that is keep-alive's
            # business (5 s), not the read timeout's.
            time.sleep(READ_TIMEOUT + 0.2)
