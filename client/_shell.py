"""The `sageid` shell around the commands: the outside world it runs in (`Runtime`, the
test seam), one invocation's state (`App`), the options every command accepts before or
after its name, and the one place errors become exit codes.

Imports stay light here: `sageid token` with a fresh cached token loads neither httpx nor
rich (see `bench/client.py`); what a command needs beyond that it imports when it runs.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import click

from ._cache import TokenCache
from ._clock import Clock, SystemClock
from ._config import (
    CLIENT_ID_ENV,
    DEFAULT_CLIENT_ID,
    DEFAULT_ISSUER,
    ISSUER_ENV,
    SCOPE_ENV,
    TOKEN_ENV,
    ClientConfig,
    default_config_path,
    load_client_config,
)
from ._entry import CacheEntry
from ._exceptions import OAuthError, SageIDError
from ._exit_codes import exit_code_for, hint_for
from ._i18n import _, messages_language, set_language
from ._passphrase import PASSPHRASE_ENV

if TYPE_CHECKING:
    import httpx
    from rich.console import Console

    from ._relying_party import RelyingParty

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS_KEY: Final = "sageid.options"


def _storage_description(name: str) -> str:
    return {
        "keyring": _("encrypted, key in the OS keyring"),
        "passphrase": _("encrypted with a key derived from {variable}").format(
            variable=PASSPHRASE_ENV
        ),
        "plaintext": _("UNENCRYPTED (--insecure-storage)"),
    }[name]


def _default_http_client() -> httpx.Client:
    from ._http import default_http_client

    return default_http_client()


def _open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)


@dataclass
class Runtime:
    """What the CLI takes from the outside world. Tests pass their own as `obj`."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    config_path: Path | None = None
    cache_directory: Path | None = None
    http_factory: Callable[[], httpx.Client] = _default_http_client
    open_browser: Callable[[str], bool] = _open_browser
    clock: Clock = field(default_factory=SystemClock)
    sleep: Callable[[float], None] = time.sleep
    callback_timeout: float | None = None  # None: the loopback server's default (5 min)
    platform: str = sys.platform


class App:
    """One invocation: the runtime, the two consoles, and what the command resolved."""

    def __init__(self, ctx: click.Context, runtime: Runtime) -> None:
        self.ctx = ctx
        self.runtime = runtime
        self.resolved: ClientConfig | None = None
        self._cache: TokenCache | None = None
        self._out: Console | None = None
        self._err: Console | None = None
        set_language(messages_language(runtime.environ))
        ctx.call_on_close(lambda: set_language("en"))  # The library's default, after us.

    @property
    def options(self) -> dict[str, Any]:
        """The global options given before or after the command name."""
        options: dict[str, Any] = self.ctx.meta.setdefault(_OPTIONS_KEY, {})
        return options

    @property
    def out(self) -> Console:
        """stdout, through rich; created on first use (rich is slow to import)."""
        if self._out is None:
            from rich.console import Console

            # soft_wrap: long lines (URLs, paths) are left to the terminal, never cut at 80.
            self._out = Console(highlight=False, soft_wrap=True)
        return self._out

    @property
    def err(self) -> Console:
        """stderr, through rich."""
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._err

    def config(self) -> ClientConfig:
        """The settings: global options, then the environment, then config.toml."""
        options = self.options
        self.resolved = load_client_config(
            issuer=options.get("issuer"),
            client_id=options.get("client_id"),
            insecure_storage=bool(options.get("insecure_storage")),
            scope=options.get("scope"),
            environ=self.runtime.environ,
            config_path=self.runtime.config_path,
        )
        return self.resolved

    @property
    def environment_token(self) -> str | None:
        """`SAGEID_TOKEN`: an access token given by the environment (CI), used instead of
        the cache (as `GH_TOKEN` for gh)."""
        return self.runtime.environ.get(TOKEN_ENV) or None

    def cache(self, config: ClientConfig, *, warn_fallback: bool = False) -> TokenCache:
        """The token cache; a storage fallback is said only when `warn_fallback` (login)."""
        cache = TokenCache(
            self.runtime.cache_directory,
            insecure_storage=config.insecure_storage,
            environ=self.runtime.environ,
            clock=self.runtime.clock,
            warn_fallback=warn_fallback,
        )
        self._cache = cache
        return cache

    @property
    def storage(self) -> str:
        """Where the tokens are kept and how (chosen here if not yet: it may probe the OS
        keyring, which reading a plaintext cache never needs)."""
        if self._cache is None:
            return ""
        name = self._cache.protection.name
        return f"{self._cache.path} ({_storage_description(name)})"

    def entries(self, config: ClientConfig, cache: TokenCache) -> list[CacheEntry]:
        """Every signed-in account of this issuer + client."""
        return [e for e in cache.entries() if e.matches(config.issuer, config.client_id)]

    def entry(self, config: ClientConfig, cache: TokenCache) -> CacheEntry:
        """The account to use: `--account`, else the active one, else the only one."""
        from ._accounts import active_subject, choose_account

        entries = self.entries(config, cache)
        if not entries:
            from ._exceptions import SignInRequired

            raise SignInRequired(
                _("not signed in to {issuer} (client {client_id}); please sign in").format(
                    issuer=config.issuer, client_id=config.client_id
                )
            )
        active = active_subject(cache.directory, config.issuer, config.client_id)
        return choose_account(entries, active, self.options.get("account"))

    def relying_party(self, config: ClientConfig) -> RelyingParty:
        """This client at the configured provider, over a client closed with the command."""
        from ._relying_party import RelyingParty

        http = self.ctx.with_resource(self.runtime.http_factory())
        return RelyingParty(http, config.issuer, config.client_id, clock=self.runtime.clock)

    def open_browser(self, url: str) -> bool:
        """Open `url` in the system browser; say so when none opens."""
        import webbrowser

        try:
            opened = bool(self.runtime.open_browser(url))
        except webbrowser.Error:
            opened = False
        if not opened:
            self.err.print(
                _("[yellow]No browser could be opened:[/] open the link above yourself.")
            )
        return opened

    def report(self, error: BaseException) -> None:
        """Print `error` as one `Error:` line and its hint on stderr."""
        from rich.markup import escape

        message = str(error) or type(error).__name__
        if isinstance(error, OAuthError):  # RFC 6749 codes are terse: say who said it.
            message = _("the provider answered {error}").format(error=message)
        self.err.print(_("[bold red]Error:[/] {message}").format(message=escape(message)))
        config = self.resolved or ClientConfig()
        path = self.runtime.config_path or default_config_path()
        hint = _(hint_for(error)) if hint_for(error) else ""
        hint = hint.format(issuer=config.issuer, client_id=config.client_id, config=path)
        if hint:
            self.err.print(escape(hint), style="dim")


class SageIDGroup(click.Group):
    """Turns the library's errors into a message, a hint and an exit code: no tracebacks.

    The Sage EDI Online commands are loaded only when named (or listed by `--help`).
    """

    lazy_commands: Final = {
        "submit": "submit_command",
        "submissions": "submissions_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, the lazy ones included."""
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command `cmd_name`, importing a lazy one on first use."""
        attribute = self.lazy_commands.get(cmd_name)
        if attribute is None:
            return super().get_command(ctx, cmd_name)
        from . import _edi_commands

        command: click.Command = getattr(_edi_commands, attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SageIDError, OSError, KeyboardInterrupt) as error:
            app = ctx.find_object(App)
            if app is None:
                app = App(ctx, Runtime())
            if isinstance(error, KeyboardInterrupt):
                app.err.print(_("Interrupted."))
            else:
                app.report(error)
            raise click.exceptions.Exit(exit_code_for(error)) from None


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # Before or after the command name, the same option lands in the same place; given
    # twice with different values, it is a usage error rather than a silent choice.
    if value is None or value is False or param.name is None:
        return value
    options: dict[str, Any] = ctx.meta.setdefault(_OPTIONS_KEY, {})
    earlier = options.get(param.name)
    if earlier is not None and earlier != value:
        raise click.BadParameter(_("given twice with different values"), ctx=ctx, param=param)
    options[param.name] = value
    return value


def global_options(command: F) -> F:
    """`--issuer`, `--client-id`, `--scope`, `--account`, `--insecure-storage`: accepted
    on the group and on every command, so `sageid --issuer U login` and `sageid login
    --issuer U` mean the same."""
    return _global_options(command, login_scope=True)


def token_options(command: F) -> F:
    """The global options but `--scope`, which `token` takes to narrow a token."""
    return _global_options(command, login_scope=False)


def _global_options(command: F, *, login_scope: bool) -> F:
    specs: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
        (
            ("--insecure-storage",),
            {
                "is_flag": True,
                "help": "Where no OS keyring works, keep tokens UNENCRYPTED on disk "
                f"(last resort; prefer {PASSPHRASE_ENV}).",
            },
        ),
        (
            ("--account",),
            {"metavar": "EMAIL", "help": "The signed-in account to use [default: the active one]."},
        ),
        (
            ("--scope",),
            {
                "metavar": "SCOPES",
                "help": f"Scopes asked at sign-in, space-separated [env {SCOPE_ENV}; "
                "default: every Sage ID scope].",
            },
        ),
        (
            ("--client-id",),
            {
                "metavar": "ID",
                "help": f"OAuth client id [env {CLIENT_ID_ENV}; default {DEFAULT_CLIENT_ID}].",
            },
        ),
        (
            ("--issuer",),
            {
                "metavar": "URL",
                "help": f"OpenID provider [env {ISSUER_ENV}; default {DEFAULT_ISSUER}].",
            },
        ),
    )
    for names, settings in specs:
        if names == ("--scope",) and not login_scope:
            continue
        command = click.option(*names, expose_value=False, callback=_remember, **settings)(command)
    return command
