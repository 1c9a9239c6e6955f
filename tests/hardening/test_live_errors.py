"""An unexpected exception under a real uvicorn: a complete response, logged once with its
request id, and the same keep-alive connection answers the next request."""

from __future__ import annotations

import json
import logging
import re
import socket
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

from tests.conftest import LiveServer


def _read_response(stream: socket.socket, buffer: bytearray) -> tuple[bytes, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off a raw socket."""
    while b"\r\n\r\n" not in buffer:
        chunk = stream.recv(65536)
        assert chunk, "the server closed the connection"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = stream.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        rest += chunk
    buffer[:] = rest[length:]
    return status_line.encode(), headers, rest[:length]


def _request(path: str, host: str, body: bytes = b"") -> bytes:
    method = "POST" if body else "GET"
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
    if body:
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
    return (head + "\r\n").encode() + body


def test_a_raised_exception_keeps_the_connection(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> NoReturn:
        raise RuntimeError("a bug in the token endpoint")

    monkeypatch.setattr(live_server.ctx.server, "create_token_response", broken)
    parts = urlsplit(live_server.url)
    host = parts.netloc
    caplog.set_level(logging.INFO)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as stream:
        buffer = bytearray()
        stream.sendall(_request("/token", host, b"grant_type=client_credentials"))
        status, headers, body = _read_response(stream, buffer)
        assert status.startswith(b"HTTP/1.1 500")
        assert headers["content-type"] == "application/json"
        error = json.loads(body)
        assert error["error"] == "server_error"
        request_id = re.search(r"request ([0-9a-f]+)", error["error_description"])
        assert request_id is not None
        assert "connection" not in headers or headers["connection"] != "close"

        # The same connection, the next request.
        stream.sendall(_request("/healthz", host))
        status, _, body = _read_response(stream, buffer)
        assert status.startswith(b"HTTP/1.1 200")
        assert json.loads(body)["status"] == "ok"

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert request_id.group(1) in errors[0].getMessage()
    assert errors[0].exc_info is not None
