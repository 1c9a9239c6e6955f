"""A tiny relying party on a loopback port that records the logout tokens posted to it."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class BackchannelReceiver:
    """`behaviour`: "ok" (200), "fail" (500), or "slow" (answers after `delay` seconds)."""

    def __init__(self, behaviour: str = "ok", delay: float = 3.0) -> None:
        self.behaviour = behaviour
        self.delay = delay
        self.received: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                form["content-type"] = self.headers.get("Content-Type", "")
                receiver.received.append(form)
                if receiver.behaviour == "slow":
                    time.sleep(receiver.delay)
                status = 500 if receiver.behaviour == "fail" else 200
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BackchannelReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
