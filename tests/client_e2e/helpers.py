"""Running the CLI in-process, and the browser stand-in for the scripted provider."""

from __future__ import annotations

import threading

import httpx
from click.testing import CliRunner, Result

from client import TokenCache
from client.cli import Runtime, cli

from .fake_provider import FakeProvider


def sageid(runtime: Runtime, *args: str) -> Result:
    """Run `sageid ARGS` with `runtime` as its outside world."""
    return CliRunner().invoke(cli, list(args), obj=runtime, catch_exceptions=False)


def sign_in(runtime: Runtime) -> Result:
    """`sageid login --device`, approved at the second poll; asserts success."""
    result = sageid(runtime, "login", "--device")
    assert result.exit_code == 0, result.output
    return result


def cache_of(runtime: Runtime) -> TokenCache:
    """The CLI's token cache, opened the way the CLI opens it."""
    return TokenCache(runtime.cache_directory, environ=runtime.environ, clock=runtime.clock)


class LoopbackVisitor:
    """The browser for the scripted provider: 'signs in' at the authorization URL, then
    follows the redirect to the CLI's loopback server, from its own thread as a browser
    would (the CLI is blocked waiting for it).
    """

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        self.urls: list[str] = []
        self.pages: list[httpx.Response] = []
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        location = self.provider.authorize(url)
        thread = threading.Thread(target=self._visit, args=(location,), daemon=True)
        self._threads.append(thread)
        thread.start()
        return True

    def _visit(self, location: str) -> None:
        try:
            with httpx.Client() as http:
                self.pages.append(http.get(location))
        except BaseException as error:  # Reported by join(), not lost in the thread.
            self.errors.append(error)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)
        if self.errors:
            raise self.errors[0]
