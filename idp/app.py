"""`create_app(settings)`: the provider as one Starlette application."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from idp.api.openapi import openapi
from idp.api.submissions import create_submission, get_submission, list_submissions
from idp.api.upload_slots import UploadSlots
from idp.clock import Clock, SystemClock
from idp.context import AppContext
from idp.discovery import provider_metadata
from idp.endpoints.authorize import authorize
from idp.endpoints.device_authorization import device_authorization
from idp.endpoints.discovery import document_routes, served_documents
from idp.endpoints.health import healthz, metrics, readyz
from idp.endpoints.introspect import introspect
from idp.endpoints.logout import logout
from idp.endpoints.par import pushed_authorization_request
from idp.endpoints.register import client_configuration, register
from idp.endpoints.revoke import revoke
from idp.endpoints.token import token
from idp.endpoints.userinfo import userinfo
from idp.keys import KeyFile, KeyRing, KeySnapshot
from idp.mail.factory import build_mailer
from idp.metrics import Metrics
from idp.migrate import check_migrated
from idp.oauth.access_tokens import AccessTokenValidator
from idp.oauth.backchannel import BackchannelLogout
from idp.oauth.bridge import Bridge
from idp.oauth.dpop import DPoPVerifier
from idp.oauth.server import SageAuthorizationServer
from idp.pages.account import (
    account_page,
    disconnect_app,
    email_confirm,
    email_submit,
    name_submit,
    password_change,
    signout,
)
from idp.pages.administration import (
    add_profile,
    admin_customer,
    admin_index,
    assign_profile,
    change_member_profile,
    delete_profile,
    remove_member,
    rename_profile,
    set_mfa_requirement,
    set_new_members_profile,
    withdraw_assignment,
)
from idp.pages.device import confirm_page, confirm_submit, device_page, device_submit
from idp.pages.legal import legal_page, privacy_page
from idp.pages.passkeys import register as register_passkey
from idp.pages.passkeys import register_options, sign_in_options
from idp.pages.passkeys import sign_in as passkey_sign_in
from idp.pages.password_reset import (
    forgot_page,
    forgot_submit,
    reset_page,
    reset_resend,
    reset_submit,
)
from idp.pages.profile import become_administrator, profile_page
from idp.pages.referencing import (
    congratulations_page,
    reference_page,
    reference_submit,
    terms_page,
)
from idp.pages.second_factor import second_factor_page, second_factor_submit
from idp.pages.security import app_page, app_remove, app_submit, recovery_regenerate
from idp.pages.signin import password_submit, signin_page, signin_submit
from idp.pages.signup import signup_page, signup_submit
from idp.pages.tracking import tracking_page
from idp.pages.verify import verify_page, verify_resend, verify_submit
from idp.passwords import Passwords
from idp.retention import purge_periodically
from idp.settings import Settings
from idp.store import Store
from idp.web.cors import Cors
from idp.web.csrf import Csrf
from idp.web.errors import EXCEPTION_HANDLERS
from idp.web.hosts import TrustedHosts
from idp.web.prebuilt import CachedDocument, PrebuiltDocuments
from idp.web.stack import Provider
from idp.web.templating import TEMPLATE_DIR, Templates
from shared.scopes import EDI_AUDIENCE_PATH

log = logging.getLogger("sageid")


def build_context(settings: Settings, clock: Clock | None = None) -> AppContext:
    """Everything built once: keys loaded (generated on first start), caches primed."""
    KeyFile(settings.key_dir).ensure()
    keys = KeyRing.from_dir(settings.key_dir)
    clock = clock or SystemClock()
    store = Store(settings.database_url, settings.database_pool_size)
    server = SageAuthorizationServer(settings, store, keys, clock)
    csrf = Csrf(keys.derive("csrf"), settings.secure_cookies)
    metadata = json.dumps(provider_metadata(settings, server), separators=(",", ":")).encode()
    return AppContext(
        settings=settings,
        clock=clock,
        store=store,
        keys=keys,
        server=server,
        bridge=Bridge(store.db.mode, settings.bridge_timeout),
        passwords=Passwords(settings.password_hashing, settings.password_hash_slots),
        mailer=build_mailer(settings),
        csrf=csrf,
        templates=Templates(csrf, settings.issuer),
        userinfo_validator=AccessTokenValidator(settings.issuer, settings.url("/userinfo"), keys),
        api_validator=AccessTokenValidator(settings.issuer, settings.url(EDI_AUDIENCE_PATH), keys),
        discovery=CachedDocument(metadata, '"' + hashlib.sha256(metadata).hexdigest()[:32] + '"'),
        jwks=CachedDocument(keys.jwks_bytes, keys.jwks_etag),
        backchannel=BackchannelLogout(settings.issuer, keys, store.client_cache.get, clock.now),
        metrics=Metrics(settings.metrics_multiprocess_dir),
        upload_slots=UploadSlots(settings.upload_slots),
        dpop=DPoPVerifier(keys.derive("dpop-nonce"), require_nonce=settings.dpop_nonce),
    )


async def _watch_clients(ctx: AppContext) -> None:
    """Pick up clients added or removed by the CLI (another process) within a few seconds."""
    while True:
        await anyio.sleep(ctx.settings.client_cache_poll)
        try:
            await ctx.store.client_cache.refresh()
        except Exception:  # a database hiccup must not kill the watcher
            log.exception("could not refresh the client cache")


async def _watch_keys(ctx: AppContext) -> None:
    """Pick up a key rollover (`sageid-idp keys rotate|activate|retire`, possibly run on
    another node) within `key_poll` seconds: the file is parsed in a worker thread, then the
    new keys are swapped in whole and the JWKS document replaced (idp/keys.py)."""
    key_file = KeyFile(ctx.settings.key_dir)
    seen = key_file.identity()
    while True:
        await anyio.sleep(ctx.settings.key_poll)
        try:
            identity = key_file.identity()
            if identity is None or identity == seen:
                continue
            snapshot = await anyio.to_thread.run_sync(_snapshot_of, key_file)
            ctx.keys.install(snapshot)
            ctx.jwks.replace(snapshot.jwks_bytes, snapshot.jwks_etag)
            seen = identity
            log.info("signing keys reloaded: %s", ", ".join(snapshot.verifying))
        except Exception:  # a half-copied or unreadable file is retried at the next poll
            log.exception("could not reload the signing keys")


def _snapshot_of(key_file: KeyFile) -> KeySnapshot:
    return KeySnapshot.build(key_file.load())


async def _checkpoint(ctx: AppContext) -> None:
    """Keep SQLite's write-ahead log short, off the event loop (see `Database.checkpoint`)."""
    while True:
        await anyio.sleep(1)
        try:
            await ctx.store.db.checkpoint()
        except Exception:  # a busy or failing checkpoint is retried in a second
            log.exception("could not checkpoint the database")


Endpoint = Callable[[Request], Awaitable[Response]]


def get_and_post(path: str, get: Endpoint, post: Endpoint) -> Route:
    """One route for a path read with GET and posted to, so that a 405 names both methods
    in `Allow` (RFC 9110 §15.5.6): with a route each, the router names only the first's."""

    async def endpoint(request: Request) -> Response:
        return await (post if request.method == "POST" else get)(request)

    return Route(path, endpoint, methods=["GET", "POST"])


async def _home(_request: object) -> Response:
    return RedirectResponse("/account", status_code=303)


async def _favicon(_request: object) -> Response:
    # Pages link their icon; this answers the browsers and tools that ask for it by this name.
    return RedirectResponse("/static/favicon.svg", status_code=301)


def create_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    ctx = build_context(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            await check_migrated(ctx.store.db)
            await ctx.store.db.fill_pool()
            await ctx.store.client_cache.refresh()
            # A plain task, not a task group: the lifespan may be entered and left by
            # different tasks (test fixtures do).
            tasks = [
                asyncio.create_task(_watch_clients(ctx)),
                asyncio.create_task(_watch_keys(ctx)),
                asyncio.create_task(_checkpoint(ctx)),
                asyncio.create_task(
                    purge_periodically(ctx.store, ctx.clock, ctx.settings.retention)
                ),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await ctx.backchannel.aclose()
        finally:
            await ctx.store.close()

    # The token, userinfo and introspection endpoints first: the router tries routes in order.
    routes = [
        Route("/token", token, methods=["POST"]),
        Route("/par", pushed_authorization_request, methods=["POST"]),  # RFC 9126 (issue 16)
        Route("/register", register, methods=["POST"]),  # RFC 7591 (issue 16)
        Route(
            "/register/{client_id}", client_configuration, methods=["GET", "PUT", "DELETE"]
        ),  # RFC 7592 (issue 16)
        Route("/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/introspect", introspect, methods=["POST"]),
        Route("/revoke", revoke, methods=["POST"]),
        Route("/", _home),
        *document_routes(ctx),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
        Route("/device_authorization", device_authorization, methods=["POST"]),
        get_and_post("/device", device_page, device_submit),
        get_and_post("/device/confirm", confirm_page, confirm_submit),
        get_and_post("/signin", signin_page, signin_submit),
        Route("/signin/password", password_submit, methods=["POST"]),
        get_and_post("/signup", signup_page, signup_submit),
        get_and_post("/verify", verify_page, verify_submit),
        Route("/verify/resend", verify_resend, methods=["POST"]),
        get_and_post("/password/forgot", forgot_page, forgot_submit),
        get_and_post("/password/reset", reset_page, reset_submit),
        Route("/password/reset/resend", reset_resend, methods=["POST"]),
        Route("/account", account_page, methods=["GET"]),
        Route("/signout", signout, methods=["POST"]),
        # Issue 18: the account page's forms.
        Route("/account/name", name_submit, methods=["POST"]),
        Route("/account/password", password_change, methods=["POST"]),
        Route("/account/email", email_submit, methods=["POST"]),
        Route("/account/email/confirm", email_confirm, methods=["POST"]),
        Route("/account/apps/disconnect", disconnect_app, methods=["POST"]),
        # Issue 17: second factors, at sign-in and on the account page.
        get_and_post("/signin/second-factor", second_factor_page, second_factor_submit),
        get_and_post("/account/security/app", app_page, app_submit),
        Route("/account/security/app/remove", app_remove, methods=["POST"]),
        Route("/account/security/recovery", recovery_regenerate, methods=["POST"]),
        Route("/account/security/passkey/options", register_options, methods=["POST"]),
        Route("/account/security/passkey", register_passkey, methods=["POST"]),
        Route("/signin/passkey/options", sign_in_options, methods=["POST"]),
        Route("/signin/passkey", passkey_sign_in, methods=["POST"]),
        Route("/portal/admin/{code}/security", set_mfa_requirement, methods=["POST"]),
        get_and_post("/reference", reference_page, reference_submit),
        Route("/referenced", congratulations_page, methods=["GET"]),
        Route("/terms", terms_page, methods=["GET"]),
        Route("/privacy", privacy_page, methods=["GET"]),
        Route("/legal", legal_page, methods=["GET"]),
        Route("/favicon.ico", _favicon, methods=["GET"]),
        # Sage EDI Online (issue 8): the submissions API and the portal.
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
        get_and_post("/api/v1/submissions", list_submissions, create_submission),
        Route("/api/v1/submissions/{submission_id}", get_submission, methods=["GET"]),
        Route("/portal", tracking_page, methods=["GET"]),
        Route("/portal/profile", profile_page, methods=["GET"]),
        Route("/portal/profile/administrator", become_administrator, methods=["POST"]),
        Route("/portal/admin", admin_index, methods=["GET"]),
        Route("/portal/admin/{code}", admin_customer, methods=["GET"]),
        Route("/portal/admin/{code}/members/profile", change_member_profile, methods=["POST"]),
        Route("/portal/admin/{code}/members/remove", remove_member, methods=["POST"]),
        Route("/portal/admin/{code}/profiles", add_profile, methods=["POST"]),
        Route("/portal/admin/{code}/assignments", assign_profile, methods=["POST"]),
        # Issue 18: the administrator's profiles.
        Route(
            "/portal/admin/{code}/new-members-profile", set_new_members_profile, methods=["POST"]
        ),
        Route("/portal/admin/{code}/profiles/rename", rename_profile, methods=["POST"]),
        Route("/portal/admin/{code}/profiles/delete", delete_profile, methods=["POST"]),
        Route("/portal/admin/{code}/assignments/withdraw", withdraw_assignment, methods=["POST"]),
        # Operations (issue 14): liveness, readiness, Prometheus metrics.
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Mount("/static", StaticFiles(directory=TEMPLATE_DIR.parent / "static"), name="static"),
    ]
    app = Provider(
        metrics=ctx.metrics,
        named_paths=served_documents(ctx),
        routes=routes,
        middleware=[
            Middleware(
                PrebuiltDocuments,
                documents=served_documents(ctx),
                allowed_hosts=settings.trusted_hosts,
            ),
            Middleware(TrustedHosts, allowed_hosts=settings.trusted_hosts),
            Middleware(Cors, origins=ctx.store.client_cache.web_origins),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app
