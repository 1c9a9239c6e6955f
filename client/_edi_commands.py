"""`sageid submit` and `sageid submissions`: Sage EDI Online from the terminal (issue 8).

Thin commands over `client._submissions`; registered on the `sageid` group by `client.cli`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
import httpx
from rich.markup import escape

from ._auth import AccessTokenAuth, BearerAuth
from ._console import local_time
from ._entry import CacheEntry
from ._exit_codes import EXIT_CODES_HELP
from ._identity import Identity
from ._shell import App, global_options
from ._submissions import list_submissions
from ._submissions import submit as send_submission

KINDS_HELP = "DSN, DUCS, TVA, TDFC, BANK_REMITTANCE or DIRECT_DEBIT."


def _signed_in(app: App) -> tuple[str, CacheEntry | None, httpx.Auth]:
    config = app.config()
    token = app.environment_token
    if token is not None:  # CI: SAGEID_TOKEN, no cache.
        return config.issuer, None, AccessTokenAuth(token)
    cache = app.cache(config)
    entry = app.entry(config, cache)
    relying_party = app.relying_party(config)
    session = relying_party.session(cache, subject=entry.subject, sleep=app.runtime.sleep)
    return config.issuer, entry, BearerAuth(session)


def _api(app: App, auth: httpx.Auth) -> httpx.Client:
    # Its own client: the relying party's one also refreshes tokens, without BearerAuth.
    http = app.ctx.with_resource(app.runtime.http_factory())
    http.auth = auth
    return http


def _customer(entry: CacheEntry | None, customer: str | None) -> str:
    if customer:
        return customer
    referencing = Identity.from_claims(entry.claims if entry else {}).referencing
    accounts = referencing.accounts if referencing else ()
    if len(accounts) == 1:
        return accounts[0].customer_code
    known = ", ".join(a.customer_code for a in accounts) or "none yet"
    raise click.UsageError(f"name the customer account with --customer CODE (yours: {known})")


@click.command("submit", epilog=EXIT_CODES_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, metavar="KIND", help=KINDS_HELP)
@click.option("--customer", metavar="CODE", help="Customer account [default: your only one].")
@click.option(
    "--email", "notification_email", metavar="EMAIL", help="Notify this address [default: yours]."
)
@click.option("--json", "as_json", is_flag=True, help="Print the submission as JSON.")
@global_options
@click.pass_obj
def submit_command(
    app: App,
    file: Path,
    kind: str,
    customer: str | None,
    notification_email: str | None,
    as_json: bool,
) -> None:
    """Send a declaration or banking FILE to Sage EDI Online."""
    issuer_url, entry, auth = _signed_in(app)
    sent = send_submission(
        _api(app, auth),
        file,
        kind.upper(),
        _customer(entry, customer),
        issuer=issuer_url,
        notification_email=notification_email,
    )
    if as_json:
        click.echo(json.dumps(asdict(sent), ensure_ascii=False, indent=2))
        return
    app.out.print(
        f"[green]Received:[/] {escape(sent.file_name)} ({sent.kind}) for "
        f"{escape(sent.customer_name)} ({sent.customer_code}) at {local_time(sent.received_at)}."
    )
    app.out.print(f"Submission {sent.id}, SHA-256 {sent.sha256}")
    app.out.print(f"Follow it in Sage EDI Online: {issuer_url}/portal", markup=False)


@click.command("submissions", epilog=EXIT_CODES_HELP)
@click.option("--customer", metavar="CODE", help="Only this customer account's.")
@click.option("--kind", metavar="KIND", help=f"Only this kind: {KINDS_HELP}")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the submissions as JSON.")
@global_options
@click.pass_obj
def submissions_command(
    app: App,
    customer: str | None,
    kind: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the submissions of your customer accounts, newest first."""
    issuer_url, _, auth = _signed_in(app)
    page = list_submissions(
        _api(app, auth),
        issuer=issuer_url,
        customer=customer,
        kind=kind.upper() if kind else None,
        limit=limit,
    )
    if as_json:
        click.echo(json.dumps([asdict(s) for s in page.items], ensure_ascii=False, indent=2))
        return
    if not page.items:
        app.out.print("No submission yet.")
    for s in page.items:
        app.out.print(
            f"{local_time(s.received_at)}  {s.status:<9} {s.kind:<16} {s.customer_code:<10} "
            f"{escape(s.file_name)}  {escape(s.sender_name or '')}"
        )
    if page.next_cursor:
        app.out.print(f"(more: --limit {min(100, limit * 2)}, or {issuer_url}/portal)")
