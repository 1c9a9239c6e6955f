"""A tiny token endpoint on 127.0.0.1 that rotates refresh tokens and refuses reuse.

Used by the multi-process tests: real processes need a real socket, not MockTransport.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs


class FakeTokenServer:
    """Rotates `rt-N` → `rt-N+1` on each refresh; a spent token gets `invalid_grant`.

    Each successful refresh holds its answer for `hold` seconds, so a second client that
    did not wait for the first would arrive with the already-spent token.
    """

    def __init__(self, hold: float = 1.0) -> None:
        self.hold = hold
        self.current = "rt-0"
        self.rotations = 0
        self.reuses = 0
        self.refresh_windows: list[tuple[float, float]] = []
        self._state = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def token_endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/token"

    def __enter__(self) -> FakeTokenServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def refresh(self, refresh_token: str) -> tuple[int, dict[str, object]]:
        started = time.time()
        with self._state:
            if refresh_token != self.current:
                self.reuses += 1
                return 400, {"error": "invalid_grant", "error_description": "refresh token reused"}
            self.rotations += 1
            number = self.rotations
            self.current = f"rt-{number}"
        time.sleep(self.hold)
        self.refresh_windows.append((started, time.time()))
        return 200, {
            "access_token": f"at-{number}",
            "token_type": "Bearer",
            "expires_in": 600,
            "refresh_token": f"rt-{number}",
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                body: dict[str, object]
                if self.path != "/token" or form.get("grant_type") != ["refresh_token"]:
                    status, body = 400, {"error": "unsupported_grant_type"}
                else:
                    status, body = server.refresh(form.get("refresh_token", [""])[0])
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
