"""`sageid-idp`: serve the provider and administer it."""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import click

from idp import audit
from idp.audit import Kind
from idp.cli_errors import OperatorGroup, safe_url
from idp.domain.client_authentication import CLIENT_SECRET_BASIC, PRIVATE_KEY_JWT
from idp.domain.dynamic_registration import RESTRICTED_SCOPES as RESTRICTED_REGISTRATION_SCOPES
from idp.execution import ExecutionMode, execution_mode
from idp.keys import ALGORITHMS, KeyFile
from idp.settings import Settings
from idp.store import Store
from idp.store.factors import FactorSummary
from idp.store.records import UserRecord
from shared.scopes import ALL_SCOPES, DEVICE_CODE_GRANT

T = TypeVar("T")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", DEVICE_CODE_GRANT)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:
        raise click.ClickException(str(error)) from error


def _with_store(work: Callable[[Store], Awaitable[T]]) -> T:
    """Run one async command against the store, and always close it (PERFORMANCE.md: an open
    aiosqlite connection keeps the process alive)."""

    async def main() -> T:
        store = Store(_settings().database_url)
        try:
            return await work(store)
        finally:
            await store.close()

    return anyio.run(main)


async def _audited(store: Store, kind: Kind, **fields: Any) -> None:
    """An administrator's change, in the audit trail (actor "cli")."""
    await audit.record(store, kind, at=time.time(), actor=audit.CLI, **fields)


def _audit_keys(kind: Kind, detail: audit.Detail) -> None:
    """Keys live in files: the change is made even if the database can't record it."""
    try:
        _with_store(lambda store: _audited(store, kind, detail=detail))
    except Exception as error:
        from idp.cli_errors import explain

        reason = explain(error, Settings.from_env()) or type(error).__name__
        click.echo(f"warning: not in the audit trail: {reason}", err=True)


@click.group(cls=OperatorGroup)
@click.version_option(package_name="sageid")
def main() -> None:
    """Sage ID provider: serve it and administer it."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object a line (time, level, request id, route, status, duration, client).",
)
@click.option("--access-log/--no-access-log", default=True, show_default=True)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Behind a reverse proxy: the client address from X-Forwarded-For (trusted peers only).",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Proxy addresses whose X-Forwarded-* headers are believed (comma-separated).",
)
@click.option(
    "--graceful-timeout",
    default=10,
    show_default=True,
    type=click.IntRange(0, 3600),
    help="Seconds running requests get to finish when the server is asked to stop.",
)
def serve(
    host: str,
    port: int,
    workers: int,
    log_format: str,
    access_log: bool,
    proxy_headers: bool,
    forwarded_allow_ips: str,
    graceful_timeout: int,
) -> None:
    """Serve the provider (the database must be migrated: `sageid-idp db upgrade`)."""
    from idp.migrate import NotMigrated, check_migrated
    from idp.serving import ServeOptions, run

    settings = _settings()
    if workers > 1 and execution_mode(settings.database_url) is ExecutionMode.EMBEDDED:
        # idp.execution: on SQLite statements run on the event loop; another process's write
        # would hold it for up to the busy timeout.
        raise click.ClickException(
            "SQLite serves one worker process: for --workers 2 or more, set DATABASE_URL to "
            "PostgreSQL (postgresql+asyncpg://...)"
        )
    KeyFile(settings.key_dir).ensure()

    async def migrated(store: Store) -> None:
        await check_migrated(store.db)

    try:  # said plainly here, rather than as a traceback from every worker's start-up
        _with_store(migrated)
    except NotMigrated as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Sage ID provider on {settings.issuer} (listening on {host}:{port})")
    if (note := _port_note(settings.issuer, port)) is not None:
        click.echo(note, err=True)
    run(
        ServeOptions(
            host=host,
            port=port,
            workers=workers,
            log_format=log_format,
            access_log=access_log,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            graceful_timeout=graceful_timeout,
        )
    )


def _port_note(issuer: str, port: int) -> str | None:
    """Every URL the provider gives out is the issuer's: a different port is only right
    behind a reverse proxy, so it is said at start-up."""
    from urllib.parse import urlsplit

    parts = urlsplit(issuer)
    issuer_port = parts.port or (443 if parts.scheme == "https" else 80)
    if issuer_port == port:
        return None
    return (
        f"note: SAGEID_ISSUER {issuer} is on port {issuer_port}, this server listens on {port}: "
        "clients are sent to the issuer's port (right only behind a reverse proxy)"
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    from idp.migrate import current_revision, revisions_between
    from idp.migrate import upgrade as run_upgrade

    url = _settings().database_url
    before = _with_store(lambda store: current_revision(store.db))
    run_upgrade(url)
    after = _with_store(lambda store: current_revision(store.db))
    applied = revisions_between(url, before, after)
    if applied:
        click.echo(f"database {safe_url(url)}: applied {', '.join(applied)}; now at {after}")
    else:
        click.echo(f"database {safe_url(url)} is up to date (revision {after})")


@main.group()
def keys() -> None:
    """Signing keys (in SAGEID_KEY_DIR, default certs/)."""


def _print_keys(key_file: KeyFile) -> None:
    for info in key_file.list():
        state = "signing" if info.signing else "published"
        created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(info.created_at))
        click.echo(f"{info.kid}  {info.alg}  {state:9}  created {created} UTC")


@keys.command("list")
def keys_list() -> None:
    """List published keys and the one of each algorithm that signs."""
    key_file = KeyFile(_settings().key_dir)
    if key_file.ensure():
        click.echo("created new signing keys")
    _print_keys(key_file)


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new key per algorithm, published but not signing yet (`keys activate KID`)."""
    key_file = KeyFile(_settings().key_dir)
    key_file.ensure()
    key_file.rotate()
    _print_keys(key_file)
    signing = [info.kid for info in key_file.list() if info.signing]
    _audit_keys(Kind.KEY_ROTATED, {"signing": " ".join(signing)})


@keys.command("activate")
@click.argument("kids", nargs=-1, required=True, metavar="KID...")
def keys_activate(kids: tuple[str, ...]) -> None:
    """Make published keys sign (one per algorithm); the keys they replace stay published.
    Running servers pick the change up within SAGEID_KEY_POLL seconds."""
    key_file = KeyFile(_settings().key_dir)
    try:
        for kid in kids:
            key_file.activate(kid)
    except KeyError as error:
        raise click.ClickException(str(error).strip("'\"")) from error
    _print_keys(key_file)
    _audit_keys(Kind.KEY_ACTIVATED, {"activated": " ".join(kids)})


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Stop publishing an old key (tokens it signed no longer verify)."""
    key_file = KeyFile(_settings().key_dir)
    try:
        key_file.retire(kid)
    except (KeyError, ValueError) as error:
        raise click.ClickException(str(error).strip("'\"")) from error
    _print_keys(key_file)
    _audit_keys(Kind.KEY_RETIRED, {"kid": kid})


@main.group()
def clients() -> None:
    """Registered OAuth clients."""


@clients.command("add")
@click.option("--name", required=True)
@click.option("--public", "kind", flag_value="public", help="A native or browser app (PKCE).")
@click.option("--confidential", "kind", flag_value="confidential", help="Has a client secret.")
@click.option("--redirect-uri", "redirect_uris", multiple=True)
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True)
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES))
@click.option("--scope", default="openid profile email", show_default=True)
@click.option("--first-party", is_flag=True, help="Skip the consent page.")
@click.option("--client-id", default=None, help="Choose the client_id (default: random).")
@click.option(
    "--id-token-alg",
    type=click.Choice(ALGORITHMS),
    default="RS256",
    show_default=True,
    help="How its ID tokens are signed (ES256: smaller and ~7x cheaper to sign).",
)
@click.option(
    "--backchannel-logout-uri",
    default=None,
    help="Where logout tokens are posted when a user's session ends (Back-Channel Logout).",
)
@click.option(
    "--backchannel-logout-session-required",
    is_flag=True,
    help="The client needs `sid` in logout tokens.",
)
@click.option(
    "--web-origin",
    "web_origins",
    multiple=True,
    help="A browser origin allowed by CORS at token, userinfo, revocation, device endpoints.",
)
@click.option("--require-mfa", is_flag=True, help="Every sign-in needs a second factor.")
@click.option(
    "--require-par",
    is_flag=True,
    help="Accept its authorization requests only pushed to /par first (RFC 9126).",
)
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A JSON file of the client's public keys (JWK Set): it authenticates with "
    "private_key_jwt (RFC 7523), without a secret.",
)
@click.option(
    "--jwks-uri",
    default=None,
    help="Where the client publishes its public keys (https): private_key_jwt, no secret.",
)
@click.option(
    "--profile",
    type=click.Choice(["fapi2"]),
    default=None,
    help="Hold the client to a security profile: fapi2 (FAPI 2.0: PAR, private_key_jwt, "
    "codes of 60 s at most, no bearer refresh tokens).",
)
@click.option(
    "--require-dpop",
    is_flag=True,
    help="Token requests must carry a DPoP proof (RFC 9449 dpop_bound_access_tokens).",
)
@click.option("--json", "as_json", is_flag=True)
def clients_add(
    name: str,
    kind: str | None,
    redirect_uris: tuple[str, ...],
    logout_uris: tuple[str, ...],
    grant_types: tuple[str, ...],
    scope: str,
    first_party: bool,
    client_id: str | None,
    id_token_alg: str,
    backchannel_logout_uri: str | None,
    backchannel_logout_session_required: bool,
    web_origins: tuple[str, ...],
    require_mfa: bool,
    require_par: bool,
    jwks_file: str | None,
    jwks_uri: str | None,
    profile: str | None,
    require_dpop: bool,
    as_json: bool,
) -> None:
    """Register a client; prints its client_id and, once, its secret."""
    from idp.domain.client_registration import (
        RegistrationError,
        check_backchannel_logout_uri,
        check_registration,
        check_web_origin,
    )

    if kind is None:
        raise click.UsageError("say --public or --confidential")
    grant_types = grant_types or ("authorization_code", "refresh_token")
    try:
        check_registration(
            public=kind == "public",
            redirect_uris=redirect_uris,
            logout_uris=logout_uris,
            grant_types=grant_types,
            scope=scope,
            known_scopes=ALL_SCOPES,
        )
        if backchannel_logout_uri is not None:
            check_backchannel_logout_uri(backchannel_logout_uri)
        for origin in web_origins:
            check_web_origin(origin)
    except RegistrationError as error:
        raise click.UsageError(str(error)) from error
    jwks = _client_keys(kind, jwks_file, jwks_uri)
    keyed = jwks is not None or jwks_uri is not None
    if profile == "fapi2" and not keyed:
        raise click.UsageError("--profile fapi2 needs --jwks or --jwks-uri (private_key_jwt)")

    async def add(store: Store) -> tuple[str, str | None]:
        if client_id and await store.clients.get(client_id):
            raise click.ClickException(f"client {client_id} already exists")
        record, secret = await store.clients.add(
            name=name,
            public=kind == "public",
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=logout_uris,
            grant_types=grant_types,
            scope=scope,
            first_party=first_party,
            now=time.time(),
            client_id=client_id,
            id_token_alg=id_token_alg,
            backchannel_logout_uri=backchannel_logout_uri,
            backchannel_logout_session_required=backchannel_logout_session_required,
            web_origins=web_origins,
            require_mfa=require_mfa,
            require_pushed_authorization_requests=require_par or profile == "fapi2",
            profile=profile,
            auth_method=PRIVATE_KEY_JWT if keyed else CLIENT_SECRET_BASIC,
            jwks=jwks,
            jwks_uri=jwks_uri,
            require_dpop=require_dpop,
        )
        detail = {"name": name, "kind": kind, "grant_types": " ".join(grant_types)}
        if require_mfa:
            detail["require_mfa"] = "yes"
        await _audited(store, Kind.CLIENT_ADDED, client_id=record.client_id, detail=detail)
        return record.client_id, secret

    new_id, secret = _with_store(add)
    if as_json:
        click.echo(json.dumps({"client_id": new_id, "client_secret": secret}))
        return
    click.echo(f"client_id: {new_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("Keep the secret now: it is stored hashed and cannot be shown again.")


def _client_keys(kind: str, jwks_file: str | None, jwks_uri: str | None) -> dict[str, Any] | None:
    """`--jwks FILE` read and checked (public keys only), or `--jwks-uri` checked; None when
    the client keeps a secret."""
    from urllib.parse import urlsplit

    from idp.oauth.client_assertions import public_key_set

    if jwks_file is None and jwks_uri is None:
        return None
    if kind != "confidential":
        raise click.UsageError("--jwks and --jwks-uri are for --confidential clients")
    if jwks_file is not None and jwks_uri is not None:
        raise click.UsageError("say --jwks or --jwks-uri, not both")
    if jwks_uri is not None:
        parts = urlsplit(jwks_uri)
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise click.UsageError("--jwks-uri must be an https URL (http only on loopback)")
        return None
    try:
        with open(str(jwks_file), encoding="utf-8") as handle:
            document = json.load(handle)
        public_key_set(document)
    except (OSError, ValueError) as error:
        raise click.UsageError(f"--jwks: {error}") from error
    keys: dict[str, Any] = document
    return keys


@clients.command("list")
def clients_list() -> None:
    """List registered clients."""
    for client in _with_store(lambda store: store.clients.all()):
        kind = "public" if client.is_public else "confidential"
        party = " first-party" if client.first_party else ""
        click.echo(f"{client.client_id}  {client.name}  ({kind}{party})")
        click.echo(f"    grants: {' '.join(client.grant_types)}  scope: {client.scope}")
        click.echo(f"    ID tokens: {client.id_token_signed_response_alg}")
        if client.require_mfa:
            click.echo("    requires a second factor")
        for uri in client.redirect_uris:
            click.echo(f"    redirect: {uri}")
        if client.backchannel_logout_uri:
            click.echo(f"    back-channel logout: {client.backchannel_logout_uri}")
        for origin in client.web_origins:
            click.echo(f"    web origin: {origin}")
        if client.require_dpop:
            click.echo("    DPoP required (RFC 9449 dpop_bound_access_tokens)")


@clients.command("remove")
@click.argument("client_id")
def clients_remove(client_id: str) -> None:
    """Remove a client and everything issued to it."""

    async def remove(store: Store) -> bool:
        removed = await store.clients.remove(client_id)
        if removed:
            await _audited(store, Kind.CLIENT_REMOVED, client_id=client_id[:64])
        return bool(removed)

    if not _with_store(remove):
        raise click.ClickException(f"no client {client_id}")
    click.echo(f"removed {client_id}")


@main.group()
def users() -> None:
    """Sage ID accounts."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin.")
@click.option("--verified", is_flag=True, help="Mark the email address as verified.")
def users_add(email: str, name: str, password_stdin: bool, verified: bool) -> None:
    """Create an account (the password is read from standard input)."""
    from idp.domain.password_policy import MESSAGES, check_password
    from idp.passwords import Passwords
    from idp.store.users import EmailTaken

    password = sys.stdin.readline().rstrip("\r\n")
    if "@" not in email or not name.strip():
        raise click.UsageError("a valid --email and a non-empty --name are required")
    if not password:
        raise click.UsageError("no password on standard input")
    if problems := check_password(password, email=email):
        raise click.UsageError(" ".join(MESSAGES[problem] for problem in problems))
    settings = _settings()

    async def add(store: Store) -> str:
        password_hash = await Passwords(settings.password_hashing).hash(password)
        try:
            user = await store.users.add(
                email=email,
                name=name,
                password_hash=password_hash,
                email_verified=verified,
                now=time.time(),
            )
        except EmailTaken as error:
            raise click.ClickException(f"an account already uses {error}") from error
        await _audited(store, Kind.USER_ADDED, subject=user.id, detail={"verified": verified})
        return user.id

    click.echo(f"user {_with_store(add)} created for {email.strip().casefold()}")


@users.command("list")
def users_list() -> None:
    """List accounts."""
    for user in _with_store(lambda store: store.users.list()):
        verified = "verified" if user.email_verified else "unverified"
        click.echo(f"{user.id}  {user.email}  {user.name}  ({verified})")


@users.command("revoke")
@click.argument("email")
def users_revoke(email: str) -> None:
    """Revoke every grant of an account: its refresh tokens stop working at once, its access
    tokens at userinfo and introspection (they expire within minutes elsewhere); its browser
    sessions end, and clients with a back-channel logout URI are sent a logout token."""

    async def revoke(store: Store) -> int:
        from idp.keys import KeyRing
        from idp.oauth.backchannel import BackchannelLogout, LogoutNotice

        user = await store.users.by_email(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        now = time.time()
        signed_in = await store.grants.live_sign_ins(user.id, now)
        count = await store.grants.revoke_for_user(user.id, now)
        sids = await store.sessions.end_for_user(user.id, now)
        await store.grants.end_with_sessions(sids, now)
        await _audited(store, Kind.USER_REVOKED, subject=user.id, detail={"grants": count})
        # Back-Channel Logout: the clients learn it now, from this process.
        settings = _settings()
        await store.client_cache.refresh()
        backchannel = BackchannelLogout(
            settings.issuer, KeyRing.from_dir(settings.key_dir), store.client_cache.get, time.time
        )
        await backchannel.deliver(LogoutNotice(c, user.id, sid) for c, sid in signed_in)
        if backchannel.failures:
            click.echo(f"{backchannel.failures} back-channel logout(s) failed", err=True)
        return count

    count = _with_store(revoke)
    click.echo(f"revoked {count} grant{'s' if count != 1 else ''} of {email.strip().casefold()}")


@users.command("mfa")
@click.argument("email")
def users_mfa(email: str) -> None:
    """List the second factors of an account (issue 17)."""

    async def factors(store: Store) -> FactorSummary:
        user = await store.users.by_email(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        return await store.factors.of_user(user.id)

    summary = _with_store(factors)
    if not summary.enrolled:
        click.echo(f"{email.strip().casefold()}: no second factor")
        return
    for factor in summary.factors:
        added = time.strftime("%Y-%m-%d %H:%M", time.gmtime(factor.created_at))
        used = time.strftime("%Y-%m-%d %H:%M", time.gmtime(factor.last_used_at or 0))
        click.echo(f"{factor.kind}  {factor.name}  added {added} UTC  last used {used} UTC")
    click.echo(f"recovery codes left: {summary.recovery_codes_left}")


async def _mail_reset_notice(user: UserRecord) -> None:
    """The user hears of it (issue 17); a mail failure is a warning, the reset stands."""
    from idp.mail import MailDeliveryError
    from idp.mail.factory import build_mailer
    from idp.mail.notices import Notice, compose_notice

    settings = _settings()
    message = compose_notice(
        to=user.email,
        name=user.name,
        notice=Notice.MFA_RESET,
        locale=user.locale or "fr",
        sender=settings.mail_from,
        issuer=settings.issuer,
    )
    try:
        await build_mailer(settings).send(message)
    except MailDeliveryError as error:
        click.echo(f"warning: the user was not mailed: {error}", err=True)


@users.command("mfa-reset")
@click.argument("email")
def users_mfa_reset(email: str) -> None:
    """Remove every second factor and recovery code of an account, once support has checked
    the person's identity (audited)."""

    async def reset(store: Store) -> int:
        user = await store.users.by_email(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        count = await store.factors.remove_all(user.id)
        await _audited(store, Kind.MFA_RESET, subject=user.id, detail={"factors": count})
        await _mail_reset_notice(user)
        return count

    count = _with_store(reset)
    click.echo(
        f"removed {count} second factor{'s' if count != 1 else ''} of {email.strip().casefold()}"
    )


@main.group()
def customers() -> None:
    """Sage customer accounts that Sage IDs are referenced to."""


@customers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def customers_import(file: Path) -> None:
    """Import customers, their proofs and notification emails from a CSV file.

    One fact a row, under the header `customer_code,kind,value`:

    \b
      C0001234,customer,Boulangerie Martin              (value: the name)
      C0001234,invoice,FA-2025-004711                   (an invoice number)
      C0001234,serial,SP7-4K2Q-99XA-1187                (a Sage product serial)
      C0001234,notification_email,compta@example.com    (notified by past submissions)

    Proof and email rows may name a customer of the same file or one already imported.
    Codes and numbers are compared as letters and digits in upper case; emails trimmed and
    case-folded. UTF-8 (BOM allowed), `,` or `;` separated; blank lines and lines starting
    with `#` are skipped. Every row is checked first: any error is reported by line number
    and nothing is imported. Importing the same file again changes nothing.
    """
    from idp.customer_data import UnreadableFile, import_customer_file, read_customer_file

    try:
        text = read_customer_file(file)
    except UnreadableFile as error:
        raise click.ClickException(str(error)) from error

    async def run_import(store: Store) -> Any:
        counts, errors = await import_customer_file(store, text, time.time())
        if counts is not None:
            detail = {
                "file": file.name,
                "customers_added": counts.customers_added,
                "proofs_added": counts.proofs_added,
                "notification_emails_added": counts.notification_emails_added,
            }
            await _audited(store, Kind.CUSTOMERS_IMPORTED, detail=detail)
        return counts, errors

    counts, errors = _with_store(run_import)
    if counts is None:
        for row_error in errors[:100]:
            click.echo(f"{file}: {row_error}", err=True)
        if len(errors) > 100:
            click.echo(f"... and {len(errors) - 100} more", err=True)
        raise click.ClickException(f"{len(errors)} invalid rows: nothing was imported")
    click.echo(
        f"customers: {counts.customers_added} added, {counts.customers_renamed} renamed; "
        f"proofs: {counts.proofs_added} added; "
        f"notification emails: {counts.notification_emails_added} added"
    )


@customers.command("list")
def customers_list() -> None:
    """List customers with their administrator and counts."""
    for c in _with_store(lambda store: store.customers.all()):
        admin = c.administrator_email or "no administrator"
        click.echo(f"{c.code}  {c.name}  ({admin})")
        click.echo(
            f"    members: {c.members}  proofs: {c.proofs}  "
            f"notification emails: {c.notification_emails}"
        )


@customers.command("set-admin")
@click.argument("code")
@click.argument("email")
def customers_set_admin(code: str, email: str) -> None:
    """Make EMAIL's Sage ID, referenced to customer CODE, its administrator (only while the
    customer has none)."""
    from idp.store.customers import AdminOutcome

    async def appoint(store: Store) -> AdminOutcome:
        user = await store.users.by_email(email)
        if user is None:
            raise click.ClickException(f"no Sage ID uses {email}")
        outcome = await store.customers.become_administrator(code, user.id, time.time())
        if outcome is AdminOutcome.APPOINTED:
            detail = {"customer_code": code}
            await _audited(store, Kind.ADMINISTRATOR_SET, subject=user.id, detail=detail)
        return outcome

    outcome = _with_store(appoint)
    refusals = {
        AdminOutcome.NO_SUCH_CUSTOMER: f"no customer {code}",
        AdminOutcome.NOT_A_MEMBER: f"{email} is not referenced to customer {code}",
        AdminOutcome.TAKEN: f"customer {code} already has an administrator",
    }
    if outcome in refusals:
        raise click.ClickException(refusals[outcome])
    already = " already" if outcome is AdminOutcome.ALREADY else ""
    click.echo(f"{email} is{already} the administrator of {code}")


@main.command()
def demo() -> None:
    """Load the demo users and clients (idempotent) and print them."""
    from idp.demo import load_demo

    settings = _settings()
    for line in _with_store(lambda store: load_demo(store, settings, time.time())):
        click.echo(line)


# --- Operations (issue 14): purge, backup, the audit trail ------------------------------------


@db.command("purge")
def db_purge() -> None:
    """Delete ended rows now (the server also does it every SAGEID_PURGE_INTERVAL seconds)."""
    from idp.clock import SystemClock
    from idp.retention import purge_once

    settings = _settings()
    counts = _with_store(lambda store: purge_once(store, SystemClock(), settings.retention))
    click.echo("purged: " + ", ".join(f"{table} {n}" for table, n in counts.items()))


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path) -> None:
    """Copy the SQLite database to FILE while the provider runs, and check the copy."""
    from idp.backup import BackupError, backup_sqlite, sqlite_path

    url = _settings().database_url
    try:
        source = sqlite_path(url)
        if source is None:
            raise BackupError(
                f"{safe_url(url)} is PostgreSQL: back it up with pg_dump "
                "(e.g. pg_dump --format=custom --file FILE DBNAME), restore with pg_restore"
            )
        size = backup_sqlite(source, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backed up {source} to {file} ({size} bytes, integrity check ok)")


@main.group("audit")
def audit_group() -> None:
    """The audit trail of security events."""


def _since(value: str | None) -> float | None:
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter("use a date like 2026-12-01 or 2026-12-01T08:30") from error
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@audit_group.command("list")
@click.option("--user", "email", default=None, help="Only the events about this Sage ID.")
@click.option("--since", default=None, help="From this date or time (UTC unless given).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def audit_list(email: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """The newest events first: time, kind, outcome, subject, actor, client, address."""
    since_at = _since(since)

    async def read(store: Store) -> tuple[list[Any], dict[str, str]]:
        subject = None
        if email is not None:
            user = await store.users.by_email(email)
            if user is None:
                raise click.ClickException(f"no Sage ID uses {email}")
            subject = user.id
        events = await store.audit.list(subject=subject, since=since_at, limit=limit)
        emails = {u.id: u.email for u in await store.users.list()}
        return events, emails

    events, emails = _with_store(read)
    for event in events:
        record = {**event.as_json(), "subject_email": emails.get(event.subject or "")}
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False, sort_keys=True))
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(event.at))
        parts = [f"{when}Z", event.kind, event.outcome]
        parts += [
            f"{name}={value}"
            for name, value in (
                ("subject", record["subject_email"] or event.subject),
                ("actor", event.actor),
                ("client", event.client_id),
                ("ip", event.ip),
                *sorted(event.detail.items()),
            )
            if value is not None
        ]
        click.echo("  ".join(parts))


# -- dynamic client registration (RFC 7591, issue 16) -----------------------------------------

TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _ttl_seconds(ttl: str) -> int:
    """`7d`, `12h`, `30m`, `90s` (or plain seconds)."""
    number, unit = (ttl[:-1], ttl[-1]) if ttl[-1:] in TTL_UNITS else (ttl, "s")
    if not number.isdigit() or int(number) <= 0:
        raise click.BadParameter("a duration like 7d, 12h, 30m or 90s", param_hint="--ttl")
    return int(number) * TTL_UNITS[unit]


@main.group("registration-tokens")
def registration_tokens() -> None:
    """Initial access tokens: what third parties present to register their clients."""


@registration_tokens.command("create")
@click.option("--ttl", default="7d", show_default=True, help="How long it can be used: 7d, 12h…")
@click.option("--max-uses", type=click.IntRange(min=1), default=None, help="Registrations.")
@click.option(
    "--allow-scope",
    "allowed_scopes",
    multiple=True,
    type=click.Choice(sorted(RESTRICTED_REGISTRATION_SCOPES)),
    help="A restricted scope the registered clients may ask for (edi).",
)
@click.option(
    "--profile",
    type=click.Choice(["fapi2"]),
    default=None,
    help="Hold every client it registers to this profile (fapi2: FAPI 2.0).",
)
def registration_tokens_create(
    ttl: str, max_uses: int | None, allowed_scopes: tuple[str, ...], profile: str | None
) -> None:
    """Create an initial access token; it is shown once (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    seconds = _ttl_seconds(ttl)

    async def create(store: Store) -> None:
        now = time.time()
        await store.initial_access_tokens.create(
            token,
            now=now,
            expires_at=now + seconds,
            max_uses=max_uses,
            allowed_scope=" ".join(allowed_scopes),
            profile=profile,
        )
        detail = {
            "profile": profile or "",
            "ttl": str(seconds),
            "max_uses": str(max_uses or ""),
            "scope": " ".join(allowed_scopes),
        }
        await _audited(store, Kind.REGISTRATION_TOKEN_CREATED, detail=detail)

    _with_store(create)
    click.echo(f"initial_access_token: {token}")
    click.echo("Keep it now: it is stored hashed and cannot be shown again.")
