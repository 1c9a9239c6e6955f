"""`sageid`: sign in to an OpenID provider (Sage ID by default) from a terminal, then hand
access tokens to scripts.

A thin click shell over the `client` library: each command resolves the settings, opens
the token cache, calls one library function and prints the outcome. Errors become exit
codes in one place (`_shell.SageIDGroup`, table in `_exit_codes`). Modules beyond the
cache are imported inside the commands that need them: `sageid token` with a fresh token
loads neither httpx nor rich.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import click

from ._exit_codes import EXIT_CODES_HELP, ExitCode
from ._i18n import _
from ._shell import App, Runtime, SageIDGroup, global_options, token_options

if TYPE_CHECKING:
    from ._cache import TokenCache
    from ._config import ClientConfig
    from ._entry import CacheEntry
    from ._login import SignInOutcome
    from ._relying_party import RelyingParty

__all__ = ["Runtime", "cli", "main"]


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=SageIDGroup, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="sageid", prog_name="sageid")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Sign in with your Sage ID (or any OpenID provider) and get access tokens for scripts.

    Settings come from the flags (before or after the command), then SAGEID_ISSUER /
    SAGEID_CLIENT_ID / SAGEID_SCOPE, then config.toml in the user config directory (keys:
    issuer, client_id, scope, language, insecure_storage). SAGEID_TOKEN, when set, is the
    access token used instead of the cache (CI).
    """
    runtime = ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()
    ctx.obj = App(ctx, runtime)


def _log_to(app: App) -> None:
    from ._console import ConsoleLogHandler

    logger = logging.getLogger("sageid.client")
    handler = ConsoleLogHandler(app.err)
    logger.addHandler(handler)
    app.ctx.call_on_close(lambda: logger.removeHandler(handler))


def _browser_login(
    app: App, relying_party: RelyingParty, cache: TokenCache, email: str | None, create: bool
) -> SignInOutcome:
    from ._login import login_with_browser

    timeout = app.runtime.callback_timeout

    def show_url(url: str) -> None:
        app.out.print(_("Opening your browser to sign in. If it does not open, visit:"))
        app.out.print(url, markup=False)
        minutes = (timeout or 300) / 60
        app.err.print(
            _("Waiting for the browser (up to {minutes} minutes; Ctrl-C to cancel)…").format(
                minutes=f"{minutes:g}"
            )
        )

    assert app.resolved is not None
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    return login_with_browser(
        relying_party,
        cache,
        open_browser=app.open_browser,
        show_url=show_url,
        login_hint=email,
        create=create,
        language=app.resolved.language,
        scope=app.resolved.scope,
        keep_other_accounts=True,
        **extra,
    )


def _device_login(app: App, relying_party: RelyingParty, cache: TokenCache) -> SignInOutcome:
    from ._console import DeviceCountdown, show_device_prompt
    from ._device import DeviceAuthorization
    from ._login import login_with_device

    assert app.resolved is not None
    countdown = DeviceCountdown(app.err, relying_party.clock, app.runtime.sleep)

    def show(authorization: DeviceAuthorization) -> None:
        show_device_prompt(app.out, authorization)
        countdown.start(authorization)

    try:
        return login_with_device(
            relying_party,
            cache,
            show=show,
            on_wait=countdown.update,
            sleep=countdown.sleep,
            scope=app.resolved.scope,
            keep_other_accounts=True,
        )
    finally:
        countdown.stop()


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--device", is_flag=True, help="Sign in with a code (RFC 8628).")
@click.option("--browser", is_flag=True, help="Sign in in the system browser.")
@click.option("--email", metavar="EMAIL", help="Pre-fill this email (browser flow).")
@click.option("--create", is_flag=True, help="Start by creating a Sage ID (browser flow).")
@global_options
@click.pass_obj
def login(app: App, device: bool, browser: bool, email: str | None, create: bool) -> None:
    """Sign in; you stay signed in as long as the provider allows (30 days at Sage ID).

    Without --device or --browser, the browser is used when this looks like a desktop
    session, the device flow otherwise (SSH, no display). Signing in as another account
    keeps the first one: `sageid accounts` lists them.
    """
    from rich.markup import escape

    from ._console import local_time, relative, signed_in_until
    from ._identity import Identity
    from ._login import prefers_device_flow

    if device and browser:
        raise click.UsageError(_("--device and --browser exclude each other: choose one."))
    if device and (email or create):
        raise click.UsageError(_("--email and --create apply to the browser flow, not --device."))
    _log_to(app)
    config = app.config()
    cache = app.cache(config, warn_fallback=True)
    cache.protection  # noqa: B018 - chosen now: no keyring stops us before a sign-in, not after
    relying_party = app.relying_party(config)
    if not (device or browser):
        device = prefers_device_flow(app.runtime.environ, app.runtime.platform)
    if device:
        outcome = _device_login(app, relying_party, cache)
    else:
        outcome = _browser_login(app, relying_party, cache, email, create)
    _make_active(cache, outcome.entry)
    who = Identity.from_claims(outcome.entry.claims).display_name()
    until = signed_in_until(outcome.entry)
    if until is None:
        app.out.print(
            _(
                "[green]Signed in as [bold]{who}[/][/] (the provider does not say until when)."
            ).format(who=escape(who))
        )
        return
    ahead = relative(until - app.runtime.clock.now())
    app.out.print(
        _("[green]Signed in as [bold]{who}[/] until {until} ({ahead}).").format(
            who=escape(who), until=local_time(until), ahead=ahead
        )
    )


def _make_active(cache: TokenCache, entry: CacheEntry) -> None:
    from ._accounts import set_active

    with cache.locked():
        set_active(cache.directory, entry.issuer, entry.client_id, entry.subject)


def _not_signed_in_json(app: App, error: Exception) -> None:
    config = app.resolved
    _echo_json(
        {
            "signed_in": False,
            "issuer": config.issuer if config else None,
            "client_id": config.client_id if config else None,
            "error": str(error),
        }
    )
    raise click.exceptions.Exit(ExitCode.SIGN_IN_REQUIRED)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the identity as JSON (always).")
@global_options
@click.pass_obj
def whoami(app: App, as_json: bool) -> None:
    """Show who is signed in, with their customer accounts and profiles.

    Current values come from the provider (userinfo); offline, the ones known at sign-in.
    """
    from dataclasses import asdict

    from ._exceptions import SignInRequired

    _log_to(app)
    config = app.config()
    try:
        identity = _current_identity(app, config)
    except SignInRequired as error:
        if as_json:
            _not_signed_in_json(app, error)
        raise
    if as_json:
        _echo_json({"signed_in": True, **asdict(identity)})
    else:
        from ._console import show_identity

        show_identity(app.out, identity)


def _current_identity(app: App, config: ClientConfig) -> Any:
    from rich.markup import escape

    from ._auth import AccessTokenAuth, BearerAuth
    from ._exceptions import ProviderUnreachable, SignInRequired
    from ._identity import Identity, fetch_userinfo

    relying_party = app.relying_party(config)
    token = app.environment_token
    if token is not None:
        endpoint = relying_party.metadata.userinfo_endpoint
        if endpoint is None:
            raise SignInRequired(_("the provider has no userinfo endpoint to ask who this is"))
        current = fetch_userinfo(
            relying_party.http, endpoint, auth=AccessTokenAuth(token), expected_subject=None
        )
        return Identity.from_claims(current)
    cache = app.cache(config)
    entry = app.entry(config, cache)
    claims = dict(entry.claims)
    session = relying_party.session(cache, subject=entry.subject, sleep=app.runtime.sleep)
    try:
        endpoint = relying_party.metadata.userinfo_endpoint
        if endpoint is not None:
            current = fetch_userinfo(
                relying_party.http,
                endpoint,
                auth=BearerAuth(session),
                expected_subject=entry.subject,
            )
            claims.update(current)
    except ProviderUnreachable as error:
        app.err.print(
            _("[yellow]Offline[/] ({error}): showing the sign-in's values.").format(
                error=escape(str(error))
            )
        )
    return Identity.from_claims(claims)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the token and its expiry as JSON.")
@click.option(
    "--scope",
    "narrow_scope",
    metavar="SCOPES",
    help="A token for fewer scopes than granted (a refresh asking them, RFC 6749 §6).",
)
@click.option(
    "--audience",
    metavar="URL",
    help="A token for this resource server only (a refresh with resource=, RFC 8707).",
)
@token_options
@click.pass_obj
def token(app: App, as_json: bool, narrow_scope: str | None, audience: str | None) -> None:
    """Print a valid access token for scripts (renewed when needed).

    For scripts: curl -H "Authorization: Bearer $(sageid token)" …  With SAGEID_TOKEN set,
    that token is printed (CI); nothing is read from the cache. Against a provider with
    DPoP the token is bound to this installation's key: --json shows "token_type": "DPoP",
    and it is only accepted with a proof (use sageid whoami/submit, or the library).
    """
    environment_token = app.environment_token
    if environment_token is not None:
        if narrow_scope or audience:
            raise click.UsageError(_("--scope and --audience need a sign-in, not SAGEID_TOKEN."))
        _print_token(as_json, environment_token, None, None, source="environment")
        return
    config = app.config()
    cache = app.cache(config)
    entry = app.entry(config, cache)
    now = app.runtime.clock.now()
    if not (narrow_scope or audience) and entry.access_token_fresh(now, 60):
        # The common case, without loading the network stack (see bench/client.py).
        _print_token(
            as_json,
            entry.access_token,
            entry.access_token_expires_at,
            entry.scope,
            entry.token_type,
        )
        return
    _log_to(app)
    relying_party = app.relying_party(config)
    session = relying_party.session(cache, subject=entry.subject, sleep=app.runtime.sleep)
    if narrow_scope or audience:
        refresher = relying_party.narrowed_refresher(cache, scope=narrow_scope, audience=audience)
        response = session.narrowed_access_token(refresher)
        _print_token(
            as_json,
            response.access_token,
            response.expires_at,
            response.scope,
            response.token_type,
        )
        return
    fresh = session.fresh_entry()
    _print_token(
        as_json, fresh.access_token, fresh.access_token_expires_at, fresh.scope, fresh.token_type
    )


def _print_token(
    as_json: bool,
    access_token: str,
    expires_at: float | None,
    scope: str | None,
    token_type: str = "Bearer",
    *,
    source: str = "cache",
) -> None:
    if not as_json:
        click.echo(access_token)
        return
    _echo_json(
        {
            "access_token": access_token,
            "token_type": token_type,
            "expires_at": None if expires_at is None else int(expires_at),
            "scope": scope,
            "source": source,
        }
    )


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (always).")
@global_options
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """Show who is signed in and until when (offline)."""
    from ._exceptions import SignInRequired
    from ._identity import Identity

    config = app.config()
    if app.environment_token is not None:
        if as_json:
            _echo_json({"signed_in": True, "source": "environment", "issuer": config.issuer})
        else:
            click.echo(_("Using the access token in SAGEID_TOKEN (the cache is not read)."))
        return
    try:
        cache = app.cache(config)
        entry = app.entry(config, cache)
    except SignInRequired as error:
        if as_json:
            _not_signed_in_json(app, error)
        raise
    now = app.runtime.clock.now()
    if not as_json:
        from ._console import show_status

        show_status(app.out, entry, now, app.storage)
        return
    from ._console import signed_in_until

    identity = Identity.from_claims(entry.claims)
    until = signed_in_until(entry)
    _echo_json(
        {
            "signed_in": True,
            "issuer": entry.issuer,
            "client_id": entry.client_id,
            "subject": entry.subject,
            "name": identity.name,
            "email": identity.email,
            "auth_time": int(entry.auth_time),
            "signed_in_until": None if until is None else int(until),
            "access_token_expires_at": int(entry.access_token_expires_at),
            "scope": entry.scope,
        }
    )


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--end-session",
    is_flag=True,
    help="Also sign out of the provider in the browser (opens its sign-out page).",
)
@global_options
@click.pass_obj
def logout(app: App, end_session: bool) -> None:
    """Sign out: revoke the sign-in and forget the tokens (even offline).

    A cache this computer can no longer open (another passphrase, a keyring gone) is
    deleted all the same.
    """
    from rich.markup import escape

    from ._cache import TokenCache
    from ._exceptions import CacheError, KeyringUnavailable, SignInRequired
    from ._identity import Identity

    _log_to(app)
    config = app.config()
    relying_party = app.relying_party(config)
    try:
        cache = app.cache(config)
    except KeyringUnavailable:
        # No keyring and no fallback here: whatever protects the file, it cannot be
        # opened, so signing out means deleting it.
        _delete_cache(app, TokenCache(app.runtime.cache_directory, clock=app.runtime.clock))
        return
    revoked: list[str] = []

    def revoke(refresh_token: str) -> None:
        relying_party.revoke(refresh_token)
        revoked.append(refresh_token)

    try:
        chosen = app.entry(config, cache)
        session = relying_party.session(cache, subject=chosen.subject, sleep=app.runtime.sleep)
        entry = session.sign_out(revoke)
    except SignInRequired:
        entry = None
    except (CacheError, KeyringUnavailable):
        _delete_cache(app, cache)
        return
    if entry is None:
        app.out.print(
            _("Not signed in to {issuer}; nothing to forget.").format(issuer=escape(config.issuer))
        )
    else:
        who = Identity.from_claims(entry.claims).display_name()
        app.out.print(
            _("Signed out {who}: the tokens are deleted from this computer.").format(
                who=escape(who)
            )
        )
        if revoked:
            app.out.print(_("The sign-in was revoked at the provider."))
    if end_session:
        url = relying_party.end_session_url(entry.id_token if entry else None)
        app.out.print(_("Ending the browser session at the provider. If no browser opens, visit:"))
        app.out.print(url, markup=False)
        app.open_browser(url)


def _delete_cache(app: App, cache: TokenCache) -> None:
    if cache.delete():
        app.out.print(
            _("The token cache could not be opened here; it is deleted: {path}").format(
                path=cache.path
            ),
            markup=False,
        )
    else:
        app.out.print(_("Not signed in; nothing to forget."))


@cli.group(epilog=EXIT_CODES_HELP)
def accounts() -> None:
    """The accounts signed in at this provider: list them, switch between them."""


@accounts.command("list", epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@global_options
@click.pass_obj
def accounts_list(app: App, as_json: bool) -> None:
    """List the signed-in accounts; the active one is marked with *."""
    from rich.markup import escape

    from ._accounts import account_label, active_subject
    from ._identity import Identity

    config = app.config()
    cache = app.cache(config)
    entries = app.entries(config, cache)
    active = active_subject(cache.directory, config.issuer, config.client_id)
    if len(entries) == 1:
        active = entries[0].subject
    rows = [
        {
            "account": account_label(e),
            "name": Identity.from_claims(e.claims).name,
            "subject": e.subject,
            "active": e.subject == active,
        }
        for e in entries
    ]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        app.out.print(
            _("Not signed in to {issuer}; `sageid login` to add an account.").format(
                issuer=escape(config.issuer)
            )
        )
    for row in rows:
        mark = "*" if row["active"] else " "
        name = f" ({row['name']})" if row["name"] else ""
        app.out.print(f"{mark} {escape(str(row['account']))}{escape(name)}")


@accounts.command("switch", epilog=EXIT_CODES_HELP)
@click.argument("email", metavar="EMAIL")
@global_options
@click.pass_obj
def accounts_switch(app: App, email: str) -> None:
    """Make EMAIL the account commands use."""
    from rich.markup import escape

    from ._accounts import account_label, choose_account

    config = app.config()
    cache = app.cache(config)
    entry = choose_account(app.entries(config, cache), None, email)
    _make_active(cache, entry)
    app.out.print(_("Now using {account}.").format(account=escape(account_label(entry))))


def main() -> None:
    """Console script entry point."""
    cli(prog_name="sageid")
