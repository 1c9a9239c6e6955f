"""The `sageid` shell around the commands: the outside world it runs in (`Runtime`, the
test seam), one invocation's state (`App`), and the one place errors become exit codes.
"""

from __future__ import annotations

import os
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx
from rich.console import Console
from rich.markup import escape

from ._cache import TokenCache
from ._clock import Clock, SystemClock
from ._config import (
    CLIENT_ID_ENV,
    DEFAULT_CLIENT_ID,
    DEFAULT_ISSUER,
    ISSUER_ENV,
    ClientConfig,
    default_config_path,
    load_client_config,
)
from ._exceptions import OAuthError, SageIDError
from ._exit_codes import exit_code_for, hint_for
from ._http import default_http_client
from ._loopback import DEFAULT_CALLBACK_TIMEOUT
from ._passphrase import PASSPHRASE_ENV
from ._relying_party import RelyingParty

F = TypeVar("F", bound=Callable[..., Any])

STORAGE = {
    "keyring": "encrypted, key in the OS keyring",
    "passphrase": f"encrypted with a key derived from {PASSPHRASE_ENV}",
    "plaintext": "UNENCRYPTED (--insecure-storage)",
}


@dataclass
class Runtime:
    """What the CLI takes from the outside world. Tests pass their own as `obj`."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    config_path: Path | None = None
    cache_directory: Path | None = None
    http_factory: Callable[[], httpx.Client] = default_http_client
    open_browser: Callable[[str], bool] = webbrowser.open
    clock: Clock = field(default_factory=SystemClock)
    sleep: Callable[[float], None] = time.sleep
    callback_timeout: float = DEFAULT_CALLBACK_TIMEOUT
    platform: str = sys.platform


class App:
    """One invocation: the runtime, the two consoles, and what the command resolved."""

    def __init__(self, ctx: click.Context, runtime: Runtime, insecure_storage: bool) -> None:
        self.ctx = ctx
        self.runtime = runtime
        self.insecure_storage = insecure_storage
        # soft_wrap: long lines (URLs, paths) are left to the terminal, never cut at 80.
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.resolved: ClientConfig | None = None
        self.storage = ""

    def config(self, issuer: str | None, client_id: str | None) -> ClientConfig:
        self.resolved = load_client_config(
            issuer=issuer,
            client_id=client_id,
            insecure_storage=self.insecure_storage,
            environ=self.runtime.environ,
            config_path=self.runtime.config_path,
        )
        return self.resolved

    def cache(self, config: ClientConfig) -> TokenCache:
        cache = TokenCache(
            self.runtime.cache_directory,
            insecure_storage=config.insecure_storage,
            environ=self.runtime.environ,
            clock=self.runtime.clock,
        )
        # Chosen now, so a missing keyring stops us before a sign-in, not after it.
        self.storage = f"{cache.path} ({STORAGE[cache.protection.name]})"
        return cache

    def relying_party(self, config: ClientConfig) -> RelyingParty:
        http = self.ctx.with_resource(self.runtime.http_factory())
        return RelyingParty(http, config.issuer, config.client_id, clock=self.runtime.clock)

    def open_browser(self, url: str) -> bool:
        try:
            opened = bool(self.runtime.open_browser(url))
        except webbrowser.Error:
            opened = False
        if not opened:
            self.err.print("[yellow]No browser could be opened:[/] open the link above yourself.")
        return opened

    def report(self, error: BaseException) -> None:
        message = str(error) or type(error).__name__
        if isinstance(error, OAuthError):  # RFC 6749 codes are terse: say who said it.
            message = f"the provider answered {message}"
        self.err.print(f"[bold red]Error:[/] {escape(message)}")
        config = self.resolved or ClientConfig()
        path = self.runtime.config_path or default_config_path()
        hint = hint_for(error).format(issuer=config.issuer, client_id=config.client_id, config=path)
        if hint:
            self.err.print(escape(hint), style="dim")


class SageIDGroup(click.Group):
    """Turns the library's errors into a message, a hint and an exit code: no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SageIDError, OSError, KeyboardInterrupt) as error:
            app = ctx.find_object(App)
            if app is None:
                app = App(ctx, Runtime(), insecure_storage=False)
            if isinstance(error, KeyboardInterrupt):
                app.err.print("Interrupted.")
            else:
                app.report(error)
            raise click.exceptions.Exit(exit_code_for(error)) from None


def provider_options(command: F) -> F:
    """`--issuer` and `--client-id`, shared by every command."""
    command = click.option(
        "--client-id",
        metavar="ID",
        help=f"OAuth client id [env {CLIENT_ID_ENV}; default {DEFAULT_CLIENT_ID}].",
    )(command)
    return click.option(
        "--issuer",
        metavar="URL",
        help=f"Sage ID provider [env {ISSUER_ENV}; default {DEFAULT_ISSUER}].",
    )(command)
