"""`sageid`: sign in to Sage ID from a terminal, then hand access tokens to scripts.

A thin click shell over the `client` library: each command resolves the settings, opens
the token cache, calls one library function and prints the outcome. Errors become exit
codes in one place (`_exit_codes`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import click
from rich.markup import escape

from ._auth import BearerAuth
from ._cache import TokenCache
from ._console import (
    ConsoleLogHandler,
    DeviceCountdown,
    local_time,
    relative,
    show_device_prompt,
    show_identity,
    show_status,
    signed_in_until,
)
from ._device import DeviceAuthorization
from ._edi_commands import submissions_command, submit_command
from ._exceptions import ProviderUnreachable
from ._exit_codes import EXIT_CODES_HELP
from ._identity import Identity, fetch_userinfo
from ._login import SignInOutcome, login_with_browser, login_with_device, prefers_device_flow
from ._passphrase import PASSPHRASE_ENV
from ._relying_party import RelyingParty
from ._shell import App, Runtime, SageIDGroup, provider_options

__all__ = ["Runtime", "cli", "main"]


@click.group(cls=SageIDGroup, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="sageid", prog_name="sageid")
@click.option(
    "--insecure-storage",
    is_flag=True,
    help="Where no OS keyring works, keep tokens UNENCRYPTED on disk "
    f"(last resort; prefer {PASSPHRASE_ENV}).",
)
@click.pass_context
def cli(ctx: click.Context, insecure_storage: bool) -> None:
    """Sign in with your Sage ID and get access tokens for scripts.

    Settings come from the flags, then SAGEID_ISSUER / SAGEID_CLIENT_ID, then
    config.toml in the user config directory (keys: issuer, client_id, language,
    insecure_storage).
    """
    app = App(ctx, ctx.ensure_object(Runtime), insecure_storage)
    ctx.obj = app
    logger = logging.getLogger("sageid.client")
    handler = ConsoleLogHandler(app.err)
    logger.addHandler(handler)
    ctx.call_on_close(lambda: logger.removeHandler(handler))


def _browser_login(
    app: App, relying_party: RelyingParty, cache: TokenCache, email: str | None, create: bool
) -> SignInOutcome:
    def show_url(url: str) -> None:
        app.out.print("Opening your browser to sign in. If it does not open, visit:")
        app.out.print(url, markup=False)
        minutes = app.runtime.callback_timeout / 60
        app.err.print(f"Waiting for the browser (up to {minutes:g} minutes; Ctrl-C to cancel)…")

    assert app.resolved is not None
    return login_with_browser(
        relying_party,
        cache,
        open_browser=app.open_browser,
        show_url=show_url,
        login_hint=email,
        create=create,
        language=app.resolved.language,
        timeout=app.runtime.callback_timeout,
    )


def _device_login(
    app: App, relying_party: RelyingParty, cache: TokenCache, email: str | None, create: bool
) -> SignInOutcome:
    if email or create:
        app.err.print("Note: --email and --create apply to the browser flow only.")
    countdown = DeviceCountdown(app.err, relying_party.clock, app.runtime.sleep)

    def show(authorization: DeviceAuthorization) -> None:
        show_device_prompt(app.out, authorization)
        countdown.start(authorization)

    try:
        return login_with_device(
            relying_party, cache, show=show, on_wait=countdown.update, sleep=countdown.sleep
        )
    finally:
        countdown.stop()


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--device", "flow", flag_value="device", help="Sign in with a code (RFC 8628).")
@click.option("--browser", "flow", flag_value="browser", help="Sign in in the system browser.")
@click.option("--email", metavar="EMAIL", help="Pre-fill this email (browser flow).")
@click.option("--create", is_flag=True, help="Start by creating a Sage ID (browser flow).")
@provider_options
@click.pass_obj
def login(
    app: App,
    flow: str | None,
    email: str | None,
    create: bool,
    issuer: str | None,
    client_id: str | None,
) -> None:
    """Sign in; you stay signed in for 30 days.

    Without --device or --browser, the browser is used when this looks like a desktop
    session, the device flow otherwise (SSH, no display).
    """
    config = app.config(issuer, client_id)
    cache = app.cache(config)
    relying_party = app.relying_party(config)
    if flow is None:
        device = prefers_device_flow(app.runtime.environ, app.runtime.platform)
        flow = "device" if device else "browser"
    sign_in = _device_login if flow == "device" else _browser_login
    outcome = sign_in(app, relying_party, cache, email, create)
    for other in outcome.signed_out:
        who = Identity.from_claims(other.claims).display_name()
        app.out.print(f"Signed out {escape(who)} (one account at a time).")
    who = Identity.from_claims(outcome.entry.claims).display_name()
    until = signed_in_until(outcome.entry)
    ahead = relative(until - app.runtime.clock.now())
    app.out.print(
        f"[green]Signed in as [bold]{escape(who)}[/] until {local_time(until)} ({ahead})."
    )


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the identity as JSON.")
@provider_options
@click.pass_obj
def whoami(app: App, as_json: bool, issuer: str | None, client_id: str | None) -> None:
    """Show who is signed in, with their customer accounts and profiles.

    Current values come from the provider (userinfo); offline, the ones known at sign-in.
    """
    config = app.config(issuer, client_id)
    cache = app.cache(config)
    entry = cache.find(config.issuer, config.client_id)
    relying_party = app.relying_party(config)
    session = relying_party.session(cache, subject=entry.subject, sleep=app.runtime.sleep)
    claims = dict(entry.claims)
    try:
        endpoint = relying_party.metadata.userinfo_endpoint
        if endpoint is not None:
            auth = BearerAuth(session)
            current = fetch_userinfo(
                relying_party.http, endpoint, auth=auth, expected_subject=entry.subject
            )
            claims.update(current)
    except ProviderUnreachable as error:
        app.err.print(f"[yellow]Offline[/] ({escape(str(error))}): showing the sign-in's values.")
    identity = Identity.from_claims(claims)
    if as_json:
        click.echo(json.dumps(asdict(identity), ensure_ascii=False, indent=2))
    else:
        show_identity(app.out, identity)


@cli.command(epilog=EXIT_CODES_HELP)
@provider_options
@click.pass_obj
def token(app: App, issuer: str | None, client_id: str | None) -> None:
    """Print a valid access token for scripts (renewed when needed).

    For scripts: curl -H "Authorization: Bearer $(sageid token)" …
    """
    config = app.config(issuer, client_id)
    cache = app.cache(config)
    session = app.relying_party(config).session(cache, sleep=app.runtime.sleep)
    click.echo(session.get_access_token())


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@provider_options
@click.pass_obj
def status(app: App, as_json: bool, issuer: str | None, client_id: str | None) -> None:
    """Show who is signed in and until when (30 days after sign-in); offline."""
    config = app.config(issuer, client_id)
    cache = app.cache(config)
    entry = cache.find(config.issuer, config.client_id)
    now = app.runtime.clock.now()
    if not as_json:
        show_status(app.out, entry, now, app.storage)
        return
    identity = Identity.from_claims(entry.claims)
    data = {
        "issuer": entry.issuer,
        "client_id": entry.client_id,
        "subject": entry.subject,
        "name": identity.name,
        "email": identity.email,
        "auth_time": int(entry.auth_time),
        "signed_in_until": int(signed_in_until(entry)),
        "access_token_expires_at": int(entry.access_token_expires_at),
    }
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--end-session",
    is_flag=True,
    help="Also sign out of the provider in the browser (opens its sign-out page).",
)
@provider_options
@click.pass_obj
def logout(app: App, end_session: bool, issuer: str | None, client_id: str | None) -> None:
    """Sign out: revoke the sign-in and forget the tokens (even offline)."""
    config = app.config(issuer, client_id)
    cache = app.cache(config)
    relying_party = app.relying_party(config)
    revoked: list[str] = []

    def revoke(refresh_token: str) -> None:
        relying_party.revoke(refresh_token)
        revoked.append(refresh_token)

    entry = relying_party.session(cache, sleep=app.runtime.sleep).sign_out(revoke)
    if entry is None:
        app.out.print(f"Not signed in to {escape(config.issuer)}; nothing to forget.")
    else:
        who = Identity.from_claims(entry.claims).display_name()
        app.out.print(f"Signed out {escape(who)}: the tokens are deleted from this computer.")
        if revoked:
            app.out.print("The sign-in was revoked at the provider.")
    if end_session:
        url = relying_party.end_session_url(entry.id_token if entry else None)
        app.out.print("Ending the browser session at the provider. If no browser opens, visit:")
        app.out.print(url, markup=False)
        app.open_browser(url)


cli.add_command(submit_command)
cli.add_command(submissions_command)


def main() -> None:
    """Console script entry point."""
    cli(prog_name="sageid")
