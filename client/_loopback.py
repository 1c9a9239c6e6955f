"""The one-shot loopback redirect receiver of the browser flow (RFC 8252 §7.3).

Listens on 127.0.0.1 on an ephemeral port, answers the single redirect with a small page
in French or English, and hands the callback URL to the caller's check
(`parse_authorization_response`). Nothing else is served.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

from ._authorization import CALLBACK_PATH, loopback_redirect_uri
from ._exceptions import CallbackTimeout, OAuthError, SageIDError

DEFAULT_CALLBACK_TIMEOUT: Final = 300.0

PAGES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "fr": {
        "success": (
            "Connexion réussie",
            "Vous êtes connecté avec votre Sage ID. Vous pouvez fermer cette page et "
            "revenir à l'application.",
        ),
        "failure": (
            "La connexion a échoué",
            "Revenez à l'application pour réessayer.",
        ),
    },
    "en": {
        "success": (
            "Signed in",
            "You are signed in with your Sage ID. You can close this page and return to "
            "the application.",
        ),
        "failure": ("Sign-in failed", "Return to the application to try again."),
    },
}


def render_page(outcome: str, language: str, detail: str | None = None) -> bytes:
    """Return the HTML page shown in the browser for `outcome` (`success` or `failure`)."""
    lang = language if language in PAGES else "en"
    title, message = PAGES[lang][outcome]
    extra = f"<p><code>{html.escape(detail)}</code></p>" if detail else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} – Sage ID</title></head>"
        f'<body style="font-family:sans-serif;max-width:32em;margin:4em auto">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>{extra}</body></html>"
    ).encode()


class LoopbackServer:
    """Receive one authorization redirect on `http://127.0.0.1:{port}/callback`.

    Use as a context manager: build the authorization request with `redirect_uri`, open
    the browser, then call `wait_for_code`.
    """

    def __init__(self, *, language: str = "fr", port: int = 0) -> None:
        self.language = language
        self._result: tuple[str | None, SageIDError | None] | None = None
        self._check: Callable[[str], str] | None = None
        self._server = HTTPServer(("127.0.0.1", port), self._handler_class())

    @property
    def port(self) -> int:
        """The port the server listens on (ephemeral unless one was given)."""
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        """The redirect URI to register in the authorization request."""
        return loopback_redirect_uri(self.port)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening."""
        self._server.server_close()

    def wait_for_code(
        self, check: Callable[[str], str], *, timeout: float = DEFAULT_CALLBACK_TIMEOUT
    ) -> str:
        """Serve until the redirect arrives; return what `check(callback_url)` returns.

        `check` is typically `functools.partial(parse_authorization_response, request)`;
        its exception is re-raised here after the browser was shown the failure page.
        Raises `CallbackTimeout` after `timeout` seconds.
        """
        self._check = check
        deadline = time.monotonic() + timeout
        while self._result is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CallbackTimeout(f"no sign-in came back within {timeout:g} s")
            self._server.timeout = min(remaining, 0.5)
            self._server.handle_request()
        code, error = self._result
        if error is not None:
            raise error
        assert code is not None
        return code

    def _receive(self, callback_url: str) -> tuple[int, bytes]:
        assert self._check is not None
        try:
            code = self._check(callback_url)
        except SageIDError as error:
            self._result = (None, error)
            detail = error.error if isinstance(error, OAuthError) else None
            return 400, render_page("failure", self.language, detail)
        self._result = (code, None)
        return 200, render_page("success", self.language)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # A browser's idle pre-connection must not stall the wait.

            def do_GET(self) -> None:
                if urlsplit(self.path).path != CALLBACK_PATH or receiver._check is None:
                    self._send(404, b"Not found", "text/plain; charset=utf-8")
                    return
                callback_url = receiver.redirect_uri + self.path.removeprefix(CALLBACK_PATH)
                status, page = receiver._receive(callback_url)
                self._send(status, page, "text/html; charset=utf-8")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")  # the URL held the code
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # The query string carries the code: keep it out of stderr.

        return Handler
